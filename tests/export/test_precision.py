"""fp16 / int8 exports: parity in each runtime, fidelity against fp32 eager over real images,
sizes, and --min-sqnr. Core ML int8 / palettes and ExecuTorch int8 (~3 min) are slow tests."""
import io
from contextlib import redirect_stdout

import pytest

from cloformer.export import files
from cloformer.export.cli import main

from ..conftest import export

FP32_MB = 16.9  # XXS fp32 weights, every target


def megabytes(artifact) -> float:
    return files.size_bytes(artifact) / 1e6


def test_onnx_fp16(small_export):
    artifact, manifest = small_export("onnx", "fp16")
    assert manifest["precision"] == "fp16" and manifest["parity"]["status"] == "pass"
    fidelity = manifest["fidelity"]
    assert fidelity["status"] == "measured" and fidelity["images"] == 36 and fidelity["sqnr_db"] > 60
    assert "per_module_sqnr_db" not in fidelity and megabytes(artifact) < 0.55 * FP32_MB


def test_onnx_int8_static_and_dynamic(tmp_path):
    artifact, manifest = export(tmp_path, "--target", "onnx", "--precision", "int8")
    fidelity = manifest["fidelity"]
    assert manifest["ops"]["QuantizeLinear"] > 50 and fidelity["sqnr_db"] >= 30
    assert megabytes(artifact) <= 0.30 * FP32_MB
    per_module = fidelity["per_module_sqnr_db"]
    assert list(per_module)[0] == "patch_embed" and len(per_module) == 14 and min(per_module.values()) >= 30
    artifact, manifest = export(tmp_path, "--target", "onnx", "--precision", "int8", "--quantization", "dynamic")
    assert artifact.name == "cloformer_xxs_224x224_onnx_dynamic_int8.onnx" and manifest["fidelity"]["sqnr_db"] >= 30


def test_min_sqnr_fails_the_export_and_leaves_nothing(tmp_path, capsys):
    with redirect_stdout(io.StringIO()):
        code = main(["--target", "onnx", "--precision", "fp16", "--min-sqnr", "99", "--input-size", "64",
                     "--output", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.startswith("cloformer-export: error: onnx fp16 fidelity: SQNR 6")
    assert err.endswith("dB is below --min-sqnr 99; no artifact written")
    assert list(tmp_path.iterdir()) == []


def test_coreml_fp16_in_the_mil_evaluator(small_export):
    artifact, manifest = small_export("coreml", "fp16")
    assert manifest["coreml"]["compute_precision"] == "float16" and manifest["parity"]["runtime"] == "mil-reference"
    assert manifest["parity"]["status"] == "pass" and 55 < manifest["fidelity"]["sqnr_db"] < 70
    assert megabytes(artifact) < 0.55 * FP32_MB


@pytest.mark.slow
@pytest.mark.parametrize("args, max_fraction, min_sqnr", [
    (("--precision", "int8"), 0.30, 35), (("--precision", "fp16", "--compress", "palettize4"), 0.20, 10),
    (("--precision", "fp16", "--compress", "palettize8"), 0.30, 35)])
def test_coreml_compressed_weights(tmp_path, args, max_fraction, min_sqnr):
    artifact, manifest = export(tmp_path, "--target", "coreml", *args)
    assert manifest["parity"]["status"] == "pass" and manifest["fidelity"]["sqnr_db"] >= min_sqnr
    assert megabytes(artifact) <= max_fraction * FP32_MB
    assert any(op.startswith("constexpr_") for op in manifest["ops"]), "weights stored compressed"


def test_coreml_grouped_palettes(tmp_path):
    """4-bit palettes, one table per 16 output channels: the configuration the trained XXS keeps
    within 1 point of fp32 at 16 % of its size (docs/commands/cloformer-eval.md, precision on the trained model)."""
    artifact, manifest = export(tmp_path, "--target", "coreml", "--precision", "fp16", "--compress", "palettize4",
                                "--palette-group", "16", "--deployment-target", "iOS18", "--input-size", "64")
    assert artifact.name == "cloformer_xxs_64x64_coreml_palettize4g16_fp16.mlpackage"
    assert manifest["coreml"]["palette_group"] == 16 and manifest["parity"]["status"] == "pass"
    assert manifest["coreml"]["weights"] == "4-bit palette (k-means, per 16 output channels)"
    assert megabytes(artifact) <= 0.20 * FP32_MB and manifest["fidelity"]["sqnr_db"] > 13.7  # per tensor: 13.7 dB


@pytest.mark.slow
def test_executorch_int8(tmp_path):
    artifact, manifest = export(tmp_path, "--target", "executorch", "--precision", "int8")
    assert manifest["parity"]["status"] == "pass" and manifest["fidelity"]["sqnr_db"] >= 33
    assert megabytes(artifact) <= 0.30 * FP32_MB
    assert manifest["executorch"]["delegated_subgraphs"] == 1 and not manifest["executorch"]["non_delegated_ops"]
    # separate_qkv removes the slices; split_depthwise's pads share their inputs' int8 parameters
    assert manifest["rewrites"][-2:] == ["separate_qkv", "split_depthwise"]
    assert manifest["fidelity"]["per_module_sqnr_db"].startswith("unverified: an int8 module exported alone")
