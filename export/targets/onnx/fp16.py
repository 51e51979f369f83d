"""The fp16 ONNX graph: fp16 where ONNX Runtime's ARM64 CPU kernels gain from it, fp32 elsewhere,
one Cast per tensor where the two meet, fp32 input and output.

Why not every float tensor fp16 (`onnxruntime.transformers.float16`): ORT has no fp16 CPU kernel for
InstanceNormalization, Sigmoid, Tanh or Softmax's parts, and wraps each in Casts; fp16 Mul, Add, Div
and Gemm are slower than fp32 on ARM64; and the fp32-only fusions (Gelu, FusedConv, FusedMatMul) are
lost. XXS 224², emulated Cortex-A76, one thread: 617.8 M instructions against fp32's 585.7 M (1.05x).
Its converter with every other op blocked leaves an fp16 -> fp32 -> fp16 round trip on each blocked
op's inputs and outputs (867 Casts at 64²): 0.58x. This form: 268.8 M, 0.46x (Conv alone 0.49x;
MLAS's fp16 depthwise kernel takes any kernel size, its fp32 one only 3x3), at 62.4 dB over the
36 photos.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# The ops computed in fp16: those whose fp16 MLAS kernels beat fp32 on ARM64 (measured one by one).
HALF_OPS = frozenset({"Conv", "MatMul", "Erf", "AveragePool", "Relu"})
# Ops that move data without arithmetic: they run in the precision their inputs come in.
MOVERS = frozenset({"Reshape", "Split", "Transpose", "Concat", "Flatten", "Squeeze", "Unsqueeze", "Slice",
                    "Identity"})
# Inputs that are shapes, axes or indices, not data (by position).
NOT_DATA = {"Reshape": {1}, "Split": {1}, "Slice": {1, 2, 3, 4}, "Squeeze": {1}, "Unsqueeze": {1}}
FP32, FP16 = TensorProto.FLOAT, TensorProto.FLOAT16


def half_kernels(proto: onnx.ModelProto) -> onnx.ModelProto:
    """`proto` (fp32) with HALF_OPS in fp16: their float weights stored fp16, a Cast wherever a tensor
    crosses between precisions (once per tensor), fp32 input and output."""
    graph = proto.graph
    weights = {w.name: w for w in graph.initializer}
    precision = {i.name: FP32 for i in graph.input}
    casts: dict[tuple[str, int], str] = {}
    halves: dict[str, str] = {}
    nodes: list[onnx.NodeProto] = []

    def cast(name: str, to: int) -> str:
        if precision.get(name, FP32) == to:
            return name
        if (name, to) not in casts:
            out = f"{name}/{'fp16' if to == FP16 else 'fp32'}"
            nodes.append(helper.make_node("Cast", [name], [out], to=to, name=f"{out}/Cast"))
            casts[name, to] = out
            precision[out] = to
        return casts[name, to]

    def half(name: str) -> str:
        if name not in halves:
            halves[name] = f"{name}/fp16"
            graph.initializer.append(numpy_helper.from_array(
                numpy_helper.to_array(weights[name]).astype(np.float16), halves[name]))
        return halves[name]

    for node in graph.node:
        data = [(i, x) for i, x in enumerate(node.input) if x and i not in NOT_DATA.get(node.op_type, ())]
        if node.op_type in MOVERS:
            made = [precision.get(x, FP32) for _, x in data if x not in weights]
            want = FP16 if made and all(p == FP16 for p in made) else FP32
        else:
            want = FP16 if node.op_type in HALF_OPS else FP32
        for i, x in data:
            if x in weights:
                if want == FP16 and weights[x].data_type == FP32:
                    node.input[i] = half(x)
            else:
                node.input[i] = cast(x, want)
        precision.update((out, want) for out in node.output)
        nodes.append(node)
    for output in graph.output:  # fp32 out: the last producer writes an fp16 tensor, cast under the output's name
        if precision.get(output.name, FP32) == FP16:
            inner = f"{output.name}/fp16"
            for node in nodes:
                node.output[:] = [inner if o == output.name else o for o in node.output]
                node.input[:] = [inner if x == output.name else x for x in node.input]
            nodes.append(helper.make_node("Cast", [inner], [output.name], to=FP32, name=f"{output.name}/Cast"))
    del graph.node[:]
    graph.node.extend(nodes)
    used = {x for node in graph.node for x in node.input}
    kept = [w for w in graph.initializer if w.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    del graph.value_info[:]
    return onnx.shape_inference.infer_shapes(proto, strict_mode=True)
