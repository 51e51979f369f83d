"""`cloformer-bench android` against a fake adb (tests/runtime_bench/platforms/fake_adb.py) on PATH."""
import json

import pytest

from cloformer.runtime_bench.cli import main


@pytest.fixture
def artifact(small_onnx_export):
    """A real artifact with its manifest (the driver checks them, then pushes them)."""
    return small_onnx_export[0]


def test_push_run_pull_validate_then_merged_table(fake_adb, artifact, tmp_path, capsys):
    root = fake_adb("pixel8:ok,s24:ok")
    results = tmp_path / "results"
    assert main(["android", str(artifact), "--threads", "2", "--output", str(results), "--timeout", "5"]) == 0
    out = capsys.readouterr().out
    assert out.count(": ") == 2 and "pixel8: " in out and "s24: " in out
    for serial in ("pixel8", "s24"):  # artifact and manifest pushed to each phone
        assert (root / serial / "data/local/tmp/cloformer" / artifact.name).read_bytes() == artifact.read_bytes()
        assert (root / serial / "data/local/tmp/cloformer" / (artifact.name + ".json")).exists()
    calls = (root / "calls.log").read_text()
    assert "am start -W -n org.cloformer.bench/.BenchmarkActivity --es artifact /data/local/tmp/cloformer/" in calls
    assert "--ei warmup 10 --ei rounds 5 --ei iterations 10 --ei threads 2" in calls
    files = sorted(results.glob("*.json"))
    assert len(files) == 2 and not list(results.glob(".*"))  # pulled temp files are gone
    assert sorted(json.loads(f.read_text())["device"]["serial"] for f in files) == ["pixel8", "s24"]
    assert main(["compare", str(results), "--output", str(tmp_path / "cmp")]) == 0
    assert capsys.readouterr().out.count("| Pixel 8 (android) | cloformer_xxs |") == 2


def test_a_device_that_times_out_and_one_with_a_bad_result_do_not_stop_the_good_one(fake_adb, artifact, tmp_path,
                                                                                     capsys):
    fake_adb("good:ok,slow:timeout,broken:badschema,bare:noapp")
    results = tmp_path / "results"
    assert main(["android", str(artifact), "--output", str(results), "--timeout", "1"]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert any(line.startswith("good: ") for line in lines)
    assert f"device failed: slow: no result for {artifact.name} after 1 s" in captured.out
    assert "device failed: broken: the app's result breaks the schema: field (top level): 'stats' is a required property" in captured.out
    assert "device failed: bare: the benchmark app (org.cloformer.bench) is not installed; adb install" in captured.out
    assert captured.err.strip() == "cloformer-bench: error: 3 device(s) failed (lines above); 1 result(s) written"
    assert len(list(results.glob("*.json"))) == 1


@pytest.mark.parametrize("devices, argv, message", [
    ("", [], "no Android device attached"),
    ("pixel8:ok", ["--serial", "s24"], "--serial s24 not attached; attached: pixel8"),
])
def test_no_device_is_a_usage_error(fake_adb, artifact, devices, argv, message, capsys):
    fake_adb(devices)
    assert main(["android", str(artifact), *argv]) == 2
    assert message in capsys.readouterr().err


def test_no_adb_is_a_usage_error(artifact, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["android", str(artifact)]) == 2
    assert "adb not found on PATH" in capsys.readouterr().err


def test_only_what_the_app_runs_with_checked_manifests(fake_adb, coreml_export, artifact, tmp_path, capsys):
    root = fake_adb("pixel8:ok")
    assert main(["android", str(coreml_export[0])]) == 2
    assert "the Android app runs .onnx, .tflite, .pte artifacts" in capsys.readouterr().err
    lonely = tmp_path / artifact.name
    lonely.write_bytes(artifact.read_bytes())
    assert main(["android", str(lonely)]) == 2
    assert f"{lonely} has no manifest beside it" in capsys.readouterr().err
    assert not (root / "pixel8").exists()  # refused before any device was touched
