"""LiteRT: the .tflite keeps NCHW in and out, matches eager in ai-edge-litert's interpreter with its
XNNPACK delegate, says where each op runs, and comes in fp16 and int8 with their fidelity."""
import json
import shutil

import numpy as np
import pytest

from cloformer.export.cli import main
from cloformer.export.manifest import manifest_path
from cloformer.export.targets import TARGETS
from cloformer.export.targets.litert import GPU_PATH, XNNPACK_PATH
from cloformer.runtime_bench.platforms import host
from cloformer.runtime_bench.cli import main as bench
from cloformer.export.contracts.protocol import Protocol

from ...conftest import export


def test_fp32_matches_eager_in_xnnpack_with_nchw_io(litert_export):
    path, manifest = litert_export
    assert path.suffix == ".tflite" and manifest["target"] == "litert" and manifest["backend"] is None
    assert TARGETS["litert"].io_shapes(path) == ([1, 3, 224, 224], [1, 1000])  # NCHW, as the apps feed it
    parity = manifest["parity"]
    assert parity["status"] == "pass" and parity["runtime"] == "ai-edge-litert (XNNPACK)"
    assert parity["max_abs_diff"] < 1e-4 and parity["cosine"] > 0.99999
    assert manifest["rewrites"][-1] == "split_depthwise" and manifest["litert"]["weights"] == "float32"


def test_placement_names_what_leaves_xnnpack_and_the_gpu_list(litert_export):
    _, manifest = litert_export
    xnnpack, gpu = (next(e for e in manifest["placement"] if e["path"] == p) for p in (XNNPACK_PATH, GPU_PATH))
    assert xnnpack["ops"] == manifest["litert"]["ops"] == sum(manifest["ops"].values())
    assert xnnpack["partitions"] == manifest["litert"]["xnnpack_partitions"] <= 3
    assert xnnpack["ops"] - xnnpack["ops_on_path"] == sum(item["count"] for item in xnnpack["off"]) <= 2
    for item in xnnpack["off"]:  # mapped back to the modules they come from
        assert item["modules"] and all(m.startswith("layers.") for m in item["modules"]), item
    assert gpu["ops_on_path"] == gpu["ops"] and gpu["off"] == []  # deploy form: rank <= 4, every op on the list


@pytest.mark.parametrize("precision, weights, max_ratio, min_sqnr", [
    ("fp16", "float16", 0.55, 55.0),
    ("int8", "int8 per channel", 0.40, 25.0),
])
def test_reduced_precision_has_its_fidelity(small_export, precision, weights, max_ratio, min_sqnr):
    fp32_path, _ = small_export("litert")
    path, manifest = small_export("litert", precision)
    assert manifest["litert"]["weights"].startswith(weights) and manifest["parity"]["status"] == "pass"
    assert manifest["size_bytes"] < max_ratio * fp32_path.stat().st_size
    fidelity = manifest["fidelity"]
    assert fidelity["status"] == "measured" and fidelity["images"] == 36 and fidelity["sqnr_db"] > min_sqnr
    if precision == "int8":  # per-module SQNR at the diagnosis cuts (each segment exported alone: unverified)
        assert isinstance(fidelity["per_module_sqnr_db"], str) and "int8" in fidelity["per_module_sqnr_db"]
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, path.name + ".check", path.name + ".json"]  # no fp32 left


def test_fp16_is_marked_for_fp16_arithmetic_with_no_transposed_matmul(small_export):
    """The file carries XNNPACK's fp16-inference hint; every BATCH_MATMUL reads its operands as they are
    (the delegate fails to prepare adj_x with the hint on); x86 ignores the hint: fp32-close outputs."""
    from ai_edge_litert import schema_py_generated as fb
    from ai_edge_litert.tools import flatbuffer_utils

    path, manifest = small_export("litert", "fp16")
    assert manifest["rewrites"][-1] == "means_as_avg_pool" and "float16 on CPUs" in manifest["litert"]["arithmetic"]
    model = flatbuffer_utils.read_model(str(path))
    entry, = [m for m in model.metadata if m.name == b"reduced_precision_support"]
    assert bytes(model.buffers[entry.buffer].data) == b"fp16accfp16"
    matmul = [i for i, c in enumerate(model.operatorCodes) if c.builtinCode == fb.BuiltinOperator.BATCH_MATMUL]
    matmuls = [op for op in model.subgraphs[0].operators if op.opcodeIndex in matmul]
    assert len(matmuls) > 12 and not any(op.builtinOptions.adjX for op in matmuls)  # q·kᵀ and attn·v
    assert manifest["parity"]["status"] == "pass" and manifest["parity"]["max_abs_diff"] < 5e-3  # fp16 weights


def test_host_bench_runs_it_in_litert(litert_export):
    path, manifest = litert_export
    result = host.bench(host.artifact(path), Protocol(warmup=1, rounds=1, iterations=3), threads=1)
    assert result["runtime"]["name"] == "litert" and result["runtime"]["backend"] == "xnnpack"
    assert result["runtime"]["version"] == manifest["versions"]["ai-edge-litert"]
    assert result["artifact"]["sha256"] == manifest["sha256"] and len(result["latencies_ms"]) == 3


