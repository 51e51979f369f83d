import pytest

from cloformer.export.errors import UsageError
from cloformer.runtime_bench.platforms import host
from cloformer.export.contracts.protocol import Protocol

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
    check = result["check"]
    assert check["status"] == "pass" and check["reason"] is None
    assert [c["name"] for c in check["cases"]] == ["astronaut", "random"]
    assert all(c["max_abs_diff"] < 1e-4 and c["sqnr_db"] > 60 and c["top5_agreement"] == 1.0 for c in check["cases"])


def test_eager_torch():
    result = host.bench(host.eager("cloformer_xxs", [1, 3, 224, 224]), QUICK, threads=2)
    assert result["runtime"]["name"] == "torch" and result["artifact"] == {"path": None, "sha256": None}
    assert result["check"] == {"status": "absent", "reason": "eager torch is the reference itself",
                               "tolerance": None, "cases": []}


def test_wrong_outputs_make_the_result_invalid_and_keep_the_latency(onnx_export):
    """The same bundle as the passing run above; the real runtime's outputs, 1 % off (a delegate bug)."""
    subject = host.artifact(onnx_export[0])
    real = subject.load
    subject.load = lambda threads: (lambda x, run=real(threads): run(x) * 1.01)
    result = host.bench(subject, QUICK, threads=1)
    check = result["check"]
    assert check["status"] == "fail" and not result["valid"]
    assert result["invalid_reasons"][0] == "outputs differ from the reference: " + check["reason"]
    assert check["reason"].startswith("astronaut max abs diff ") and "dB < 47 dB" in check["reason"]
    assert all(39 < c["sqnr_db"] < 41 and c["top5_agreement"] == 1.0 for c in check["cases"])  # 1 %: 40 dB
    assert len(result["latencies_ms"]) == 3 and result["stats"]["median"] > 0


def test_an_artifact_copied_without_its_bundle_runs_with_check_absent(onnx_export, tmp_path):
    path, _ = onnx_export
    for name in (path.name, path.name + ".json"):
        (tmp_path / name).write_bytes((path.parent / name).read_bytes())
    result = host.bench(host.artifact(tmp_path / path.name), QUICK, threads=1)
    assert result["check"]["status"] == "absent" and len(result["latencies_ms"]) == 3
    assert result["check"]["reason"] == (f"{path.name}.check is missing: copy the artifact's "
                                         ".check folder beside it")
    assert result["invalid_reasons"] == ["too few iterations: 3 < 30"]


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
