"""Milliseconds on a named ARM core from emulated instruction counts: a calibration fits the counts
of public reference nets (models/reference/) on an emulated CPU to the single-thread latencies
published for the same nets on a real board or phone with that core (published.json: ncnn's
benchncnn tables), and every `cloformer-bench arm64` result then carries an estimate beside its
count, never in its latency fields.

A calibration is a JSON file: the committed ones (this folder, `<cpu>.<reference>.json`, remade by the
command they record) or one written by `cloformer-bench arm64-calibrate`. measure.py counts the nets,
fit.py holds the models of counts and their leave-one-out."""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jsonschema

from .....export.api import UsageError, shortened
from . import fit

HERE = resources.files(__package__)
FORMAT = "cloformer-calibration/1"
SCHEMA = json.loads((HERE / "calibration.schema.json").read_text())
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def published() -> dict:
    """The published latencies: their source, and per reference device its core and ms per net."""
    return json.loads((HERE / "published.json").read_text())


def references(cpu: str) -> list[str]:
    """The published reference devices whose core `cpu` emulates, the default first."""
    return [key for key, ref in published()["references"].items() if ref["cpu"] == cpu]


@dataclass(frozen=True)
class Calibration:
    source: str   # the file it was read from
    record: dict

    @property
    def fit(self) -> fit.Fit:
        return fit.Fit(self.record["model"], self.record["costs"])

    @property
    def spill_elements(self) -> int | None:
        """The threshold of features.measure when the model reads memory features, else None."""
        return self.record["spill_elements"] if set(self.record["costs"]) - set(fit.CLASSES) else None

    def estimate(self, runtime: str, terms: dict[str, int]) -> dict:
        """The `estimate` of a result counted in `runtime` (one thread): `terms` has its instructions by
        class and, if the model reads them, its memory features."""
        r = self.record
        ms = self.fit.predict(terms)
        low, high = r["band"]
        ref = r["reference"]
        transfer = r["transfer"].get(runtime) or r["transfer"]["*"]
        return {"ms": round(ms, 3), "low_ms": round(ms * low, 3), "high_ms": round(ms * high, 3),
                "reference": f"{ref['device']} ({ref['core']} at {ref['clock_ghz']:g} GHz), one thread",
                "calibration": f"{r['name']} ({Path(self.source).name})", "model": r["model"],
                "leave_one_out": {k: round(v, 4) for k, v in r["leave_one_out"].items()},
                "transfer": transfer}


def committed(cpu: str, reference: str | None = None) -> Path | None:
    """The committed calibration of `cpu` against `reference` (default: the first with a file)."""
    for key in [reference] if reference else references(cpu):
        path = HERE / f"{cpu}.{key}.json"
        if path.is_file():
            return Path(str(path))
    return None


def dumps(record: dict) -> str:
    """A calibration record as its file's text, checked against the schema first."""
    _VALIDATOR.validate(record)
    return json.dumps(record, indent=1, allow_nan=False) + "\n"


def load(path: Path, cpu: str) -> Calibration:
    """A calibration file, checked (one line when it is damaged or made on another CPU)."""
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise UsageError(f"calibration {path} cannot be read ({shortened(str(e), 80)}); remake it with "
                         "cloformer-bench arm64-calibrate") from None
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(record))
    if error is not None:
        field = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise UsageError(f"calibration {path} is damaged (field {shortened(field, 60)}: {shortened(error.message, 80)}); "
                         "remake it with cloformer-bench arm64-calibrate")
    if record["cpu"] != cpu:
        raise UsageError(f"calibration {path} was made on emulated {record['cpu']}, not --cpu {cpu}: its instruction "
                         f"costs are that core's; pass --cpu {record['cpu']} or a calibration of {cpu}")
    return Calibration(str(path), record)
