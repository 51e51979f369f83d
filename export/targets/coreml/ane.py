"""The ANE-friendly MIL op list a Core ML export is checked against (Linux can't ask the device).

Apple publishes no list of the ops its Neural Engine runs; on a device Core ML decides per op
(`MLComputePlan`, macOS/iOS only). Sources of this list:

- Ops: ANEForge's op catalog (github.com/sbryngelson/ANEForge, docs/op-catalog.md @ 067717a,
  generated from aneforge/_op_catalog.py by compiling each MIL op for the ANE): the ops it
  marks native ("Y") on every ANE family it probed, A13/M1 through A17/M5, among those a vision
  model's conversion can produce. `slice_by_index` is not here: the catalog marks it "~"
  (no ANE kernel of its own), so the deploy form splits channels with `split` instead.
- Limits: the same catalog (conv kernels <= 13x13 in fp16 on A13/M1, pool windows <= 29);
  dilated convs are "known to not work" (github.com/hollance/neural-engine,
  docs/unsupported-layers.md); rank <= 4, Apple's (B, C, 1, S) layout ("Deploying Transformers
  on the Apple Neural Engine", machinelearning.apple.com/research/neural-engine-transformers).

Being on this list makes an op eligible for the ANE, not placed there: placement is measured on
a device (the iOS app).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

ANE_OPS = frozenset({
    # conv / matmul / pooling
    "conv", "conv_transpose", "linear", "matmul", "avg_pool", "max_pool",
    # elementwise
    "add", "sub", "mul", "real_div", "maximum", "minimum", "pow", "sqrt", "rsqrt", "square",
    "inverse", "abs", "exp", "clip",
    # activations
    "relu", "relu6", "gelu", "silu", "sigmoid", "sigmoid_hard", "tanh", "softmax", "leaky_relu",
    # normalization and reductions
    "batch_norm", "instance_norm", "layer_norm", "l2_norm", "reduce_mean", "reduce_sum", "reduce_max",
    # shape and data movement
    "reshape", "transpose", "concat", "split", "slice_by_size", "squeeze", "expand_dims",
    "pixel_shuffle", "cast",
})
NOT_RUN = frozenset({"const"})  # folded into the compiled model, never dispatched
MAX_RANK = 4
MAX_CONV_KERNEL = 13
MAX_POOL_WINDOW = 29


def _ints(const_op) -> list[int]:
    return list(const_op.attributes["val"].immediateValue.tensor.ints.values)


def findings(operations: Iterable) -> dict[str, int]:
    """Every reason an op of this ML program falls outside the list, with its count
    (empty: every op is on the list and within its limits)."""
    return counts(off_list(operations))


def counts(off: list[tuple[str, str]]) -> dict[str, int]:
    return dict(sorted(Counter(reason for reason, _ in off).items()))


def off_list(operations: Iterable) -> list[tuple[str, str]]:
    """(reason, MIL op name) for every op outside the list or its limits, in program order."""
    operations = list(operations)
    consts = {op.outputs[0].name: op for op in operations if op.type == "const"}

    def arg(op, name: str):
        return consts.get(op.inputs[name].arguments[0].name) if name in op.inputs else None

    found: list[tuple[str, str]] = []
    for op in operations:
        name = op.outputs[0].name if op.outputs else op.type
        if op.type in NOT_RUN:
            continue
        if op.type not in ANE_OPS:
            found.append((f"{op.type} (not on the list)", name))
        rank = max((out.type.tensorType.rank for out in op.outputs if out.type.HasField("tensorType")), default=0)
        if rank > MAX_RANK:
            found.append((f"{op.type} (rank {rank} > {MAX_RANK})", name))
        if op.type == "conv":
            weight, dilations = arg(op, "weight"), arg(op, "dilations")
            kernel = [d.constant.size for d in weight.outputs[0].type.tensorType.dimensions][2:] if weight else []
            if any(k > MAX_CONV_KERNEL for k in kernel):
                found.append((f"conv (kernel {'x'.join(map(str, kernel))} > {MAX_CONV_KERNEL})", name))
            if dilations and any(d != 1 for d in _ints(dilations)):
                found.append(("conv (dilated)", name))
        window = arg(op, "kernel_sizes") if op.type in ("avg_pool", "max_pool") else None
        if window and any(k > MAX_POOL_WINDOW for k in _ints(window)):
            found.append((f"{op.type} (window > {MAX_POOL_WINDOW})", name))
    return found
