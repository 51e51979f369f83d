import pytest
import torch
from executorch.runtime import Runtime

from cloformer.export.inputs import real_image
from cloformer.models import create_model

from ...conftest import export


def test_manifest_and_parity(executorch_export):
    path, manifest = executorch_export
    assert path.name == "cloformer_xxs_224x224_executorch_xnnpack_fp32.pte"
    assert manifest["backend"] == "xnnpack" and manifest["parity"]["runtime"] == "executorch.runtime"
    assert manifest["parity"]["status"] == "pass" and manifest["parity"]["max_abs_diff"] < 1e-4
    assert manifest["rewrites"] == ["fold_batchnorm", "groupnorm_as_mean", "fold_norm_affine", "local_qkv_slices",
                                    "global_attention_bmm", "split_depthwise"]
    delegation = manifest["executorch"]
    # The deploy form runs whole inside XNNPACK: one subgraph, nothing outside.
    assert delegation["delegated_subgraphs"] == 1 and delegation["non_delegated_ops"] == {}
    assert manifest["ops"] == {"executorch_call_delegate": 1}
    # 131 convs, less 8 large depthwise ones each split into four 5x5 pieces; BN folded away
    assert delegation["delegated_ops"]["aten_convolution_default"] == 131 + 8 * 3
    assert "aten__native_batch_norm_legit_no_training_default" not in delegation["delegated_ops"]
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, path.name + ".check", path.name + ".json"]


def test_pte_runs_in_the_runtime_like_eager(executorch_export):
    path, _ = executorch_export
    method = Runtime.get().load_program(path).load_method("forward")
    x = real_image(224, 224)
    got = method.execute([x])[0]
    with torch.no_grad():
        expected = create_model("cloformer_xxs")(x)
    assert (got - expected).abs().max().item() < 1e-4


@pytest.mark.slow
def test_same_inputs_give_byte_identical_pte(executorch_export, tmp_path):
    path, _ = executorch_export
    again, _ = export(tmp_path, "--target", "executorch")
    assert again.read_bytes() == path.read_bytes()


def test_fp16_is_one_xnnpack_delegate_behind_fp32_inputs_and_outputs(small_export):
    """fp16 arithmetic: the whole graph in fp16 inside XNNPACK; only the casts of the input and the output
    stay outside; the artifact keeps the fp32 interface and passes the fp16 check."""
    path, manifest = small_export("executorch", "fp16")
    assert manifest["rewrites"][-4:] == ["split_depthwise", "means_as_avg_pool", "silu_as_sigmoid", "gelu_as_sigmoid"]
    delegation = manifest["executorch"]
    assert delegation["delegated_subgraphs"] == 1
    assert delegation["non_delegated_ops"] == {"dim_order_ops__to_dim_order_copy_default": 2}
    assert "aten_mean_dim" not in delegation["delegated_ops"] and "aten_gelu_default" not in delegation["delegated_ops"]
    assert manifest["parity"]["status"] == "pass" and manifest["parity"]["tolerance"]["max_abs_diff"] == 5e-2
    assert manifest["fidelity"]["sqnr_db"] > 40  # fp16 arithmetic, not a broken graph
    method = Runtime.get().load_program(path).load_method("forward")
    assert method.execute([real_image(64, 64)])[0].dtype == torch.float32


def test_portable_backend_runs_without_delegate(executorch_portable_export):
    path, manifest = executorch_portable_export
    assert path.name == "cloformer_xxs_224x224_executorch_portable_fp32.pte"
    assert manifest["executorch"]["delegated_subgraphs"] == 0 and "executorch_call_delegate" not in manifest["ops"]
    ops = manifest["executorch"]["non_delegated_ops"]
    assert ops["aten_convolution_default"] == 131 and not any("batch_norm" in op for op in ops)
    assert "split_depthwise" not in manifest["rewrites"]  # an XNNPACK-only pass
    assert manifest["parity"]["status"] == "pass"


def test_coreml_backend_is_one_delegate_and_unverified_here(executorch_coreml_export):
    path, manifest = executorch_coreml_export
    assert path.name == "cloformer_xxs_224x224_executorch_coreml_fp32.pte"
    assert manifest["executorch"]["delegated_subgraphs"] == 1 and manifest["executorch"]["non_delegated_ops"] == {}
    parity = manifest["parity"]
    assert parity["status"] == "unverified" and "CoreMLBackend" in parity["reason"]


def test_splits_become_slices_for_xnnpack():
    from cloformer.export.targets.executorch import _splits_as_slices

    class Splits(torch.nn.Module):
        def forward(self, x):
            a, b, c = x.split(3, dim=1)  # chunks of 3: the last one shorter
            d, e = x.split([1, 7], dim=1)
            return a * 2, b, c, d, e

    x = torch.randn(1, 8, 4, 4)
    program = _splits_as_slices(torch.export.export(Splits(), (x,)))
    targets = {str(n.target) for n in program.graph.nodes if n.op == "call_function"}
    assert not any("split" in t for t in targets) and "aten.slice.Tensor" in targets
    assert all(torch.equal(got, want) for got, want in zip(program.module()(x), Splits()(x)))
