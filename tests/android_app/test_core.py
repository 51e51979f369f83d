"""The Android app's pure-Java core (android_app/app/src/main/java/org/cloformer/bench/core): its
JUnit tests, and its statistics, preprocessing and result files against the Python side."""
import json
import subprocess

import numpy as np
import pytest

from cloformer.export.inputs import preprocess
from cloformer.runtime_bench.platforms import android
from cloformer.runtime_bench import result as results
from cloformer.runtime_bench.compare import compare
from cloformer.export.contracts.protocol import Protocol, summarize

from ..conftest import ROOT
from ..export.test_check import assert_same_check

pytestmark = pytest.mark.android_app  # a JDK, Debian and npm (tests/conftest.py: missing_for)


def fixture(classpath: str, *args: str) -> str:
    done = subprocess.run(["java", f"-Dcloformer.root={ROOT}", "-cp", classpath, "org.cloformer.bench.core.Fixture",
                           *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_junit_suite_passes(classpath):
    assert "core-classes" in classpath


@pytest.mark.parametrize("n", [1, 2, 7, 50, 333])
def test_statistics_equal_pythons(classpath, tmp_path, n):
    latencies = np.random.default_rng(n).lognormal(2.5, 0.3, n).round(4).tolist()
    if n > 2:
        latencies[1] = latencies[2]  # a tie
    (tmp_path / "l.txt").write_text("\n".join(map(repr, latencies)))
    java = json.loads(fixture(classpath, "stats", str(tmp_path / "l.txt")))
    python = summarize(latencies)
    assert list(java) == list(python)
    for key in python:
        assert java[key] == pytest.approx(python[key], rel=1e-12, abs=1e-12), key


@pytest.mark.parametrize("size", [(224, 224), (64, 96), (256, 160)])
def test_preprocessing_equals_export_inputs(classpath, tmp_path, size):
    """The photo the phone classifies is the tensor parity checked: antialiased resize, center crop,
    normalization, NCHW, on a real photo (downscaled) and on noise (upscaled from 40x30)."""
    from skimage import data

    noise = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    for image in (data.astronaut(), noise):
        h, w = image.shape[:2]
        rgba = np.concatenate([image, np.full((h, w, 1), 255, np.uint8)], axis=2)
        (tmp_path / "in.rgba").write_bytes(rgba.tobytes())
        fixture(classpath, "preprocess", str(tmp_path / "in.rgba"), str(w), str(h), *map(str, size),
                str(tmp_path / "out.f32"))
        java = np.fromfile(tmp_path / "out.f32", dtype="<f4").reshape(1, 3, *size)
        python = preprocess(image, *size).numpy()
        # torch interpolates in float32, Java in double: ~0.005 grey levels apart at worst
        assert np.abs(java - python).max() < 1e-4 and np.abs(java - python).mean() < 2e-6


def test_results_follow_the_schema_and_merge(classpath, tmp_path):
    fixture(classpath, "results", str(tmp_path))
    measured, sustained, failed = (results.load(tmp_path / f"{n}.json") for n in ("measured", "sustained", "failed"))
    assert measured["valid"] and measured["tool"]["name"] == "android_app" and len(measured["latencies_ms"]) == 50
    assert measured["stats"] == pytest.approx(summarize(measured["latencies_ms"], measured["protocol"]["trim"]))
    assert sustained["sustained"]["intervals"] and sustained["protocol"]["sustained_seconds"] == 2.0
    assert sustained["stats"] == pytest.approx(summarize(sustained["latencies_ms"]))
    assert not failed["valid"] and failed["stats"] is None and "missing.pte: missing or unreadable" in \
        failed["invalid_reasons"][0]
    table, _ = compare([tmp_path / f"{n}.json" for n in ("measured", "sustained", "failed")], tmp_path / "cmp")
    assert "missing.pte: missing or unreadable" in table and table.count("| JVM test (android) |") == 3


@pytest.mark.parametrize("protocol", [
    Protocol(), Protocol(warmup=3, rounds=2, iterations=20, sustained_seconds=12.5, cooldown_seconds=1.5)])
def test_the_app_reads_the_extras_cloformer_bench_android_sends(classpath, protocol):
    extras = android.start_extras("/data/local/tmp/cloformer/m.pte", "a1b2c3", "R5CT", protocol, threads=2)
    parsed = json.loads(fixture(classpath, "extras", *extras))
    # no runtime or backend: the app takes the ones the manifest names (apps.android)
    assert parsed == {"artifact": "/data/local/tmp/cloformer/m.pte", "run_id": "a1b2c3", "serial": "R5CT", "threads": 2,
                      "warmup": protocol.warmup, "rounds": protocol.rounds, "iterations": protocol.iterations,
                      "sustained_seconds": protocol.sustained_seconds, "cooldown_seconds": protocol.cooldown_seconds,
                      "backend": None}


@pytest.mark.parametrize("perturbation", [0.0, 0.01])
def test_the_output_check_equals_pythons_on_a_real_bundle(classpath, small_onnx_export, perturbation):
    """The same real bundle (an export's, 64x64) checked by the Java core and by Python, each against
    the bundle's outputs as returned by a faithful runner and by one 1 % off: same verdict, same figures."""
    artifact, record = small_onnx_export
    java = json.loads(fixture(classpath, "check", str(artifact), str(perturbation)))
    assert_same_check(artifact, record, perturbation, java)
