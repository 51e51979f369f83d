"""The MIL reference evaluator against torch, op by op, on small programs converted the way the
Core ML target converts them (edge cases: odd sizes, padding modes, broadcasting, axes)."""
import coremltools as ct
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from cloformer.export.targets.coreml import mil_reference
from cloformer.export.errors import Unverifiable

from .coreml_programs import Fn
from .coreml_programs import convert as convert_program


def convert(module: nn.Module, shape, path, precision=ct.precision.FLOAT32):
    convert_program(module, shape, precision).save(str(path))
    return path


def _trained(bn: nn.BatchNorm2d) -> nn.BatchNorm2d:
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1), bn.running_var.uniform_(0.5, 2), bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-1, 1)
    return bn


CASES = {
    # conv: odd sizes, stride 2, explicit / "same" padding, groups, dilation, no bias
    "conv_stride2_odd": (nn.Conv2d(3, 5, 3, stride=2, padding=1), (1, 3, 17, 13)),
    "conv_same_pad_even_kernel": (nn.Conv2d(4, 4, 4, padding="same", bias=False), (1, 4, 9, 10)),
    "conv_depthwise_7x7": (nn.Conv2d(6, 6, 7, padding=3, groups=6), (2, 6, 11, 12)),
    "conv_dilated": (nn.Conv2d(4, 8, 3, padding=2, dilation=2), (1, 4, 10, 9)),
    "conv_grouped_5x5_stride2": (nn.Conv2d(8, 8, 5, stride=2, padding=2, groups=2), (1, 8, 15, 15)),
    "avg_pool": (nn.AvgPool2d(4, 4), (1, 3, 16, 12)),
    "batch_norm_after_nonlinearity": (Fn(lambda x, bn: bn(torch.relu(x)), _trained(nn.BatchNorm2d(3))), (2, 3, 5, 4)),
    "avg_pool_padded_exclusive": (nn.AvgPool2d(3, 2, padding=1, count_include_pad=False), (1, 2, 9, 7)),
    "avg_pool_padded_inclusive": (nn.AvgPool2d(3, 2, padding=1, count_include_pad=True), (1, 2, 9, 7)),
    "global_mean_keepdim": (Fn(lambda x: x.mean(dim=(2, 3), keepdim=True) - x), (2, 3, 5, 7)),
    "mean_sum_axes": (Fn(lambda x: x.mean(dim=1) + x.sum(dim=(1, 3), keepdim=True).squeeze(1)), (2, 4, 5, 6)),
    "broadcast_arith": (Fn(lambda x: (x - x.mean(dim=1, keepdim=True)) * torch.rsqrt(x * x + 1.0) / (x * x + 2.0)),
                        (1, 3, 4, 5)),
    "sqrt_square_div": (Fn(lambda x: torch.sqrt(x * x + 0.5) / torch.square(x + 3.0)), (1, 2, 3, 3)),
    "activations": (Fn(lambda x: F.gelu(x) + F.silu(x) + torch.tanh(x) + torch.relu(x) + torch.sigmoid(x)),
                    (1, 3, 4, 4)),
    "softmax_axes": (Fn(lambda x: x.softmax(dim=-1) + x.softmax(dim=1)), (1, 3, 4, 5)),
    "split_concat": (Fn(lambda x: torch.cat([t * (i + 1) for i, t in enumerate(x.split([1, 3, 2], dim=1))], dim=1)),
                     (1, 6, 3, 3)),
    "reshape_transpose_matmul": (Fn(lambda x: (x.reshape(2, 6, 10).transpose(1, 2) @ x.reshape(2, 6, 10))),
                                 (1, 12, 2, 5)),
    "matmul_broadcast_const": (Fn(lambda x, fc: torch.matmul(x.reshape(3, 4, 5), fc.weight.T), nn.Linear(5, 2)),
                               (1, 3, 4, 5)),
    "rank5_permute": (Fn(lambda x: x.reshape(1, 2, 3, 4, 5).permute(0, 2, 1, 4, 3).reshape(1, 6, 5, 4)), (1, 6, 4, 5)),
    "unsqueeze_squeeze": (Fn(lambda x: x.unsqueeze(2).mean(dim=3).squeeze(2)), (1, 3, 4, 5)),
    "linear_head": (Fn(lambda x, fc: fc(x.mean(dim=(2, 3))), nn.Linear(6, 9)), (2, 6, 3, 3)),
}


