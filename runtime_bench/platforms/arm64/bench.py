"""`cloformer-bench arm64`: each artifact on ARM64 kernels under qemu-user, its outputs checked
against its check bundle (or the eager model when it has none), and its guest instructions per
inference counted; one result each, with instructions and never a latency."""
from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from ....export.api import (CheckCase, CommandError, Manifest, Protocol, UsageError, eager_model, load_manifest,
                            parity_inputs, random_input, read_check, run_check)
from ... import result as results
from . import guest, userland
from .calibration import Calibration, features
from .floor import floor

TOOL = "cloformer-bench arm64"
KIND = "emulated"
EVAL_CHUNK = 500  # inputs per guest run of cloformer-eval: one model load each, bounded temp files


def accepted() -> str:
    """The artifacts that run here, for help and refusals: e.g. "--target onnx (.onnx), executorch (.pte:
    xnnpack, portable)"."""
    kinds = [f"{t.name} ({t.suffix}" + (f": {', '.join(t.guest.backends)})" if t.guest.backends else ")")
             for t in userland.guests()]
    return "--target " + ", ".join(kinds)


def runs_here(m: Manifest) -> Manifest:
    """`m`, refused if its artifact has no aarch64 runtime here."""
    if m.target.guest is None or not m.target.guest.runs(m.record.get("backend")):
        raise UsageError(f"{m.artifact}: --target {m.target.name}{m.options.context()} does not run on an ARM64 CPU "
                         f"here; cloformer-bench arm64 runs {accepted()}")
    return m


def outputs(m: Manifest, cpu: str, batches: list[np.ndarray], progress: Callable[[int], None],
            timeout: float = 3600) -> list[np.ndarray]:
    """The artifact's output for each input on the emulated `cpu` (`cloformer-eval --on arm64`)."""
    land = userland.prepare(lambda line: print(line, file=sys.stderr))
    out: list[np.ndarray] = []
    for start in range(0, len(batches), EVAL_CHUNK):
        try:
            run = guest.run(land, cpu, m.target, m.record["backend"], m.artifact, batches[start:start + EVAL_CHUNK],
                            0, timeout)
        except guest.GuestError as e:
            raise CommandError(f"{m.artifact.name} on emulated {cpu}: {e}") from None
        out.extend(run.outputs)
        progress(sum(len(x) for x in batches[:len(out)]))
    return out


def _cases(path: Path, record: dict) -> tuple[list[CheckCase], str]:
    """The check bundle and "bundle", or, when the artifact came without one, the eager model's
    outputs on the same parity inputs (what the bundle would hold) and "eager": the result says
    which. A damaged bundle is refused (`read_check` raises)."""
    cases, _ = read_check(path, record["check"])
    if cases:
        return cases, "bundle"
    _, _, h, w = record["input_shape"]
    model = eager_model(record, path)
    with torch.no_grad():
        return [CheckCase(name, x.numpy(), model(x).numpy())
                for name, x in parity_inputs(h, w, record["input_shape"][0]).items()], "eager"


def device(land: userland.Userland, cpu: str) -> dict:
    return {"kind": KIND, "model": f"emulated aarch64 (qemu, cpu {cpu})",
            "os": f"Linux, {land.emulator} user mode, Debian {userland.RELEASE} userland",
            "soc": userland.CPUS[cpu].summary, "cores": 1, "serial": None, "features": land.features(cpu)}


def count(land: userland.Userland, path: Path, m: Manifest, cases: list[CheckCase], reference: str, cpu: str,
          inferences: int, timeout: float, calibration: Calibration | None = None) -> dict:
    """One artifact's result, with the calibration's estimate when there is one (raises
    `guest.GuestError` if the guest run fails)."""
    record = m.record
    run = guest.run(land, cpu, m.target, m.record["backend"], path, [c.input for c in cases], inferences, timeout)
    outputs = iter(run.outputs)
    checked = {**run_check(cases, record["check"], lambda x: next(outputs)), "reference": reference}
    identity = {**m.target.identity(record), "version": land.versions[m.target.guest.distribution]}
    per_inference = int(statistics.median(run.counted))
    typical = min(range(len(run.counted)), key=lambda i: abs(run.counted[i] - per_inference))
    b, _, h, w = record["input_shape"]  # the count is of one call: the whole batch
    model, example = eager_model(record, path), random_input(h, w, b)
    estimate = None
    if calibration is not None:
        terms = dict(run.classes[typical])
        if calibration.spill_elements is not None:
            terms |= features.measure(model, example, calibration.spill_elements)
        estimate = calibration.estimate(m.target.name, terms)
    return results.counted(
        tool=TOOL, device=device(land, cpu), runtime={**identity, "threads": 1}, model=record["model"],
        artifact={"path": str(path), "sha256": record["sha256"]}, input_shape=record["input_shape"],
        precision=record["precision"], protocol=Protocol(warmup=len(cases), rounds=1, iterations=inferences),
        check=checked, estimate=estimate, instructions={
            "per_inference": per_inference, "counted": run.counted, "load": run.load,
            "classes": run.classes[typical], "floor": floor(model, example, record["precision"], per_inference),
            "counter": f"{land.emulator} TCG plugin (count_insns.c), one guest thread",
            "rewrites": record.get("rewrites") or []})


def said_estimate(estimate: dict | None) -> str:
    """The printout's estimate: milliseconds, band, core and whether the calibration holds for the runtime."""
    if estimate is None:
        return ""
    transfer = "" if estimate["transfer"].startswith("measured") else "; transfer to this runtime unverified"
    return (f"; estimated {estimate['ms']:.1f} ms ({estimate['low_ms']:.1f}-{estimate['high_ms']:.1f}) on "
            f"{estimate['reference']}{transfer}")


def run(paths: list[Path], cpu: str, inferences: int, timeout: float, output: Path,
        calibration: Calibration | None = None, say: Callable[[str], None] = print) -> tuple[list[Path], list[str]]:
    """Every artifact checked first (a bad one stops the run before the long part), then each
    counted in turn; returns the result files and the failures (each also said)."""
    subjects = [(path, runs_here(load_manifest(path))) for path in paths]
    subjects = [(path, m, *_cases(path, m.record)) for path, m in subjects]
    land = userland.prepare(say)
    written, failures = [], []
    for path, m, cases, reference in subjects:
        try:
            result = count(land, path, m, cases, reference, cpu, inferences, timeout, calibration)
        except guest.GuestError as e:
            failures.append(f"{path}: {e}")
            say(f"failed {path.name} on emulated {cpu}: {e}")
            continue
        file = results.write(result, output)
        ins, check = result["instructions"], result["check"]
        flag = "" if result["valid"] else f"  INVALID: {'; '.join(result['invalid_reasons'])}"
        against = "" if reference == "bundle" else " (against the eager model: no check bundle)"
        say(f"{result['model']} {result['runtime']['name']} ({result['runtime']['backend']}, {result['precision']}) on "
            f"emulated {cpu}: check {check['status']}{against}, {ins['per_inference'] / 1e6:.1f} M instructions per "
            f"inference ({ins['floor']['ratio']:.1f}x the {result['precision']} floor){said_estimate(result.get('estimate'))}"
            f" -> {file}{flag}")
        written.append(file)
    return written, failures
