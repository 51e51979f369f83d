"""The guest side of `cloformer-bench arm64`: one run of a target's guest program (its `Guest`:
a Python loader under guest_main.py, or a native program built into the userland) under qemu
with the instruction counter."""
from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ....export.api import Target
from .userland import CPUS, Userland

GUEST_MAIN = resources.files(__package__) / "guest_main.py"


class GuestError(Exception):
    """The guest run failed: the reason, in one line."""


CLASSES = ("simd", "simd_mem", "mem")  # count_insns.c's classes after the total; "other" is the rest


@dataclass(frozen=True)
class GuestRun:
    outputs: list[np.ndarray]    # one per input, flat float32
    load: int                    # instructions from process start to the loaded model
    counted: list[int]           # instructions of each counted inference
    classes: list[dict[str, int]]  # each counted inference's by class: simd, simd_mem, mem, other


def _marks(path: Path) -> list[list[int]]:
    """Each mark's running counts: the total, then one per class."""
    try:
        marks = [[int(n) for n in line.split()[1:]] for line in path.read_text().splitlines()
                 if line.startswith("mark ")]
    except (OSError, ValueError):
        return []
    return marks if all(len(m) == 1 + len(CLASSES) for m in marks) else []


def _between(start: list[int], end: list[int]) -> dict[str, int]:
    counts = dict(zip(CLASSES, (b - a for a, b in zip(start[1:], end[1:]))))
    return {**counts, "other": end[0] - start[0] - sum(counts.values())}


def command(userland: Userland, cpu: str, target: Target, backend: str | None) -> list[str]:
    """The guest command that runs `target`'s artifacts made for `backend`, before the artifact's own arguments."""
    sysroot = userland.sysroot(cpu)
    if target.guest.loader is not None:
        return [str(sysroot / "usr/bin/python3.11"), str(GUEST_MAIN), str(target.guest.loader), backend or "-"]
    return [str(sysroot / userland.programs[target.name])]


def run(userland: Userland, cpu: str, target: Target, backend: str | None, artifact: Path, inputs: list[np.ndarray],
        counted: int, timeout: float) -> GuestRun:
    """Run `artifact` (made for `backend`) on the emulated `cpu`: each input once (the outputs), then `counted` more
    inferences on the first, each between two marks of the instruction counter. With `counted` 0, the
    outputs only, without the counter plugin (nothing to count)."""
    sysroot = userland.sysroot(cpu)
    with tempfile.TemporaryDirectory(prefix="cloformer-arm64-") as tmp:
        work = Path(tmp)
        files = []
        for i, x in enumerate(inputs):
            files.append(work / f"input{i}.bin")
            np.ascontiguousarray(x, dtype="<f4").tofile(files[-1])
        counts = work / "counts.txt"
        # The guest opens the artifact by a name of fixed length: where the file lives moved the count
        # (the same 64x64 .pte: 27.7 M instructions from one folder, 32.7 M from another).
        model = work / f"model{artifact.suffix}"
        model.symlink_to(artifact.resolve())
        counter = ["-plugin", f"{userland.plugin},out={counts}"] if counted else []
        cmd = [str(userland.qemu), "-cpu", CPUS[cpu].qemu, "-L", str(sysroot), *counter,
               # qemu passes its environment on: the guest gets none of the host's libraries
               "-U", "LD_LIBRARY_PATH", "-E", "PYTHONPATH=/opt/python", "-E", "PYTHONHASHSEED=0",
               "-E", "PYTHONDONTWRITEBYTECODE=1",
               *command(userland, cpu, target, backend), str(model), str(work), str(counted), *map(str, files)]
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
        marks = _marks(counts) if counted else [[0] * (1 + len(CLASSES))]
    if len(marks) != 1 + 2 * counted:
        raise GuestError(f"the instruction counter recorded {len(marks)} marks, expected {1 + 2 * counted}")
    pairs = [(marks[i], marks[i + 1]) for i in range(1, len(marks), 2)]
    return GuestRun(outputs, marks[0][0], [end[0] - start[0] for start, end in pairs],
                    [_between(start, end) for start, end in pairs])
