"""The checks every command's flags share, made by argparse (as a flag's `type`) before any work
starts: a number is finite and in its range; an output folder or file is a UTF-8 path that can be
written and is not in the way. A shared leaf: export, diagnose, bench and eval use these."""
from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def _range(kind: type, low: float | None, high: float | None, low_open: bool, unit: str) -> str:
    noun = ("an integer" if kind is int else "a number") + (f" of {unit}" if unit else "")
    if low is not None and high is not None and not low_open:
        return f"{noun} from {_number(low)} to {_number(high)}"
    parts = [f"{'above' if low_open else 'at least'} {_number(low)}" if low is not None else "",
             f"at most {_number(high)}" if high is not None else ""]
    return f"{noun} {', '.join(p for p in parts if p)}".rstrip()


def number(kind: type = float, low: float | None = None, high: float | None = None, *, low_open: bool = False,
           unit: str = "") -> Callable[[str], int | float]:
    """A flag's `type`: `kind` parsed from the text, finite, in [low, high] (or (low, high] when
    `low_open`). NaN and infinities are refused: a gate compared with NaN can never fail."""
    wanted = _range(kind, low, high, low_open, unit)

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {wanted}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text} is not a finite number; pass {wanted}")
        if (low is not None and (value <= low if low_open else value < low)) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text} is out of range; pass {wanted}")
        return value
    parse.__name__ = kind.__name__  # argparse names the type in its own messages
    return parse


def path_problem(path: Path) -> str | None:
    """Why `path` cannot be handed to the runtimes and converters (they take UTF-8 text), or None."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return f"{os.fsencode(path)!r} is not UTF-8; the runtimes and converters take UTF-8 paths only: rename it"
    return None


def folder_problem(path: Path) -> str | None:
    """Why files cannot be written into the folder `path` (made if missing), or None."""
    problem = path_problem(path)
    if problem:
        return problem
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder; pass a folder"
    if not os.access(existing, os.W_OK | os.X_OK) or os.statvfs(existing).f_flag & os.ST_RDONLY:
        return f"{existing} is not writable; pass a folder you can write to"
    return None


def _checked(path: Path, problem: str | None) -> Path:
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return path


def output_folder(text: str) -> Path:
    """A flag's `type` for a folder that results are written into."""
    return _checked(Path(text), folder_problem(Path(text)))


def new_file(text: str) -> Path:
    """A flag's `type` for a file this command creates: its folder exists and is writable, and
    the file is not there yet."""
    path = Path(text)
    problem = path_problem(path)
    if problem is None and path.exists():
        problem = f"{path} already exists; choose another file"
    if problem is None and not path.parent.is_dir():
        problem = f"the folder {path.parent} does not exist; create it or choose another file"
    return _checked(path, problem or folder_problem(path.parent))


def input_path(text: str) -> Path:
    """A flag's `type` for a file or folder that is read and handed to a runtime."""
    return _checked(Path(text), path_problem(Path(text)))