def test_bad_artifacts_are_named_before_anything_runs(litert_export, small_onnx_export, tmp_path, capsys):
    path, manifest = litert_export
    truncated = tmp_path / "cut" / path.name
    truncated.parent.mkdir()
    truncated.write_bytes(path.read_bytes()[:100_000])
    shutil.copy(manifest_path(path), manifest_path(truncated))
    other = tmp_path / "other" / path.name  # the manifest of an .onnx beside a .tflite
    other.parent.mkdir()
    other.symlink_to(path)
    shutil.copy(manifest_path(small_onnx_export[0]), manifest_path(other))
    untargeted = tmp_path / "untargeted" / path.name
    untargeted.parent.mkdir()
    untargeted.symlink_to(path)
    manifest_path(untargeted).write_text(json.dumps({k: v for k, v in manifest.items() if k != "target"}))
    for artifact, message in (
            (truncated, f"{truncated} does not match its manifest: sha256 "),
            (other, f"{other} does not fit its manifest, which describes a --target onnx artifact"),
            (untargeted, "field (top level): 'target' is a required property")):
        assert bench(["host", str(artifact), "--output", str(tmp_path / "r")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "r").exists()


def test_options_of_other_targets_are_refused(tmp_path, capsys):
    code = main(["--target", "litert", "--precision", "int8", "--quantization", "dynamic", "--output", str(tmp_path)])
    assert code == 2 and "--quantization does not apply to --target litert; it applies to --target onnx with " \
                          "--precision int8" in capsys.readouterr().err


@pytest.mark.slow
def test_diagnose_exports_each_module_alone(tmp_path):
    from cloformer.export.diagnose_cli import run

    artifact, _ = export(tmp_path, "--target", "litert", "--input-size", "64")
    _, (result,) = run([artifact], quiet=True)
    assert result.reason is None and len(result.rows) == 14 and result.first is None
    assert min(r["sqnr_db"] for r in result.rows.values()) > 100 and np.isfinite(result.min_sqnr)


def test_without_the_extra_the_target_says_how_to_get_it(monkeypatch, tmp_path, capsys):
    from cloformer.export.targets import litert

    monkeypatch.setattr(litert, "missing_modules", lambda *modules: "litert_torch")
    assert main(["--target", "litert", "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("cloformer-export: error: --target litert needs litert-torch, not installed here; "
                           "pip install 'cloformer[litert]' (about 1 GB, with jax)")
    assert not (tmp_path / "out").exists()


def test_where_the_converter_has_no_build_the_target_says_so(monkeypatch, tmp_path, capsys):
    from cloformer.export.targets import litert

    monkeypatch.setattr(litert, "missing_modules", lambda *modules: "litert_torch")
    monkeypatch.setattr(litert.platform, "machine", lambda: "aarch64")  # an ARM Linux board
    assert main(["--target", "litert", "--output", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == (
        "cloformer-export: error: --target litert needs litert-torch, whose converter has no build for this "
        "platform (x86_64 Linux and Apple-silicon macOS only); export LiteRT on one of those")


def test_its_input_name_is_read_from_the_file(small_litert_export):
    # a hosted-device service keys the input data by it (runtime_bench/platforms/aihub)
    assert TARGETS["litert"].input_name(small_litert_export[0]) == "serving_default_args_0"


def test_int8_ranges_cover_every_calibration_image(tmp_path):
    """Each activation range is the min/max over all the calibration images, not ai-edge-quantizer's
    default moving average, which fits the last images: here the widest image comes first (sorted
    names), and 11 low-contrast ones after it moved a moving average's input minimum from -2.12 to -1.30."""
    import litert_torch
    import torch
    from PIL import Image
    from types import SimpleNamespace

    from ai_edge_litert.interpreter import Interpreter
    from cloformer.export.calibration import images
    from cloformer.export.targets.litert import _quantize

    folder = tmp_path / "calib"
    folder.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.choice([0, 255], (32, 32, 3)).astype(np.uint8)).save(folder / "a_wide.png")
    for i in range(11):
        Image.fromarray(rng.integers(110, 146, (32, 32, 3), dtype=np.uint8)).save(folder / f"b_{i}.png")
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1)).eval()
    source, target = tmp_path / "f32.tflite", tmp_path / "int8.tflite"
    litert_torch.convert(model, (torch.zeros(1, 3, 32, 32),)).export(str(source))
    request = SimpleNamespace(precision="int8", calibration_dir=folder, height=32, width=32, batch=1)
    assert _quantize(source, target, request).startswith("int8 per channel")

    batch, _ = images(folder, 32, 32)
    interpreter = Interpreter(model_path=str(target))
    quantized_input, = [t for t in interpreter.get_tensor_details()
                        if t["dtype"] == np.int8 and sorted(t["shape"][1:]) == [3, 32, 32]]
    (scale,), (zero,) = quantized_input["quantization_parameters"]["scales"], \
        quantized_input["quantization_parameters"]["zero_points"]
    low, high = (-128 - zero) * scale, (127 - zero) * scale
    assert low <= float(batch.min()) + scale and high >= float(batch.max()) - scale
