"""Target options: each target declares its own settings as a frozen dataclass of `option`
fields. The fields are the CLI flags, the dataclass validates itself, and it round-trips
through the manifest under the target's key (so `cloformer-diagnose` can rebuild the export)."""
from __future__ import annotations

import dataclasses
from argparse import ArgumentTypeError
from dataclasses import dataclass, field, fields

from .arguments import number
from .errors import UsageError


def option(default: object, help: str, *, choices: tuple[str, ...] | None = None, metavar: str | None = None,
           needs: str | None = None, low: float | None = None, high: float | None = None):
    """A dataclass field that is also a flag `--<name-with-dashes>`; `needs`: the setting under
    which it applies (named in the error line when given where it does not); `low`, `high`: the
    range of a numeric one (checked by argparse, and in manifests and requests made in code)."""
    return field(default=default, metadata={"help": help, "choices": choices, "metavar": metavar, "needs": needs,
                                            "low": low, "high": high})


@dataclass(frozen=True)
class Flag:
    """How an option field appears on the command line."""

    dest: str
    flag: str
    default: object
    type: type
    help: str
    choices: tuple[str, ...] | None
    metavar: str | None
    needs: str | None
    low: float | None = None
    high: float | None = None

    def parse(self):
        """Its argparse `type`: a numeric flag is checked to be finite and in range there."""
        return number(self.type, self.low, self.high) if self.type in (int, float) else self.type

    def json_schema(self) -> dict:
        """This flag's values as JSON Schema (the manifest records them)."""
        kind = {bool: "boolean", int: "integer", float: "number", str: "string"}[self.type]
        bounds = {key: value for key, value in (("minimum", self.low), ("maximum", self.high)) if value is not None}
        return {"type": kind, **({"enum": list(self.choices)} if self.choices else {}), **bounds,
                "description": self.help}

    def check(self, value: object) -> str | None:
        """Why `value` is not a value of this flag, or None."""
        if type(value) is not self.type:  # noqa: E721 (bool is not an int here)
            return f"{value!r} is not of type {self.type.__name__}"
        if self.choices and value not in self.choices:
            return f"{value!r} is not one of {', '.join(self.choices)}"
        try:
            self.parse()(str(value))
        except ArgumentTypeError as e:
            return str(e)
        return None


@dataclass(frozen=True)
class Options:
    """No options (the base); subclasses add `option` fields."""

    @classmethod
    def flags(cls) -> tuple[Flag, ...]:
        return tuple(Flag(f.name, "--" + f.name.replace("_", "-"), f.default, type(f.default), f.metadata["help"],
                          f.metadata["choices"], f.metadata["metavar"], f.metadata["needs"], f.metadata["low"],
                          f.metadata["high"]) for f in fields(cls))

    def takes(self, precision: str) -> frozenset[str]:
        """The fields that apply with these settings; one given explicitly that does not is an error."""
        return frozenset(f.name for f in fields(self))

    def context(self) -> str:
        """The settings that decide what applies, for the error line (e.g. ' with --backend xnnpack')."""
        return ""

    def validate(self) -> None:
        """Raise `UsageError` for a value no flag of this target takes (requests made in code)."""
        for flag in self.flags():
            problem = flag.check(getattr(self, flag.dest))
            if problem:
                raise UsageError(f"{flag.flag}: {problem}")

    def to_manifest(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_manifest(cls, section: dict) -> Options:
        """The options a manifest section records (a field it lacks takes its default); raises
        `ValueError` naming the first field that is not a value of its flag."""
        values = {}
        for flag in cls.flags():
            if flag.dest in section:
                problem = flag.check(section[flag.dest])
                if problem:
                    raise ValueError(f"{flag.dest}: {problem}")
                values[flag.dest] = section[flag.dest]
        return cls(**values)
