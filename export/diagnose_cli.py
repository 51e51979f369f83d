"""`cloformer-diagnose ARTIFACT...`: which module of the model an artifact diverges at.

Everything needed comes from the manifest beside each artifact: the model, its weights (the
checkpoint, checked by digest, or the random-init seed), the input size, the target, backend and
the deploy-form passes. Exit 0: every artifact within tolerance; 1: one diverges; 2: bad input.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..models import ModelError, create_model
from . import files, manifest
from .cli import _quiet_libraries
from .diagnose import MIN_SQNR, Diagnosis, diagnose, probe, table
from .errors import ExportError, UsageError, UsageParser, run_cli
from .inputs import parity_inputs
from .pipeline import Progress
from .request import ExportRequest
from .targets import TARGETS

PROG = "cloformer-diagnose"
_SAME = ("model", "num_classes", "input_shape")



def build_parser() -> argparse.ArgumentParser:
    p = UsageParser(prog=PROG, description="Compare an artifact with eager torch module by module (stem, every "
                "block, head) and name the first module where it diverges.")
    p.add_argument("artifacts", nargs="+", type=Path, metavar="ARTIFACT",
                   help="artifacts written by cloformer-export (same model, size and weights), manifest beside each")
    p.add_argument("--input", choices=("astronaut", "random"), default="astronaut",
                   help="the input: the parity photo (default) or the seeded random tensor")
    p.add_argument("--min-sqnr", type=float, metavar="DB",
                   help="a module diverges below this SQNR against eager (default by precision: "
                        + ", ".join(f"{k} {v:g} dB" for k, v in MIN_SQNR.items()) + ")")
    p.add_argument("--checkpoint", type=Path, metavar="PATH",
                   help="the checkpoint the artifacts were exported from, if it moved (checked by sha256)")
    p.add_argument("--quiet", action="store_true", help="print only the table")
    return p


def read_manifest(artifact: Path) -> dict:
    if not artifact.exists():
        raise UsageError(f"{artifact} does not exist; pass an artifact written by cloformer-export")
    path = manifest.manifest_path(artifact)
    try:
        record = manifest.read(path)
    except FileNotFoundError:
        raise UsageError(f"{artifact} has no manifest beside it ({path.name}); diagnose artifacts written by "
                         "cloformer-export") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UsageError(f"{path} is not valid JSON; re-export {artifact.name}") from None
    missing = [k for k in (*_SAME, "weights", "target", "precision", "rewrites") if k not in record]
    if missing or record["target"] not in TARGETS:
        raise UsageError(f"{path} is not a cloformer-export manifest of a known target "
                         f"({'lacks ' + ', '.join(missing) if missing else 'target ' + repr(record['target'])}); "
                         f"re-export {artifact.name}")
    return record


def build_model(record: dict, artifact: Path, checkpoint: Path | None):
    """The eager model the artifact was exported from."""
    weights = record["weights"]
    try:
        if not weights.get("checkpoint"):
            if checkpoint:
                raise UsageError(f"{artifact.name} was exported from random init (seed {weights.get('seed')}), "
                                 "not a checkpoint; drop --checkpoint")
            if "seed" not in weights:
                raise UsageError(f"the manifest of {artifact.name} records no seed; re-export it")
            return create_model(record["model"], record["num_classes"], seed=weights["seed"])
        path = checkpoint or Path(weights["checkpoint"])
        if not path.is_file():
            raise UsageError(f"{artifact.name} was exported from checkpoint {weights['checkpoint']}, which is not "
                             "there; pass --checkpoint PATH")
        if files.sha256(path) != weights["sha256"]:
            raise UsageError(f"checkpoint {path} is not the one {artifact.name} was exported from (sha256 differs); "
                             "pass that checkpoint")
        return create_model(record["model"], record["num_classes"], checkpoint=path, seed=None)
    except ModelError as e:
        raise UsageError(str(e)) from None


def request_for(record: dict) -> ExportRequest:
    """The export settings that made the artifact, for per-module exports of the same kind."""
    batch, _, height, width = record["input_shape"]
    coreml = record.get("coreml", {})
    return ExportRequest(model=record["model"], targets=(record["target"],), height=height, width=width,
                         batch=batch, num_classes=record["num_classes"], precision=record["precision"],
                         backend=record.get("backend") or "xnnpack", quiet=True,
                         compute_units=coreml.get("compute_units", "all"),
                         deployment_target=coreml.get("deployment_target", "iOS17"))


def run(artifacts: list[Path], image: str = "astronaut", min_sqnr: float | None = None,
        checkpoint: Path | None = None, quiet: bool = False) -> tuple[str, list[Diagnosis]]:
    """The table, and each artifact's diagnosis."""
    records = [read_manifest(a) for a in artifacts]
    identity = {json.dumps([*(r[k] for k in _SAME), r["weights"].get("sha256"), r["weights"].get("seed")])
                for r in records}
    if len(identity) > 1:
        raise UsageError("the artifacts are of different models, sizes or weights; diagnose them in separate runs")
    model = build_model(records[0], artifacts[0], checkpoint)
    batch, _, height, width = records[0]["input_shape"]
    x = parity_inputs(height, width, batch)[image]
    progress = Progress(quiet)
    diagnoses, probed = [], None
    for artifact, record in zip(artifacts, records):
        request = request_for(record)
        target = TARGETS[record["target"]]
        label = target.tag(request) + ("" if record["rewrites"] else "_naive")
        with progress.step(f"[{label}] {artifact.name}"):
            probed = probe(model, record["rewrites"], request, x)
            tolerance = min_sqnr if min_sqnr is not None else MIN_SQNR[record["precision"]]
            diagnoses.append(diagnose(target, artifact, probed, label, tolerance))
    return table(probed, diagnoses), diagnoses


def main(argv: list[str] | None = None) -> int:
    def body() -> None:
        args = build_parser().parse_args(argv)
        _quiet_libraries()
        text, diagnoses = run(args.artifacts, args.input, args.min_sqnr, args.checkpoint, args.quiet)
        print(text, end="")
        sys.stdout.flush()
        diverged = [f"{d.label} at {d.first}" for d in diagnoses if d.first]
        if diverged:
            raise ExportError(f"diverges: {'; '.join(diverged)} (table above)")
    return run_cli(PROG, body)
