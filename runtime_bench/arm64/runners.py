"""The guest side of `cloformer-bench arm64`: which program runs each runtime's artifacts in the
emulated userland, and one run of it under qemu with the instruction counter."""
from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .userland import CPUS, Userland

GUEST_RUNNER = resources.files(__package__) / "guest_runner.py"


@dataclass(frozen=True)
class GuestRuntime:
    distribution: str        # whose version (in the userland) a result records
    program: tuple[str, ...]  # the guest command, before its arguments (paths inside the sysroot)
    backends: tuple[str, ...] | None = None  # the artifact backends it runs (None: the target has no backend choice)


# Keyed by a target's result runtime (export/targets): every target whose runtime has aarch64 builds.
RUNTIMES = {
    "onnxruntime": GuestRuntime("onnxruntime", ("usr/bin/python3.11", str(GUEST_RUNNER))),
    "litert": GuestRuntime("ai-edge-litert", ("usr/bin/python3.11", str(GUEST_RUNNER))),
    "executorch": GuestRuntime("executorch", ("opt/executorch/et_runner",), ("xnnpack", "portable")),
}
# The runtime the others' instruction counts are compared with (compare's ratio_reference).
REFERENCE = "onnxruntime"


def runs(runtime: str, backend: str | None) -> bool:
    """Whether an artifact of this result runtime and backend runs in the emulated userland."""
    guest = RUNTIMES.get(runtime)
    return guest is not None and (guest.backends is None or backend in guest.backends)


class GuestError(Exception):
    """The guest run failed: the reason, in one line."""


@dataclass(frozen=True)
class GuestRun:
    outputs: list[np.ndarray]  # one per input, flat float32
    load: int                  # instructions from process start to the loaded model
    counted: list[int]         # instructions of each counted inference


def _marks(path: Path) -> list[int]:
    try:
        return [int(line.split()[1]) for line in path.read_text().splitlines() if line.startswith("mark ")]
    except (OSError, ValueError, IndexError):
        return []


def run(userland: Userland, cpu: str, runtime: str, artifact: Path, inputs: list[np.ndarray], counted: int,
        timeout: float) -> GuestRun:
    """Run `artifact` on the emulated `cpu`: each input once (the outputs), then `counted` more
    inferences on the first, each between two marks of the instruction counter."""
    sysroot = userland.sysroot(cpu)
    program = RUNTIMES[runtime].program
    with tempfile.TemporaryDirectory(prefix="cloformer-arm64-") as tmp:
        work = Path(tmp)
        files = []
        for i, x in enumerate(inputs):
            files.append(work / f"input{i}.bin")
            np.ascontiguousarray(x, dtype="<f4").tofile(files[-1])
        counts = work / "counts.txt"
        guest = [str(sysroot / program[0]), *program[1:]]
        cmd = [str(userland.qemu), "-cpu", CPUS[cpu].qemu, "-L", str(sysroot),
               "-plugin", f"{userland.plugin},out={counts}",
               # qemu passes its environment on: the guest gets none of the host's libraries
               "-U", "LD_LIBRARY_PATH", "-E", "PYTHONPATH=/opt/python", "-E", "PYTHONHASHSEED=0",
               "-E", "PYTHONDONTWRITEBYTECODE=1",
               *guest, str(artifact.resolve()), str(work), str(counted), *map(str, files)]
        try:
            got = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=userland.env())
        except subprocess.TimeoutExpired:
            raise GuestError(f"no result within {timeout:.0f} s (pass a longer --timeout)") from None
        if got.returncode:
            lines = [line for line in got.stderr.splitlines() if line.strip()]
            raise GuestError(f"the guest exited with {got.returncode}: {lines[-1] if lines else 'no message'}")
        outputs = []
        for i in range(len(inputs)):
            path = work / f"output{i}.bin"
            if not path.is_file():
                raise GuestError(f"the guest wrote no output for input {i}")
            outputs.append(np.fromfile(path, dtype="<f4"))
        marks = _marks(counts)
    if len(marks) != 1 + 2 * counted:
        raise GuestError(f"the instruction counter recorded {len(marks)} marks, expected {1 + 2 * counted}")
    return GuestRun(outputs, marks[0], [marks[i + 1] - marks[i] for i in range(1, len(marks), 2)])
