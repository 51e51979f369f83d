"""QNN (Snapdragon NPU): the ONNX graph compiled into an EP-context model for one SoC, its parity
and fidelity checked in the HTP emulator (64x64: about 5 s per fp16 inference, 13 s int8)."""
import json

import onnx
import pytest

from cloformer.export.cli import main
from cloformer.export.errors import ExportError
from cloformer.export.targets import TARGETS
from cloformer.export.targets.qnn import COMPATIBILITY_KEY, HTP_PATH

from ...conftest import export

pytest.importorskip("onnxruntime_qnn", reason="onnxruntime-qnn has x86_64 Linux wheels only")


@pytest.fixture
def qnn_fp16(small_qnn_export):
    return small_qnn_export


def test_fp16_is_one_context_binary_for_the_soc_checked_in_the_emulator(qnn_fp16):
    path, manifest = qnn_fp16
    assert path.name == "cloformer_xxs_64x64_qnn_sm8650_fp16.onnx" and manifest["backend"] == "SM8650"
    assert [n.op_type for n in onnx.load(str(path)).graph.node] == ["EPContext"]
    qnn = manifest["qnn"]
    assert (qnn["soc_model"], qnn["htp_arch"], qnn["qnn_version"]) == (57, 75, "2.51.0")
    assert qnn["ep_sdk_version"].startswith("v2.51.0")
    # the EP's own record of the binary (backend 6 = HTP, SDK, API, arch, SoC), which the app hands back to the EP
    assert qnn["compatibility"].startswith("v2:6:2.51.0:5.51.0:75:57:")
    # the QNN graph the HTP compiler got: convolutions, and layout Transposes at the graph's NCHW edges
    assert qnn["graph_ops"]["Conv2d"] >= 20 and qnn["graph_ops"]["Transpose"] >= 2
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


def test_an_int8_only_npu_gets_every_op_quantized(tmp_path):
    """The 8s Gen 3's HTP refuses float ops: the whole graph is quantized (GELU fused first)."""
    _, manifest = export(tmp_path, "--target", "qnn", "--soc", "SM8635", "--precision", "int8", "--input-size", "64")
    [htp] = manifest["placement"]
    assert sorted(item["op"] for item in htp["off"]) == ["DequantizeLinear", "QuantizeLinear"]
    assert manifest["qnn"]["quantized"] == "every op" and manifest["qnn"]["htp_arch"] == 73
    assert "Gelu" in manifest["ops"] and "Erf" not in manifest["ops"]
    assert manifest["parity"]["status"] == "pass" and manifest["fidelity"]["sqnr_db"] > 25


def test_a_context_for_another_soc_is_refused_not_emulated(qnn_fp16):
    """The emulator would run an SM8650 binary under any SoC's options; a phone would not."""
    path, _ = qnn_fp16
    with pytest.raises(ExportError, match=r"^cloformer_xxs_64x64_qnn_sm8650_fp16.onnx was compiled for SM8650 "
                                          r"\(HTP v75\), not SM8750 \(Snapdragon 8 Elite\): re-export it with "
                                          r"--target qnn --soc SM8750$"):
        TARGETS["qnn"].runner(path, "SM8750")


def test_a_damaged_context_binary_is_one_line(qnn_fp16, tmp_path):
    path, _ = qnn_fp16
    model = onnx.load(str(path))
    context = next(a for a in model.graph.node[0].attribute if a.name == "ep_cache_context")
    context.s = bytes(64) + context.s[64:]  # the binary's header
    damaged = tmp_path / path.name
    onnx.save(model, str(damaged))
    with pytest.raises(ExportError, match=r"^cloformer_xxs_64x64_qnn_sm8650_fp16.onnx: QNN cannot load its context "
                                          r"binary \(Failed to load from EpContext model. Failed to get context "
                                          r"binary info.\); the file is damaged: re-export it$"):
        TARGETS["qnn"].runner(damaged, "SM8650")
    foreign = tmp_path / "foreign.onnx"
    next(p for p in model.metadata_props if p.key == COMPATIBILITY_KEY).value = "v3:6:2.60.0"
    onnx.save(model, str(foreign))
    with pytest.raises(ExportError, match=r"^the QNN context's compatibility record 'v3:6:2.60.0' is not the v2 format"):
        TARGETS["qnn"].runner(foreign, "SM8650")
    plain = tmp_path / "plain.onnx"
    del model.metadata_props[:]
    onnx.save(model, str(plain))
    with pytest.raises(ExportError, match=f"is not a QNN context model \\(no {COMPATIBILITY_KEY}\\)"):
        TARGETS["qnn"].runner(plain, "SM8650")


