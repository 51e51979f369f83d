"""`cloformer-bench android` driving the app's own headless logic (core.Headless, what
BenchmarkActivity runs) through a fake adb: extras sent, parsed by the Java code, the job run with a
fake runner, `<run_id>.json` written where the app writes it, pulled and schema-checked by Python."""
import hashlib
import json

from cloformer.export.inputs import preprocessing
from cloformer.runtime_bench.cli import main


def exported(tmp_path, sha256: str | None = None):
    """An artifact and a manifest with the fields the app reads, as cloformer-export writes them."""
    path = tmp_path / "exports" / "cloformer_xxs_224x224_executorch_xnnpack_fp32.pte"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"a stand-in .pte")
    manifest = {"model": "cloformer_xxs", "target": "executorch", "backend": "xnnpack", "precision": "fp32",
                "sha256": sha256 or hashlib.sha256(path.read_bytes()).hexdigest(), "num_classes": 1000,
                "input_shape": [1, 3, 224, 224], "preprocessing": preprocessing(224, 224)}
    path.with_name(path.name + ".json").write_text(json.dumps(manifest))
    return path


def test_android_bench_through_the_apps_headless_path(fake_adb, classpath, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("FAKE_APP_CLASSPATH", classpath)
    fake_adb("pixel8:java")
    results = tmp_path / "results"
    args = ["android", str(exported(tmp_path)), "--threads", "2", "--output", str(results), "--timeout", "60"]
    assert main(args) == 0
    [written] = results.glob("*.json")
    result = json.loads(written.read_text())  # validated against the schema on pull
    assert result["valid"] and result["tool"]["name"] == "android_app" and result["device"]["serial"] == "pixel8"
    assert result["runtime"] == {"name": "executorch", "version": "1.5.1", "backend": "xnnpack", "threads": 2}
    assert len(result["latencies_ms"]) == 50 and result["protocol"]["warmup"] == 10
    assert result["model"] == "cloformer_xxs" and result["input_shape"] == [1, 3, 224, 224]


def test_what_the_app_cannot_run_comes_back_as_a_failed_result(fake_adb, classpath, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("FAKE_APP_CLASSPATH", classpath)
    fake_adb("pixel8:java")
    results = tmp_path / "results"
    artifact = exported(tmp_path, sha256="ab" * 32)  # the manifest of another export
    assert main(["android", str(artifact), "--output", str(results), "--timeout", "60"]) == 0
    [written] = results.glob("*.json")
    result = json.loads(written.read_text())
    assert not result["valid"] and result["stats"] is None and result["device"]["serial"] == "pixel8"
    assert "differs from its manifest's abababababab" in result["invalid_reasons"][0]
    assert main(["compare", str(results), "--output", str(tmp_path / "cmp")]) == 0
    assert "differs from its manifest's" in capsys.readouterr().out
