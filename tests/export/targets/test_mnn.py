"""MNN: the shared ONNX graph converted by MNN's own converter matches eager in MNN's Python binding
(its GELU approximation within the target's tolerance); fp16 is MNN's low CPU precision, recorded;
int8 is mnnquant's on the calibration images; the host bench runs it."""
import pytest

from cloformer.export.cli import main
from cloformer.export.contracts.protocol import Protocol
from cloformer.export.targets import TARGETS
from cloformer.export.targets.mnn import PATH
from cloformer.runtime_bench.platforms import host


def test_fp32_matches_eager_in_mnn(small_mnn_export):
    path, manifest = small_mnn_export
    assert path.suffix == ".mnn" and TARGETS["mnn"].io_shapes(path) == ([1, 3, 64, 64], [1, 1000])
    parity = manifest["parity"]
    assert parity["status"] == "pass" and parity["max_abs_diff"] < 1e-3 and parity["cosine"] > 0.99999
    assert manifest["backend"] == "cpu" and manifest["mnn"]["precision"] == "high"
    assert manifest["mnn"]["input"] == "input" and manifest["mnn"]["output"] == "logits"
    assert manifest["ops"]["LayerNorm"] == 26 and manifest["ops"]["GELU"] == 12  # MNN's own fused kernels


def test_placement_counts_the_data_movement(small_mnn_export):
    _, manifest = small_mnn_export
    entry, = manifest["placement"]
    assert entry["path"] == PATH and entry["ops"] - entry["ops_on_path"] == sum(i["count"] for i in entry["off"])
    moved = {item["op"] for item in entry["off"]}
    assert {"Permute (data movement)", "ConvertTensor (data movement)"} <= moved
    assert not any(op.startswith(("Convolution", "MatMul")) for op in moved)
    reshapes = next(item for item in entry["off"] if item["op"] == "Reshape (data movement)")
    assert "layers.0.blocks.0.norm1" in reshapes["modules"]  # MNN's LayerNorm for a GroupNorm: a reshape each side


@pytest.mark.parametrize("precision, backend, max_ratio, min_sqnr", [
    ("fp16", "cpu-fp16", 0.55, 50.0),
    ("int8", "cpu", 0.35, 25.0),
])
def test_reduced_precision_has_its_fidelity(request, small_mnn_export, precision, backend, max_ratio, min_sqnr):
    path, manifest = request.getfixturevalue(f"small_mnn_{precision}_export")
    assert manifest["backend"] == backend and manifest["parity"]["status"] == "pass"
    assert manifest["size_bytes"] < max_ratio * small_mnn_export[1]["size_bytes"]
    fidelity = manifest["fidelity"]
    assert fidelity["status"] == "measured" and fidelity["images"] == 36 and fidelity["sqnr_db"] > min_sqnr
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, path.name + ".check", path.name + ".json"]


def test_host_bench_runs_it(small_mnn_export):
    path, manifest = small_mnn_export
    result = host.bench(host.artifact(path), Protocol(warmup=1, rounds=1, iterations=3), threads=1)
    assert result["runtime"]["name"] == "mnn" and result["runtime"]["backend"] == "cpu"
    assert result["runtime"]["version"] == manifest["versions"]["MNN"] == "3.6.1"
    assert result["check"]["status"] == "pass" and len(result["latencies_ms"]) == 3


def test_without_the_extra_the_target_says_how_to_get_it(monkeypatch, tmp_path, capsys):
    from cloformer.export.targets import mnn

    monkeypatch.setattr(mnn, "missing_modules", lambda *modules: "MNN")
    assert main(["--target", "mnn", "--output", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == ("cloformer-export: error: --target mnn needs MNN, not installed here; "
                                               "pip install 'cloformer[mnn]'")


def test_diagnose_holds_mnn_fp32_to_its_own_floor(small_mnn_export):
    """MNN's GELU approximation costs XXS's blocks 79-93 dB: the target's fp32 floor is 70 dB, not 80."""
    from cloformer.export.diagnose_cli import run

    _, (result,) = run([small_mnn_export[0]], quiet=True)
    assert result.min_sqnr == 70.0 and result.first is None and len(result.rows) == 14
    assert 70 < min(r["sqnr_db"] for r in result.rows.values()) < 100