def test_diagnose_runs_each_module_compiled_alone_in_the_emulator(qnn_fp16):
    from cloformer.export.diagnose_cli import run

    path, _ = qnn_fp16
    _, [diagnosis] = run([path], quiet=True)
    assert diagnosis.reason is None and len(diagnosis.rows) == 14  # patch embed, 12 blocks, head
    assert not diagnosis.diverged and min(row["sqnr_db"] for row in diagnosis.rows.values()) > 45


def test_cloformer_bench_android_runs_it_on_the_qnn_backend(qnn_fp16, fake_adb, tmp_path):
    """The artifact goes to the app with a manifest naming the runner and backend its target declares
    (the app: core/Manifest.java, core/Qnn.java); the driver itself names neither."""
    from cloformer.runtime_bench.cli import main as bench

    path, record = qnn_fp16
    assert record["apps"] == {"android": {"runner": "onnxruntime", "backend": "qnn"}}
    root = fake_adb("s24:ok")
    assert bench(["android", str(path), "--output", str(tmp_path / "results"), "--timeout", "5"]) == 0
    pushed = json.loads((root / "s24" / "data/local/tmp/cloformer" / (path.name + ".json")).read_text())
    assert pushed["apps"] == record["apps"]
    [start] = [line for line in (root / "calls.log").read_text().splitlines() if " am start " in line]
    assert "backend" not in start


@pytest.mark.parametrize("args, message", [
    ([], "--precision fp32 is not available for --target qnn with --soc SM8650: it takes fp16 (the fp32 graph in fp16 on "
         "the NPU) or int8"),
    (["--precision", "fp16", "--soc", "SM9999"], "argument --soc: invalid choice: 'SM9999' (choose from 'SM8450'"),
    (["--precision", "int8", "--calibration-dir", "{empty}"], "has 0 readable image(s)"),
    (["--precision", "fp16", "--soc", "SM8635"], "--precision fp16 is not available for --target qnn with --soc SM8635: the NPU "
                                                 "of SM8635 (Snapdragon 8s Gen 3) computes int8 only: use --precision int8"),
])
def test_bad_settings_are_one_line(tmp_path, capsys, args, message):
    (tmp_path / "empty").mkdir()
    args = [a.format(empty=tmp_path / "empty") for a in args]
    assert main(["--target", "qnn", *args, "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and not (tmp_path / "out").exists()


def test_all_leaves_qnn_out_which_is_asked_for_by_name():
    from cloformer.export.cli import request_from_args

    request, _ = request_from_args(["--target", "all"])
    assert "qnn" not in request.targets and set(request.targets) == set(TARGETS) - {"qnn"}


@pytest.mark.parametrize("soc, line", [
    ("QTI SM8650", None),
    ("Qualcomm Technologies, Inc SM8650", None),
    ("sm8650", None),  # one word (Android's Build.HARDWARE) names no SoC model: the runtime decides
    ("QTI SM8550", "the QNN context was compiled for SM8650 (Snapdragon 8 Gen 3); this phone's SoC is QTI SM8550: "
                   "re-export it for this phone with cloformer-export --target qnn --soc SM8550"),
    ("Google Tensor G3", "the QNN context was compiled for SM8650 (Snapdragon 8 Gen 3); this phone's SoC is Google "
                         "Tensor G3, not a Snapdragon: QNN context models run on Snapdragon phones only"),
])
def test_a_device_of_another_soc_is_refused_in_the_android_apps_words(soc, line):
    # the same words as android_app core/Qnn.java, so a phone and a hosted device refuse alike
    manifest = {"qnn": {"soc": "SM8650", "soc_name": "Snapdragon 8 Gen 3"}}
    assert TARGETS["qnn"].device_problem(manifest, soc) == line
