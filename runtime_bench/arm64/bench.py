"""`cloformer-bench arm64`: each artifact on ARM64 kernels under qemu-user, its outputs checked
against its check bundle (or the eager model when it has none), and its guest instructions per
inference counted; one result each, with instructions and never a latency."""
from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path

import torch

from ...export.api import (TARGETS, CheckCase, Manifest, UsageError, eager_model, load_manifest, parity_inputs,
                           read_check, run_check)
from .. import result as results
from ..protocol import Protocol
from . import runners, userland

TOOL = "cloformer-bench arm64"


def accepted() -> str:
    """The artifacts that run here, for help and refusals: e.g. ".onnx, .pte (xnnpack, portable)"."""
    kinds = []
    for target in TARGETS.values():
        guest = runners.RUNTIMES.get(target.result_runtime)
        if guest is not None:
            kinds.append(target.suffix + (f" ({', '.join(guest.backends)})" if guest.backends else ""))
    return ", ".join(dict.fromkeys(kinds))


def _runtime(path: Path) -> tuple[Manifest, str]:
    """The artifact's manifest (checked), and its guest runtime; refuses what has no aarch64 runtime."""
    m = load_manifest(path)
    runtime = m.target.result_runtime
    backend = m.record.get("backend")
    if not runners.runs(runtime, backend):
        what = f"{m.target.name}" + (f" --backend {backend}" if backend else "")
        raise UsageError(f"{path}: {what} does not run on an ARM64 CPU here; cloformer-bench arm64 runs {accepted()}")
    return m, runtime


def _cases(path: Path, record: dict) -> list[CheckCase]:
    """The check bundle, or, when it is missing or changed, the eager model's outputs on the same
    parity inputs (the reference the bundle would hold)."""
    cases, _ = read_check(path, record["check"])
    if cases:
        return cases
    _, _, h, w = record["input_shape"]
    model = eager_model(record, path)
    with torch.no_grad():
        return [CheckCase(name, x.numpy(), model(x).numpy())
                for name, x in parity_inputs(h, w, record["input_shape"][0]).items()]


def device(land: userland.Userland, cpu: str) -> dict:
    return {"kind": "emulated", "model": f"emulated aarch64 (qemu, cpu {cpu})",
            "os": f"Linux, {land.emulator} user mode, Debian {userland.RELEASE} userland",
            "soc": userland.CPUS[cpu].summary, "cores": 1, "serial": None, "features": land.features(cpu)}


def count(land: userland.Userland, path: Path, m: Manifest, runtime: str, cases: list[CheckCase], cpu: str,
          inferences: int, timeout: float) -> dict:
    """One artifact's result (raises `runners.GuestError` if the guest run fails)."""
    record = m.record
    run = runners.run(land, cpu, runtime, path, [c.input for c in cases], inferences, timeout)
    outputs = iter(run.outputs)
    checked = run_check(cases, record["check"], lambda x: next(outputs))
    identity = {**m.target.identity(record), "version": land.versions[runners.RUNTIMES[runtime].distribution]}
    return results.counted(
        tool=TOOL, device=device(land, cpu), runtime={**identity, "threads": 1}, model=record["model"],
        artifact={"path": str(path), "sha256": record["sha256"]}, input_shape=record["input_shape"],
        precision=record["precision"], protocol=Protocol(warmup=len(cases), rounds=1, iterations=inferences),
        check=checked, instructions={
            "per_inference": int(statistics.median(run.counted)), "counted": run.counted, "load": run.load,
            "counter": f"{land.emulator} TCG plugin (count_insns.c), one guest thread",
            "rewrites": record.get("rewrites") or []})


def run(paths: list[Path], cpu: str, inferences: int, timeout: float, output: Path,
        say: Callable[[str], None] = print) -> tuple[list[Path], list[str]]:
    """Every artifact checked first (a bad one stops the run before the long part), then each
    counted in turn; returns the result files and the failures (each also said)."""
    subjects = [(path, *_runtime(path)) for path in paths]
    subjects = [(path, m, runtime, _cases(path, m.record)) for path, m, runtime in subjects]
    land = userland.prepare(say)
    written, failures = [], []
    for path, m, runtime, cases in subjects:
        try:
            result = count(land, path, m, runtime, cases, cpu, inferences, timeout)
        except runners.GuestError as e:
            failures.append(f"{path}: {e}")
            say(f"failed {path.name} on emulated {cpu}: {e}")
            continue
        file = results.write(result, output)
        ins, check = result["instructions"], result["check"]
        flag = "" if result["valid"] else f"  INVALID: {'; '.join(result['invalid_reasons'])}"
        say(f"{result['model']} {result['runtime']['name']} ({result['runtime']['backend']}, {result['precision']}) on "
            f"emulated {cpu}: check {check['status']}, {ins['per_inference'] / 1e6:.1f} M instructions per inference "
            f"-> {file}{flag}")
        written.append(file)
    return written, failures
