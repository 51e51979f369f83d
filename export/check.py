"""The check bundle: the reference inputs and the eager fp32 model's outputs for them, written
beside every artifact (`<artifact>.check/`) so that every run, on any device, checks the artifact's
outputs before it times them.

Files are NumPy .npy version 1.0, little-endian float32, C order: one text header, then raw data,
which Java and Swift read without a library. The manifest's `check` section records each file's
shape and sha256 and the tolerance of the artifact's precision."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import files
from .errors import ManifestError
from .fidelity import top5_agreement
from .parity import Tolerance, sqnr_db

SQNR_CAP_DB = 200.0  # identical outputs have an infinite SQNR, which JSON cannot hold
FAILED = "outputs differ from the reference: "  # a failed check's invalid reason, in every app


def bundle_path(artifact: Path) -> Path:
    return artifact.with_name(artifact.name + ".check")


def tolerance(parity: Tolerance) -> dict:
    """The check's tolerance: the parity's max abs diff, and its minimum cosine as an SQNR (for
    outputs of equal norm, noise / signal = 2 (1 - cosine))."""
    return {"max_abs_diff": parity.max_abs_diff,
            "min_sqnr_db": round(-10 * math.log10(2 * (1 - parity.min_cosine)), 1)}


def write(directory: Path, cases: dict[str, tuple[np.ndarray, np.ndarray]], parity: Tolerance) -> dict:
    """Write each case's input and expected output into `directory`; return the manifest's
    `check` section (its `bundle` names the folder beside the artifact, set by the caller)."""
    directory.mkdir(parents=True)
    section: dict = {"tolerance": tolerance(parity), "cases": []}
    for name, arrays in cases.items():
        case = {"name": name}
        for role, array in zip(("input", "expected"), arrays):
            path = directory / f"{name}.{role}.npy"
            np.save(path, np.ascontiguousarray(array, dtype="<f4"), allow_pickle=False)
            case[role] = {"file": path.name, "shape": list(array.shape), "sha256": files.sha256(path)}
        section["cases"].append(case)
    return section


@dataclass(frozen=True)
class Case:
    name: str
    input: np.ndarray
    expected: np.ndarray


def read(artifact: Path, section: dict) -> tuple[list[Case], str | None]:
    """The bundle beside `artifact` as its manifest's `check` section describes it, or no cases
    and why they are absent (copied without its .check folder). A bundle that is there but
    damaged (a file missing or changed since export) raises `ManifestError`: checking against it,
    or quietly against something else, would give a verdict that looks right and is not."""
    folder = artifact.with_name(section["bundle"])
    if not folder.is_dir():
        return [], f"{folder.name} is missing: copy the artifact's .check folder beside it"
    cases = []
    for case in section["cases"]:
        arrays = []
        for role in ("input", "expected"):
            spec = case[role]
            path = folder / spec["file"]
            if not path.is_file():
                raise _damaged(folder, f"{spec['file']} is missing")
            if files.sha256(path) != spec["sha256"]:
                raise _damaged(folder, f"{spec['file']} does not match its manifest's sha256")
            try:  # its digest matched: only a manifest edited to fit a bad file gets here
                arrays.append(np.load(path, allow_pickle=False))
            except (ValueError, OSError, EOFError) as e:
                raise _damaged(folder, f"{spec['file']} is not a .npy file ({e})") from None
            if list(arrays[-1].shape) != spec["shape"] or arrays[-1].dtype != np.float32:
                raise _damaged(folder, f"{spec['file']} holds {arrays[-1].dtype} {list(arrays[-1].shape)}, not "
                                       f"float32 {spec['shape']}")
        cases.append(Case(case["name"], *arrays))
    return cases, None


def _damaged(folder: Path, what: str) -> ManifestError:
    return ManifestError(f"the check bundle {folder.name} is damaged: {what}; re-export the artifact, or copy its .check "
                         "folder again")


def figures(expected: np.ndarray, actual: np.ndarray) -> dict:
    """Max abs diff, SQNR (capped) and top-5 agreement (the share of rows whose expected top-1
    is in the actual top-5) of one case."""
    expected = expected.reshape(expected.shape[0], -1)
    actual = np.asarray(actual, dtype=np.float32).reshape(expected.shape)
    return {"max_abs_diff": float(np.abs(expected.astype(np.float64) - actual).max()),
            "sqnr_db": round(min(sqnr_db(expected, actual), SQNR_CAP_DB), 2),
            "top5_agreement": top5_agreement(expected, actual)}


def absent(reason: str) -> dict:
    return {"status": "absent", "reason": reason, "tolerance": None, "cases": []}


def run(cases: list[Case], section: dict, infer: Callable[[np.ndarray], np.ndarray]) -> dict:
    """A result's `check`: every case through `infer`, each figure against the tolerance."""
    tol = section["tolerance"]
    rows, problems = [], []
    for case in cases:
        actual = np.asarray(infer(case.input))
        if actual.size != case.expected.size:
            problems.append(f"{case.name} returned {actual.size} values, expected {case.expected.size}")
            continue
        if not np.isfinite(actual).all():
            problems.append(f"{case.name} returned NaN or infinite values")
            continue
        row = {"name": case.name, **figures(case.expected, actual)}
        rows.append(row)
        if row["max_abs_diff"] > tol["max_abs_diff"]:
            problems.append(f"{case.name} max abs diff {row['max_abs_diff']:.3g} > {tol['max_abs_diff']:g}")
        if row["sqnr_db"] < tol["min_sqnr_db"]:
            problems.append(f"{case.name} SQNR {row['sqnr_db']:.1f} dB < {tol['min_sqnr_db']:g} dB")
    status = "fail" if problems else "pass"
    return {"status": status, "reason": "; ".join(problems) or None, "tolerance": tol, "cases": rows}

