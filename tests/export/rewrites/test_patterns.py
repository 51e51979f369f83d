"""Each pass removes the pattern it targets from the exported graph (torch.export, XXS)."""
import pytest
import torch

from cloformer.export import rewrites

from .conftest import exported_nodes, max_rank, op_names


@pytest.fixture(scope="module")
def naive(trained_like):
    return exported_nodes(trained_like("cloformer_xxs"))


def rewritten(trained_like, *passes):
    return exported_nodes(rewrites.apply(trained_like("cloformer_xxs"), list(passes))[0])


def count(nodes, fragment):
    return sum(fragment in name for name in op_names(nodes))


def test_fold_batchnorm(trained_like, naive):
    assert count(naive, "batch_norm") == 7
    assert count(rewritten(trained_like, "fold_batchnorm"), "batch_norm") == 0


def test_groupnorm_as_mean(trained_like, naive):
    assert count(naive, "group_norm") == 26
    nodes = rewritten(trained_like, "groupnorm_as_mean")
    assert count(nodes, "group_norm") == 0
    means = [n for n in nodes if "mean" in str(n.target)]
    # XNNPACK's only mean: rank 4, dims [2, 3], keepdim (the head's pooling mean included)
    assert all(n.args[0].meta["val"].ndim == 4 and list(n.args[1]) in ([2, 3], [-1, -2]) for n in means)


def test_fold_norm_affine(trained_like):
    model = rewrites.apply(trained_like("cloformer_xxs"), ["fold_norm_affine"])[0]
    state = model.state_dict()
    assert not any(k.endswith(("norm1.weight", "norm2.weight")) or k == "norm.weight" for k in state)
    assert "patch_embed.layernorm.weight" in state  # feeds a residual: kept


def test_local_qkv_slices(trained_like, naive):
    assert count(naive, "unbind") == 24  # 12 local (qkv) + 12 global (kv)
    assert count(rewritten(trained_like, "local_qkv_slices"), "unbind") == 12


def test_global_attention_bmm(trained_like, naive):
    assert count(naive, "matmul") == 24 and max_rank(naive) == 5
    nodes = rewritten(trained_like, "global_attention_bmm")
    assert count(nodes, "matmul") == 0 and count(nodes, "bmm") == 24
    assert all(n.args[0].meta["val"].ndim == 3 for n in nodes if "bmm" in str(n.target))


def test_local_and_global_leave_no_rank5_and_no_unbind(trained_like):
    nodes = rewritten(trained_like, "local_qkv_slices", "global_attention_bmm")
    assert max_rank(nodes) == 4 and count(nodes, "unbind") == 0


def test_split_depthwise(trained_like, naive):
    def kernels(nodes):
        return [n.args[1].meta["val"].shape[-1] for n in nodes if "conv2d" in str(n.target)]
    assert max(kernels(naive)) == 9
    assert max(kernels(rewritten(trained_like, "split_depthwise"))) == 5


def test_separate_qkv(trained_like):
    sliced = rewritten(trained_like, "local_qkv_slices")
    separate = rewritten(trained_like, "local_qkv_slices", "separate_qkv")
    assert count(sliced, "split") == 12 and count(separate, "split") == 0 and count(separate, "slice") == 0
    assert count(separate, "conv2d") == count(sliced, "conv2d") + 12 * 4  # 2 convs -> 6 per local branch


def test_global_attention_conv(trained_like):
    def reshaped(nodes):  # elements of each tensor a view or reshape re-lays
        return [n.args[0].meta["val"].numel() for n in nodes if any(op in str(n.target) for op in ("view", "reshape"))]
    bmm = rewritten(trained_like, "local_qkv_slices", "global_attention_bmm")
    conv = rewritten(trained_like, "local_qkv_slices", "global_attention_conv")
    assert count(conv, "bmm") == count(conv, "matmul") == 0 and max_rank(conv) == 4
    # the full-size q and outputs (56x56 pixels x 8 channels) are no longer reshaped: only the 7x7 pooled keys and values
    assert max(reshaped(bmm)) == 56 * 56 * 8 and max(reshaped(conv)) == 7 * 7 * 16


def test_means_as_avg_pool(trained_like, naive):
    nodes = rewritten(trained_like, "groupnorm_as_mean", "means_as_avg_pool")
    assert count(nodes, "mean") == 0 and count(nodes, "adaptive_avg_pool") == 0
    # two means of two pools per norm, and the head's
    pools = count(naive, "avg_pool2d") - count(naive, "adaptive_avg_pool2d")  # the kv pools
    assert count(nodes, "avg_pool2d") == pools + 2 * 2 * 26 + 1


def test_silu_as_sigmoid(trained_like, naive):
    assert count(naive, "silu") == 12
    nodes = rewritten(trained_like, "silu_as_sigmoid")
    assert count(nodes, "silu") == 0 and count(nodes, "sigmoid") == 12


def test_gelu_as_sigmoid(trained_like, naive):
    assert count(naive, "gelu") == 12
    nodes = rewritten(trained_like, "gelu_as_sigmoid")
    assert count(nodes, "gelu") == 0 and count(nodes, "sigmoid") == 12


def test_gelu_as_sigmoid_stays_within_its_bound_per_activation():
    x = torch.linspace(-12, 12, 200_001)
    model = torch.nn.Sequential(torch.nn.GELU())
    rewritten_model, counts = rewrites.apply(model, ["gelu_as_sigmoid"])
    assert counts == {"gelu_as_sigmoid": 1}
    assert (model(x) - rewritten_model(x)).abs().max() <= rewrites.APPROXIMATE["gelu_as_sigmoid"]


def test_the_fp16_constants_follow_the_models_dtype(trained_like):
    model = rewrites.apply(trained_like("cloformer_xxs"), ["groupnorm_as_mean", "means_as_avg_pool",
                                                           "gelu_as_sigmoid"])[0].half()
    constants = [b for name, b in model.named_buffers() if name.endswith(("eps", "c1", "c3"))]
    assert len(constants) == 26 + 2 * 12 and all(b.dtype == torch.float16 for b in constants)
    assert "eps" not in "".join(model.state_dict())  # not persistent: checkpoints are unchanged
