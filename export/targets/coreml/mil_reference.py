"""Core ML numerics on Linux: a saved `.mlpackage` read back into MIL (coremltools'
milproto loader) and evaluated op by op with reference implementations (torch, fp32).

`MLModel.predict` runs only on macOS, so this is how Core ML parity is checked here. Where the
program computes in fp16 (its ops declare fp16 outputs), every such output is rounded to fp16, as
a device stores it; accumulation inside an op stays fp32, so this bounds the fp16 error from below.
An op without a reference implementation makes the artifact `Unverifiable`, naming the op.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ...errors import Unverifiable
from . import spec

WEIGHTS = "Data/com.apple.CoreML/weights"


def _t(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float32))


def _pads(x: torch.Tensor, pad_type: str, pad, kernel: list[int], strides: list[int], dilations: list[int]) -> list[int]:
    """MIL pad (top, bottom, left, right) -> F.pad order (left, right, top, bottom)."""
    if pad_type == "valid":
        return [0, 0, 0, 0]
    if pad_type == "custom":
        top, bottom, left, right = (int(p) for p in pad)
        return [left, right, top, bottom]
    sizes = []  # same / same_lower: output = ceil(input / stride)
    for size, k, s, d in zip(x.shape[2:], kernel, strides, dilations):
        total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
        low = total // 2 if pad_type == "same" else total - total // 2
        sizes.append((low, total - low))
    (top, bottom), (left, right) = sizes
    return [left, right, top, bottom]


def _conv(x, weight, bias=None, strides=(1, 1), pad_type="valid", pad=(0, 0, 0, 0), dilations=(1, 1), groups=1):
    x, w = _t(x), _t(weight)
    x = F.pad(x, _pads(x, pad_type, pad, list(w.shape[2:]), list(strides), list(dilations)))
    return F.conv2d(x, w, None if bias is None else _t(bias), stride=tuple(int(s) for s in strides),
                    dilation=tuple(int(d) for d in dilations), groups=int(groups))


def _avg_pool(x, kernel_sizes, strides, pad_type, pad=(0, 0, 0, 0), exclude_padding_from_average=False,
              ceil_mode=False):
    x = _t(x)
    pads = _pads(x, pad_type, pad, list(kernel_sizes), list(strides), [1, 1])
    kernel, stride = tuple(int(k) for k in kernel_sizes), tuple(int(s) for s in strides)
    summed = F.avg_pool2d(F.pad(x, pads), kernel, stride, ceil_mode=bool(ceil_mode), divisor_override=1)
    if exclude_padding_from_average:
        counts = F.avg_pool2d(F.pad(torch.ones_like(x[:1, :1]), pads), kernel, stride, ceil_mode=bool(ceil_mode),
                              divisor_override=1)
        return summed / counts
    return summed / (kernel[0] * kernel[1])


def _matmul(x, y, transpose_x=False, transpose_y=False):
    x, y = _t(x), _t(y)
    if transpose_x:
        x = x.transpose(-1, -2)
    if transpose_y:
        y = y.transpose(-1, -2)
    return torch.matmul(x, y)


def _gelu(x, mode="EXACT"):
    approximate = {"EXACT": "none", "TANH_APPROXIMATION": "tanh"}.get(mode)
    if approximate is None:  # SIGMOID_APPROXIMATION
        return _t(x) * torch.sigmoid(1.702 * _t(x))
    return F.gelu(_t(x), approximate=approximate)


def _split(x, axis, split_sizes=None, num_splits=None):
    x = _t(x)
    sizes = [int(s) for s in split_sizes] if split_sizes is not None else x.shape[int(axis)] // int(num_splits)
    return tuple(torch.split(x, sizes, dim=int(axis)))


def _reduce(fn):
    def reduce(x, axes=None, keep_dims=False):
        dims = tuple(int(a) for a in axes) if axes is not None else tuple(range(np.ndim(x)))
        return fn(_t(x), dim=dims, keepdim=bool(keep_dims))
    return reduce


# MIL op type -> reference implementation over the op's inputs (by MIL input name).
OPS: dict[str, Callable] = {
    "conv": _conv,
    "linear": lambda x, weight, bias=None: F.linear(_t(x), _t(weight), None if bias is None else _t(bias)),
    "matmul": _matmul,
    "avg_pool": _avg_pool,
    "batch_norm": lambda x, mean, variance, gamma=None, beta=None, epsilon=1e-5: F.batch_norm(
        _t(x), _t(mean), _t(variance), None if gamma is None else _t(gamma), None if beta is None else _t(beta),
        training=False, eps=float(epsilon)),
    "add": lambda x, y: _t(x) + _t(y),
    "sub": lambda x, y: _t(x) - _t(y),
    "mul": lambda x, y: _t(x) * _t(y),
    "real_div": lambda x, y: _t(x) / _t(y),
    "sqrt": lambda x: torch.sqrt(_t(x)),
    "square": lambda x: _t(x) * _t(x),
    "rsqrt": lambda x, epsilon=1e-12: torch.rsqrt(_t(x) + float(epsilon)),
    "relu": lambda x: torch.relu(_t(x)),
    "silu": lambda x: F.silu(_t(x)),
    "tanh": lambda x: torch.tanh(_t(x)),
    "sigmoid": lambda x: torch.sigmoid(_t(x)),
    "gelu": _gelu,
    "softmax": lambda x, axis=-1: torch.softmax(_t(x), dim=int(axis)),
    "reduce_mean": _reduce(torch.mean),
    "reduce_sum": _reduce(torch.sum),
    "reshape": lambda x, shape: _t(x).reshape([int(s) for s in shape]),
    "transpose": lambda x, perm: _t(x).permute([int(p) for p in perm]),
    "squeeze": lambda x, axes=None: (_t(x).squeeze(tuple(int(a) for a in axes)) if axes is not None
                                     else _t(x).squeeze()),
    "expand_dims": lambda x, axes: _t(x).reshape(_expanded(np.shape(x), axes)),
    "split": _split,
    "concat": lambda values, axis, interleave=False: _concat(values, int(axis), bool(interleave)),
    "cast": lambda x, dtype: _t(x),  # the output's declared dtype does the rounding (see _store)
}


def _expanded(shape, axes) -> list[int]:
    out = list(shape)
    rank = len(out) + len(axes)
    for axis in sorted(int(a) % rank for a in axes):
        out.insert(axis, 1)
    return out


def _concat(values, axis: int, interleave: bool) -> torch.Tensor:
    if interleave:
        raise Unverifiable("MIL op concat with interleave=True has no reference implementation here")
    return torch.cat([_t(v) for v in values], dim=axis)


def load(path: Path):
    """The `main` function of a saved ML program, as MIL."""
    from coremltools.converters.mil.frontend.milproto.load import load as load_milproto

    model = spec.load(path)
    program = load_milproto(model, specification_version=model.specificationVersion,
                            file_weights_dir=str(Path(path) / WEIGHTS))
    return program.functions["main"]


def _constant(op) -> bool:
    """`const`, and the compressed-weight ops (`constexpr_*`: int8 dequantize, palette lookup)
    whose value coremltools itself decompresses."""
    return op.op_type == "const" or (op.op_type.startswith("constexpr_")
                                     and hasattr(op, "materialized_val_inference"))


def unsupported(function) -> list[str]:
    return sorted({op.op_type for op in function.operations if not _constant(op) and op.op_type not in OPS})


def _store(value, half: bool) -> np.ndarray:
    """What the device keeps of an op's output: its declared dtype (fp16 rounds)."""
    array = value.numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
    return array.astype(np.float16) if half else array