@pytest.mark.parametrize("name", CASES)
def test_each_op_matches_torch(name, tmp_path):
    torch.manual_seed(0)
    module, shape = CASES[name]
    path = convert(module, shape, tmp_path / f"{name}.mlpackage")
    x = torch.randn(shape)
    with torch.no_grad():
        expected = module(x).numpy()
    got = mil_reference.evaluator(path)(x.numpy())
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode, approximate", [("EXACT", "none"), ("TANH_APPROXIMATION", "tanh")])
def test_gelu_modes(mode, approximate):
    x = torch.linspace(-6, 6, 101)
    np.testing.assert_allclose(mil_reference.OPS["gelu"](x.numpy(), mode=mode), F.gelu(x, approximate=approximate),
                               atol=1e-6)


def test_gelu_tanh_is_converted_to_exact_gelu_and_evaluated_as_written(tmp_path):
    """coremltools 9.0 turns torch's gelu(approximate="tanh") into MIL gelu mode EXACT: the
    evaluator follows the program, so parity against such a model would show the converter's
    change (CloFormer uses exact GELU)."""
    path = convert(Fn(lambda x: F.gelu(x, approximate="tanh")), (1, 3, 4, 4), tmp_path / "g.mlpackage")
    ops = [op for op in mil_reference.load(path).operations if op.op_type == "gelu"]
    assert [op.inputs["mode"].val for op in ops] == ["EXACT"]
    x = torch.randn(1, 3, 4, 4)
    np.testing.assert_allclose(mil_reference.evaluator(path)(x.numpy()), F.gelu(x), atol=1e-6)


def test_fp16_programs_round_every_output_to_fp16(tmp_path):
    conv = nn.Conv2d(4, 4, 3, padding=1)
    path = convert(conv, (1, 4, 8, 8), tmp_path / "half.mlpackage", precision=ct.precision.FLOAT16)
    x = torch.randn(1, 4, 8, 8)
    got = mil_reference.evaluator(path)(x.numpy())
    with torch.no_grad():  # fp16 input, weights and output; fp32 accumulation
        half = F.conv2d(x.half().float(), conv.weight.half().float(), conv.bias.half().float(), padding=1)
        exact = conv(x)
    np.testing.assert_allclose(got, half.half().float().numpy(), atol=2e-3)
    assert np.abs(got - exact.numpy()).max() > 1e-5  # the rounding happened
    assert got.dtype == np.float32


def test_an_op_without_a_reference_is_unverifiable_and_named(tmp_path):
    path = convert(Fn(lambda x: torch.flip(x, dims=[3]) + x), (1, 2, 3, 4), tmp_path / "flip.mlpackage")
    assert mil_reference.unsupported(mil_reference.load(path)) == ["reverse"]
    with pytest.raises(Unverifiable, match="no implementation of: reverse"):
        mil_reference.evaluator(path)


@pytest.mark.parametrize("compress", ["linear", "palettize"])
def test_compressed_weights_are_decompressed_as_coremltools_defines(compress, tmp_path):
    import coremltools.optimize.coreml as cto

    conv = nn.Conv2d(16, 32, 3)
    mlmodel = convert_program(Fn(lambda x, c: c(x), conv), (1, 16, 9, 9), precision=ct.precision.FLOAT16)
    config = (cto.OpLinearQuantizerConfig(mode="linear_symmetric", weight_threshold=0) if compress == "linear"
              else cto.OpPalettizerConfig(nbits=4, weight_threshold=0))
    apply = cto.linear_quantize_weights if compress == "linear" else cto.palettize_weights
    mlmodel = apply(mlmodel, cto.OptimizationConfig(global_config=config))
    path = tmp_path / "m.mlpackage"
    mlmodel.save(str(path))
    (op,) = [op for op in mil_reference.load(path).operations if op.op_type.startswith("constexpr_")]
    weight = torch.from_numpy(op.materialized_val_inference().astype(np.float32))
    assert weight.shape == conv.weight.shape and not torch.equal(weight, conv.weight.detach())
    x = torch.randn(1, 16, 9, 9)
    expected = F.conv2d(x.half().float(), weight, conv.bias.detach().half().float())
    got = mil_reference.evaluator(path)(x.numpy())
    np.testing.assert_allclose(got, expected.numpy(), atol=2e-2, rtol=1e-2)  # fp16 program
    rel = float(np.linalg.norm(got - F.conv2d(x, conv.weight, conv.bias).detach().numpy()) /
                np.linalg.norm(expected.numpy()))
    assert rel < (0.02 if compress == "linear" else 0.3)
