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


def test_fp16_computes_the_fast_kernels_in_fp16_and_the_rest_in_fp32(small_export):
    """fp16: HALF_OPS read fp16 tensors, every other arithmetic op fp32, each tensor cast at most once
    per precision, fp32 in and out; within the fp16 tolerance of eager."""
    from cloformer.export.targets.onnx.fp16 import HALF_OPS, MOVERS, NOT_DATA

    path, manifest = small_export("onnx", "fp16")
    proto = onnx.shape_inference.infer_shapes(onnx.load(str(path)))
    graph = proto.graph
    types = {v.name: v.type.tensor_type.elem_type for v in (*graph.value_info, *graph.input, *graph.output)}
    types.update({w.name: w.data_type for w in graph.initializer})
    F16, F32 = onnx.TensorProto.FLOAT16, onnx.TensorProto.FLOAT
    assert types[graph.input[0].name] == types[graph.output[0].name] == F32
    for node in graph.node:
        data = {types[x] for i, x in enumerate(node.input) if x and i not in NOT_DATA.get(node.op_type, ())}
        if node.op_type in HALF_OPS:
            assert data == {F16}, node.name
        elif node.op_type not in MOVERS | {"Cast"}:
            assert F16 not in data, node.name
    casts = [(n.input[0], n.attribute[0].i) for n in graph.node if n.op_type == "Cast"]
    assert len(casts) == len(set(casts)) and manifest["ops"]["Conv"] == sum(n.op_type == "Conv" for n in graph.node)
    assert manifest["parity"]["status"] == "pass" and manifest["parity"]["max_abs_diff"] < 5e-3