def environment(path: Path) -> tuple[str, Callable[[np.ndarray], dict[str, np.ndarray]]]:
    """The program's output name, and a callable NCHW float32 input -> the value of every
    variable (named as in the program: torch.export's node names); `Unverifiable` (naming the
    ops) if any op has no reference implementation."""
    from coremltools.converters.mil.mil import types

    function = load(path)
    missing = unsupported(function)
    if missing:
        raise Unverifiable(f"the MIL reference evaluator has no implementation of: {', '.join(missing)}")
    (input_name,) = function.inputs
    half = {var.name for var in function.inputs.values() if var.dtype == types.fp16} | {
        var.name for op in function.operations for var in op.outputs if var.dtype == types.fp16}
    weights = {op.outputs[0].name: op.materialized_val_inference() for op in function.operations
               if op.op_type.startswith("constexpr_")}

    def run(x: np.ndarray) -> dict[str, np.ndarray]:
        env: dict[str, np.ndarray] = {input_name: _store(x, input_name in half), **weights}

        def value(var):
            if isinstance(var, (list, tuple)):
                return [value(v) for v in var]
            return var.val if var.val is not None else env[var.name]

        with torch.no_grad():
            for op in function.operations:
                if _constant(op):
                    continue
                result = OPS[op.op_type](**{name: value(var) for name, var in op.inputs.items()})
                outputs = result if isinstance(result, tuple) else (result,)
                for var, out in zip(op.outputs, outputs):
                    env[var.name] = _store(out, var.name in half)
        return env
    return function.outputs[0].name, run


def evaluator(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    """A callable NCHW float32 input -> logits, evaluating the saved program's ops in order."""
    output, run = environment(path)
    return lambda x: np.asarray(run(x)[output], dtype=np.float32)
