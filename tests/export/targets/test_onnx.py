import numpy as np
import onnx
import onnxruntime as ort
import torch

from cloformer.export import files
from cloformer.export.inputs import real_image
from cloformer.models import create_model

from ...conftest import export


def test_manifest_and_parity(onnx_export, checkpoint):
    path, manifest = onnx_export
    assert path.name == "cloformer_xxs_224x224_onnx_fp32.onnx"
    assert manifest["target"] == "onnx" and manifest["precision"] == "fp32" and manifest["backend"] is None
    assert manifest["parity"]["runtime"] == "onnxruntime" and manifest["parity"]["status"] == "pass"
    assert manifest["parity"]["max_abs_diff"] < 1e-4
    assert manifest["weights"] == {"checkpoint": str(checkpoint), "sha256": files.sha256(checkpoint)}
    assert manifest["sha256"] == files.sha256(path) and manifest["size_bytes"] == path.stat().st_size
    assert sum(manifest["ops"].values()) == manifest["onnx"]["nodes"]
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, path.name + ".check", path.name + ".json"]


def test_artifact_is_valid_and_computes_the_checkpoint_model(onnx_export, checkpoint):
    path, _ = onnx_export
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == 18
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = real_image(224, 224)
    got = session.run(None, {"input": x.numpy()})[0]
    with torch.no_grad():
        expected = create_model("cloformer_xxs", checkpoint=checkpoint)(x).numpy()
    assert np.abs(got - expected).max() < 1e-4
    assert got.argmax() == expected.argmax()


def test_same_inputs_give_byte_identical_onnx(onnx_export, checkpoint, tmp_path):
    path, _ = onnx_export
    again, _ = export(tmp_path, "--target", "onnx", "--checkpoint", str(checkpoint))
    assert again.read_bytes() == path.read_bytes()


def test_rewrites_listed_and_no_rewrite_exports_the_naive_graph(onnx_export, checkpoint, tmp_path):
    _, manifest = onnx_export
    assert manifest["rewrites"] == ["fold_norm_affine", "local_qkv_slices", "global_attention_bmm"]
    path, naive = export(tmp_path, "--target", "onnx", "--no-rewrite", "--checkpoint", str(checkpoint))
    assert path.name == "cloformer_xxs_224x224_onnx_naive_fp32.onnx"
    assert naive["rewrites"] == [] and naive["parity"]["status"] == "pass"
    # the naive graph still splits q, k, v with rank-5 Split/Squeeze; the deploy form does not
    assert naive["ops"]["Squeeze"] > 0 and "Squeeze" not in manifest["ops"]
    assert manifest["onnx"]["nodes"] < naive["onnx"]["nodes"]
