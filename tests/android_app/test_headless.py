"""`cloformer-bench android` driving the app's own headless logic (core.Headless, what
BenchmarkActivity runs) through a fake adb: extras sent, parsed by the Java code, the job run with a
fake runner, `<run_id>.json` written where the app writes it, pulled and schema-checked by Python.
The artifacts are real exports (the driver checks each against its manifest before pushing it)."""
import json

import pytest

from cloformer.runtime_bench.cli import main

pytestmark = pytest.mark.android_app  # a JDK, Debian and npm (tests/conftest.py: missing_for)


def test_android_bench_through_the_apps_headless_path(fake_adb, classpath, executorch_export, monkeypatch, tmp_path,
                                                      capsys):
    """Two phones: one computes the model, the other is 1 % off (a wrong delegate). Both results are
    kept; the wrong one is invalid, with its latency and the check's figures."""
    monkeypatch.setenv("FAKE_APP_CLASSPATH", classpath)
    root = fake_adb("pixel8:java,s24:javawrong")
    results = tmp_path / "results"
    args = ["android", str(executorch_export[0]), "--threads", "2", "--output", str(results), "--timeout", "60"]
    assert main(args) == 0
    bundle = executorch_export[0].name + ".check"
    assert sorted(p.name for p in (root / "pixel8/data/local/tmp/cloformer" / bundle).iterdir()) == [
        "astronaut.expected.npy", "astronaut.input.npy", "random.expected.npy", "random.input.npy"]
    by_serial = {r["device"]["serial"]: r for r in (json.loads(p.read_text()) for p in results.glob("*.json"))}
    wrong = by_serial["s24"]  # validated against the schema on pull
    assert not wrong["valid"] and wrong["check"]["status"] == "fail" and len(wrong["latencies_ms"]) == 50
    assert wrong["invalid_reasons"][0].startswith("outputs differ from the reference: astronaut max abs diff ")
    assert all(39 < c["sqnr_db"] < 41 for c in wrong["check"]["cases"])
    result = by_serial["pixel8"]
    assert result["check"]["status"] == "pass" and [c["sqnr_db"] for c in result["check"]["cases"]] == [200, 200]
    assert main(["compare", str(results), "--output", str(tmp_path / "cmp")]) == 0
    table = capsys.readouterr().out
    assert "| fail (40 dB, " in table and "| pass (200 dB, 0) |" in table
    assert result["valid"] and result["tool"]["name"] == "android_app" and result["device"]["serial"] == "pixel8"
    assert result["runtime"] == {"name": "executorch", "version": "1.5.1", "backend": "xnnpack", "threads": 2}
    assert len(result["latencies_ms"]) == 50 and result["protocol"]["warmup"] == 10
    assert result["model"] == "cloformer_xxs" and result["input_shape"] == [1, 3, 224, 224]
    assert result["artifact"]["sha256"] == executorch_export[1]["sha256"]


def test_what_the_app_cannot_run_comes_back_as_a_failed_result(fake_adb, classpath, small_onnx_export, monkeypatch,
                                                                tmp_path, capsys):
    monkeypatch.setenv("FAKE_APP_CLASSPATH", classpath)
    fake_adb("pixel8:java")
    results = tmp_path / "results"
    # The fake app of the JVM fixture has an ExecuTorch runner only, as a build without ONNX Runtime would.
    assert main(["android", str(small_onnx_export[0]), "--output", str(results), "--timeout", "60"]) == 0
    [written] = results.glob("*.json")
    result = json.loads(written.read_text())
    assert not result["valid"] and result["stats"] is None and result["device"]["serial"] == "pixel8"
    assert "onnxruntime is not in this build" in result["invalid_reasons"][0]
    assert main(["compare", str(results), "--output", str(tmp_path / "cmp")]) == 0
    assert "onnxruntime is not in this build" in capsys.readouterr().out
