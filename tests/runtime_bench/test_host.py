import pytest

from cloformer.export.errors import UsageError
from cloformer.runtime_bench import host
from cloformer.runtime_bench.protocol import Protocol

QUICK = Protocol(warmup=1, rounds=1, iterations=3)


@pytest.mark.parametrize("fixture, runtime, backend", [
    ("onnx_export", "onnxruntime", "CPUExecutionProvider"),
    ("executorch_export", "executorch", "xnnpack"),
])
def test_artifacts_run_in_their_runtime(request, fixture, runtime, backend):
    path, manifest = request.getfixturevalue(fixture)
    result = host.bench(host.artifact(path), QUICK, threads=1)
    assert (result["runtime"]["name"], result["runtime"]["backend"], result["runtime"]["threads"]) == (runtime, backend, 1)
    assert result["artifact"] == {"path": str(path), "sha256": manifest["sha256"]}
    assert result["model"] == "cloformer_xxs" and result["input_shape"] == [1, 3, 224, 224]
    assert len(result["latencies_ms"]) == 3 and result["stats"]["min"] > 0 and result["load_ms"] > 0
    assert result["memory"]["peak_rss_mb"] > 50 and result["device"]["kind"] == "host"
    assert result["invalid_reasons"] == ["too few iterations: 3 < 30"] and not result["valid"]


def test_eager_torch():
    result = host.bench(host.eager("cloformer_xxs", [1, 3, 224, 224]), QUICK, threads=2)
    assert result["runtime"]["name"] == "torch" and result["artifact"] == {"path": None, "sha256": None}


def test_what_cannot_run_here_is_skipped_with_the_reason(coreml_export, tmp_path):
    path, _ = coreml_export
    said = []
    assert host.run([host.artifact(path)], QUICK, 1, tmp_path, say=said.append) == []
    assert said[0] == ("skipped cloformer_xxs coreml (coreml): coreml latency is measured on its devices (the apps); "
                       "here mil-reference checks its numerics only")
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_an_artifact_needs_its_manifest(onnx_export, tmp_path):
    lonely = tmp_path / "m.onnx"
    lonely.write_bytes(onnx_export[0].read_bytes())
    with pytest.raises(UsageError, match="has no manifest beside it"):
        host.artifact(lonely)
    with pytest.raises(UsageError, match="does not exist"):
        host.artifact(tmp_path / "nothing.pte")
