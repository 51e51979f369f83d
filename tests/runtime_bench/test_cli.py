import pytest

from cloformer.runtime_bench import result as results
from cloformer.runtime_bench.cli import main

from ..conftest import IPHONE, make_result


def test_host_then_compare(onnx_export, coreml_export, tmp_path, capsys):
    path, _ = onnx_export
    results = tmp_path / "results"
    assert main(["host", str(path), str(coreml_export[0]), "--warmup", "0", "--rounds", "1", "--iterations", "2",
                 "--threads", "1", "--output", str(results)]) == 0
    measured, skipped = capsys.readouterr().out.strip().splitlines()
    assert measured.startswith("cloformer_xxs onnxruntime (CPUExecutionProvider): check pass, median ") and "INVALID: too few" in measured
    assert skipped.startswith("skipped cloformer_xxs coreml (coreml): coreml latency is measured on its devices")
    assert main(["compare", str(results), "--output", str(tmp_path / "cmp")]) == 0
    out = capsys.readouterr().out
    assert "| cloformer_xxs | 224x224 | onnxruntime | CPUExecutionProvider | fp32 | 1 |" in out
    assert "| pass (" in out
    assert out.rstrip().endswith("latency.png")


@pytest.mark.parametrize("argv, message", [
    (["host"], "nothing to measure: pass ARTIFACT paths or --model"),
    (["host", "--model", "cloformer_xxs", "--runtimes", "tflite"], "--runtimes: unknown tflite"),
    (["host", "--model", "cloformer_xxs", "--threads", "0"], "argument --threads: 0 is out of range"),
    (["host", "--model", "cloformer_xxs", "--iterations", "0"], "argument --iterations: 0 is out of range"),
    (["host", "--model", "cloformer_xxs", "--sustained", "-1"], "argument --sustained: -1 is out of range"),
    (["host", "--model", "cloformer_xxs", "--input-size", "250"], "multiple of 32"),
    (["host", "--model", "cloformer_xxl"], "invalid choice: 'cloformer_xxl'"),
    (["host", "missing.onnx"], "missing.onnx does not exist; pass an artifact written by cloformer-export"),
    (["compare", "nowhere"], "nowhere does not exist"),
    (["bench"], "invalid choice: 'bench'"),
])
def test_usage_errors_are_one_line_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("cloformer-bench: error: ") and message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # nothing written, no exports started


def test_only_unmeasurable_artifacts_is_a_usage_error(coreml_export, tmp_path, capsys):
    assert main(["host", str(coreml_export[0]), "--output", str(tmp_path / "r")]) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith("skipped cloformer_xxs coreml (coreml)")
    assert "nothing could be measured on this machine" in captured.err and not (tmp_path / "r").exists()


def test_a_schema_breaking_result_is_named(tmp_path, capsys):
    bad = tmp_path / "r.json"
    bad.write_text('{"schema_version": 1}')
    assert main(["compare", str(bad), "--output", str(tmp_path / "cmp")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: field (top level): 'created' is a required property" in err and err.count("\n") == 1
    assert not (tmp_path / "cmp").exists()


@pytest.fixture
def exports(onnx_export, executorch_export, litert_export, ncnn_export, mnn_export, tmp_path):
    """The session's XXS exports where `all` looks for them (so it exports nothing itself)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    for path, _ in (onnx_export, executorch_export, litert_export, ncnn_export, mnn_export):
        for f in (path, path.with_name(path.name + ".json")):
            (folder / f.name).symlink_to(f)
    return folder


def test_all_runs_host_and_devices_then_merges(exports, fake_adb, tmp_path, capsys):
    ios_dir = tmp_path / "ios"
    results.write(make_result(runtime="coreml", backend="all", device=IPHONE), ios_dir)
    fake_adb("pixel8:ok")
    assert main(["all", "--exports", str(exports), "--ios-results", str(ios_dir), "--warmup", "0", "--rounds", "1",
                 "--iterations", "2", "--output", str(tmp_path / "results"),
                 "--comparison", str(tmp_path / "cmp")]) == 0
    out = capsys.readouterr().out
    for runtime in ("torch | eager", "onnxruntime | CPUExecutionProvider", "executorch | xnnpack", "litert | xnnpack",
                    "ncnn | cpu", "mnn | cpu"):
        assert f"(host) | cloformer_xxs | 224x224 | {runtime} |" in out
    assert out.count("| Pixel 8 (android) |") == 3  # the .onnx, .tflite and .pte on the phone
    assert "| iPhone15,2 (ios) | cloformer_xxs | 224x224 | coreml | all |" in out
    assert (tmp_path / "cmp" / "latency.png").exists()


def test_all_without_devices_says_what_it_skipped(exports, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no adb
    assert main(["all", "--exports", str(exports), "--warmup", "0", "--rounds", "1", "--iterations", "2",
                 "--output", str(tmp_path / "results"), "--comparison", str(tmp_path / "cmp")]) == 0
    out = capsys.readouterr().out
    assert "skipped android: adb not found on PATH" in out and "skipped ios: no --ios-results DIR" in out
    assert out.count("(host) | cloformer_xxs |") == 6


@pytest.mark.parametrize("manifest, field", [
    ("{}", "field (top level): "),  # was `KeyError: 'target'`, exit 1
    ('{"target": "onnx"}', "field (top level): "),
    ("[1, 2]", "field (top level): a manifest is a JSON object, not list"),
    ('{"schema_version": NaN}', "not JSON (NaN is not JSON)"),
])
def test_a_broken_manifest_is_one_line_exit_2(small_onnx_export, tmp_path, capsys, manifest, field):
    artifact = tmp_path / small_onnx_export[0].name
    artifact.symlink_to(small_onnx_export[0])
    artifact.with_name(artifact.name + ".json").write_text(manifest)
    assert main(["host", str(artifact), "--output", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{artifact}.json: {field}" in err, err
    assert not (tmp_path / "r").exists()
