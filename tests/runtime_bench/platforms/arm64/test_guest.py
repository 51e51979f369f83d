"""The instruction counter's classes (count_insns.c, read by guest.py): SIMD arithmetic is told from
the interpreter's scalar work on a guest program whose two halves differ in exactly that."""
from __future__ import annotations

import subprocess

import pytest

from cloformer.runtime_bench.platforms.arm64 import guest, userland
from cloformer.runtime_bench.platforms.arm64.guest_main import MARK

PROGRAM = f"""
import os
import numpy as np

def mark():
    try:
        os.close({MARK})
    except OSError:
        pass

a = np.ones(1 << 16, np.float32)
mark(); [np.multiply(a, 2.0, out=a) for _ in range(200)]; mark()   # numpy's NEON loops
mark(); sum(i * i for i in range(20000)); mark()                   # the interpreter's integers
"""


@pytest.mark.arm64
def test_the_counter_tells_simd_arithmetic_from_scalar_work(tmp_path):
    land = userland.prepare()
    sysroot, counts = land.sysroot("cortex-a76"), tmp_path / "counts.txt"
    subprocess.run([str(land.qemu), "-cpu", "cortex-a76", "-L", str(sysroot), "-plugin", f"{land.plugin},out={counts}",
                    "-U", "LD_LIBRARY_PATH", "-E", "PYTHONPATH=/opt/python", str(sysroot / "usr/bin/python3.11"),
                    "-c", PROGRAM], env=land.env(), check=True, capture_output=True, timeout=600)
    marks = guest._marks(counts)
    assert len(marks) == 4
    vector, scalar = guest._between(marks[0], marks[1]), guest._between(marks[2], marks[3])
    # 200 passes over 16,384 four-lane vectors: one multiply each, and its load or store
    assert vector["simd"] == pytest.approx(200 * 16_384, rel=0.01)
    assert vector["simd_mem"] == pytest.approx(200 * 16_384, rel=0.02)
    assert scalar["simd"] < 0.02 * sum(scalar.values()) and scalar["other"] > 0.5 * sum(scalar.values())
    assert all(n >= 0 for n in (*vector.values(), *scalar.values()))
