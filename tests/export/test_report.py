import contextlib
import io

from cloformer.export.cli import main


def test_report_onnx_side_by_side(tmp_path):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--report", "--target", "onnx", "--output", str(tmp_path), "--quiet"]) == 0
    text = out.getvalue()
    assert "| | naive | deploy form |" in text
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[1:] for line in text.splitlines() if line.startswith("| onnx")}
    naive_nodes, deploy_nodes = (int(v.strip(" |")) for v in rows["onnx: nodes"])
    assert deploy_nodes < naive_nodes
    naive_ms, deploy_ms = (float(v.strip(" |")) for v in rows["onnx: onnxruntime median ms"])
    assert naive_ms > 0 and deploy_ms > 0
    assert "onnx deploy / naive:" in text
    nnapi = rows["onnx: ONNX Runtime NNAPI EP (Android)"]
    assert nnapi[0].startswith("584/622 nodes, 39 partition(s); off: InstanceNormalization x26, Erf x12")
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".onnx") == [
        "cloformer_xxs_224x224_onnx_fp32.onnx", "cloformer_xxs_224x224_onnx_naive_fp32.onnx"]
