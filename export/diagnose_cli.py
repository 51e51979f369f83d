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

from . import manifest
from .arguments import input_path, number
from .console import Progress
from .diagnose import Diagnosis, diagnose, probe, table
from .parity import MIN_SQNR
from .errors import CommandError, UsageError, UsageParser, run_cli
from .inputs import parity_inputs
from .request import ExportRequest
from .targets import quiet_libraries

PROG = "cloformer-diagnose"
_SAME = ("model", "num_classes", "input_shape")


def build_parser() -> argparse.ArgumentParser:
    p = UsageParser(prog=PROG, description="Compare an artifact with eager torch module by module (stem, every "
                "block, head) and name the first module where it diverges.")
    p.add_argument("artifacts", nargs="+", type=input_path, metavar="ARTIFACT",
                   help="artifacts written by cloformer-export (same model, size and weights), manifest beside each")
    p.add_argument("--input", choices=("astronaut", "random"), default="astronaut",
                   help="the input: the parity photo (default) or the seeded random tensor")
    p.add_argument("--min-sqnr", type=number(float, 0, 300, unit="dB"), metavar="DB",
                   help="a module diverges below this SQNR against eager (default by precision: "
                        + ", ".join(f"{k} {v:g} dB" for k, v in MIN_SQNR.items()) + "; a target may set its own, docs/targets)")
    p.add_argument("--checkpoint", type=input_path, metavar="PATH",
                   help="the checkpoint the artifacts were exported from, if it moved (checked by sha256)")
    p.add_argument("--quiet", action="store_true", help="print only the table")
    return p


def request_for(loaded: manifest.Manifest) -> ExportRequest:
    """The export settings that made the artifact (its options round-tripped through the
    manifest), for per-module exports of the same kind."""
    record = loaded.record
    batch, _, height, width = record["input_shape"]
    return ExportRequest(model=record["model"], targets=(loaded.target.name,), height=height, width=width,
                         batch=batch, num_classes=record["num_classes"], precision=record["precision"],
                         quiet=True, options={loaded.target.name: loaded.options})


def run(artifacts: list[Path], image: str = "astronaut", min_sqnr: float | None = None,
        checkpoint: Path | None = None, quiet: bool = False) -> tuple[str, list[Diagnosis]]:
    """The table, and each artifact's diagnosis."""
    loaded = [manifest.load(a) for a in artifacts]
    records = [m.record for m in loaded]
    identity = {json.dumps([*(r[k] for k in _SAME), r["weights"].get("sha256"), r["weights"].get("seed")])
                for r in records}
    if len(identity) > 1:
        raise UsageError("the artifacts are of different models, sizes or weights; diagnose them in separate runs")
    model = manifest.eager_model(records[0], artifacts[0], checkpoint)
    batch, _, height, width = records[0]["input_shape"]
    x = parity_inputs(height, width, batch)[image]
    progress = Progress(quiet)
    diagnoses, probed = [], None
    for artifact, m in zip(artifacts, loaded):
        request, record, target = request_for(m), m.record, m.target
        label = target.tag(request) + ("" if record["rewrites"] else "_naive")
        with progress.step(f"[{label}] {artifact.name}"):
            probed = probe(model, record["rewrites"], request, x)
            tolerance = min_sqnr if min_sqnr is not None else target.min_sqnr(record["precision"])
            diagnoses.append(diagnose(target, artifact, probed, label, tolerance))
    return table(probed, diagnoses), diagnoses


def main(argv: list[str] | None = None) -> int:
    def body() -> None:
        args = build_parser().parse_args(argv)
        quiet_libraries()
        text, diagnoses = run(args.artifacts, args.input, args.min_sqnr, args.checkpoint, args.quiet)
        print(text, end="")
        sys.stdout.flush()
        diverged = [f"{d.label} at {d.first}" for d in diagnoses if d.first]
        if diverged:
            raise CommandError(f"diverges: {'; '.join(diverged)} (table above)")
    return run_cli(PROG, body)
