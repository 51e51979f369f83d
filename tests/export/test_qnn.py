"""QNN (Snapdragon NPU): the ONNX graph compiled into an EP-context model for one SoC, its parity
and fidelity checked in the HTP emulator (64x64: about 5 s per fp16 inference, 13 s int8)."""
import onnx
import pytest

from cloformer.export.cli import main
from cloformer.export.targets import TARGETS
from cloformer.export.targets.qnn import HTP_PATH

from ..conftest import export

pytest.importorskip("onnxruntime_qnn", reason="onnxruntime-qnn has x86_64 Linux wheels only")


@pytest.fixture(scope="module")
def qnn_fp16(tmp_path_factory):
    return export(tmp_path_factory.mktemp("qnn16"), "--target", "qnn", "--precision", "fp16", "--input-size", "64")


def test_fp16_is_one_context_binary_for_the_soc_checked_in_the_emulator(qnn_fp16):
    path, manifest = qnn_fp16
    assert path.name == "cloformer_xxs_64x64_qnn_sm8650_fp16.onnx" and manifest["backend"] == "SM8650"
    assert [n.op_type for n in onnx.load(str(path)).graph.node] == ["EPContext"]
    qnn = manifest["qnn"]
    assert (qnn["soc_model"], qnn["htp_arch"], qnn["qnn_version"]) == (57, 75, "2.51.0")
    assert qnn["ep_sdk_version"].startswith("v2.51.0")
    assert manifest["parity"]["status"] == "pass"
    [htp] = manifest["placement"]
    # every node ORT hands the EP after its layout transform (more than the ONNX graph's own)
    assert htp["path"] == HTP_PATH and htp["ops_on_path"] == htp["ops"] >= qnn["nodes"] and htp["off"] == []
    fidelity = manifest["fidelity"]
    assert fidelity["images"] == 4 and fidelity["images_from"].startswith("4 evenly spaced of 36")
    assert fidelity["sqnr_db"] > 40  # the HTP's fp16 against fp32 eager
    assert TARGETS["qnn"].io_shapes(path) == ([1, 3, 64, 64], [1, 1000])


def test_int8_runs_on_the_npu_but_the_graph_input_quantize_and_output_dequantize(tmp_path):
    _, manifest = export(tmp_path, "--target", "qnn", "--precision", "int8", "--input-size", "64")
    [htp] = manifest["placement"]
    assert sorted(item["op"] for item in htp["off"]) == ["DequantizeLinear", "QuantizeLinear"]
    assert manifest["parity"]["status"] == "pass" and manifest["fidelity"]["sqnr_db"] > 20


@pytest.mark.parametrize("args, message", [
    ([], "--precision fp32 is not available for --target qnn_sm8650: it takes fp16 (the fp32 graph in fp16 on "
         "the NPU) or int8"),
    (["--precision", "fp16", "--soc", "SM9999"], "argument --soc: invalid choice: 'SM9999' (choose from 'SM8450'"),
])
def test_bad_settings_are_one_line(tmp_path, capsys, args, message):
    assert main(["--target", "qnn", *args, "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and not (tmp_path / "out").exists()


def test_all_leaves_qnn_out_which_is_asked_for_by_name():
    from cloformer.export.cli import request_from_args

    request, _ = request_from_args(["--target", "all"])
    assert "qnn" not in request.targets and set(request.targets) == set(TARGETS) - {"qnn"}
