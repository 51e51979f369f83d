"""fp16 arithmetic for XNNPACK, carried by the `.tflite` itself: no runtime option to set, so the
apps, the interpreter and the emulated ARM guest all get it from the file.

XNNPACK's LiteRT delegate reads the model metadata entry `reduced_precision_support`; when it says
fp16 inference with fp16 accumulation ("fp16accfp16"; "fp16accfp32" parses but leaves fp32) it
passes XNNPACK the fp16-inference hint: ARMv8.2 cores with fp16 arithmetic (Cortex-A76 onwards)
compute in fp16, 8 lanes per NEON instruction; CPUs without it (x86 here) keep fp32.

With the hint on, the delegate (ai-edge-litert 2.3, aarch64) fails to prepare a BATCH_MATMUL with
adj_x (the global attention's q·kᵀ), while fp32 takes it: each becomes TRANSPOSE + BATCH_MATMUL,
the same arithmetic."""
from __future__ import annotations

from pathlib import Path

import numpy as np

KEY = "reduced_precision_support"
FP16_INFERENCE = b"fp16accfp16"  # tflite::optimize::ReducedPrecisionSupport: fp16 inference | fp16 accumulation


def _opcodes(model, builtin: int) -> list[int]:
    """The indices of `builtin`'s operator codes in the model."""
    from ai_edge_litert.tools.flatbuffer_utils import get_builtin_code_from_operator_code

    return [i for i, code in enumerate(model.operatorCodes) if get_builtin_code_from_operator_code(code) == builtin]


def _opcode(model, builtin: int) -> int:
    """`builtin`'s operator code index, added to the model if it has none."""
    from ai_edge_litert import schema_py_generated as fb

    found = _opcodes(model, builtin)
    if found:
        return found[0]
    code = fb.OperatorCodeT()
    code.builtinCode, code.deprecatedBuiltinCode, code.version = builtin, min(builtin, 127), 1
    model.operatorCodes.append(code)
    return len(model.operatorCodes) - 1


def _transposed(model, subgraph, tensor: int, n: int) -> tuple[object, int]:
    """A TRANSPOSE of `tensor`'s last two axes: (the operator, its output tensor's index)."""
    from ai_edge_litert import schema_py_generated as fb

    source = subgraph.tensors[tensor]
    perm = list(range(len(source.shape)))
    perm[-2], perm[-1] = perm[-1], perm[-2]
    data = fb.BufferT()
    data.data = np.array(perm, dtype="<i4").view(np.uint8)
    model.buffers.append(data)
    axes = fb.TensorT()
    axes.shape, axes.type, axes.buffer = np.array([len(perm)], np.int32), fb.TensorType.INT32, len(model.buffers) - 1
    axes.name = f"adj_x_perm_{n}".encode()
    out = fb.TensorT()
    out.shape, out.type, out.buffer = np.array(source.shape)[perm].astype(np.int32), source.type, 0
    if source.shapeSignature is not None:
        out.shapeSignature = np.array(source.shapeSignature)[perm].astype(np.int32)
    out.name = source.name + f";adj_x_{n}".encode()
    subgraph.tensors += [axes, out]
    op = fb.OperatorT()
    op.opcodeIndex = _opcode(model, fb.BuiltinOperator.TRANSPOSE)
    op.inputs = np.array([tensor, len(subgraph.tensors) - 2], np.int32)
    op.outputs = np.array([len(subgraph.tensors) - 1], np.int32)
    op.builtinOptionsType, op.builtinOptions = fb.BuiltinOptions.TransposeOptions, fb.TransposeOptionsT()
    return op, len(subgraph.tensors) - 1


def _untranspose_adj_x(model) -> int:
    from ai_edge_litert import schema_py_generated as fb

    matmuls = _opcodes(model, fb.BuiltinOperator.BATCH_MATMUL)
    n = 0
    for subgraph in model.subgraphs:
        ops = []
        for op in subgraph.operators:
            if op.opcodeIndex in matmuls and op.builtinOptions.adjX:
                transpose, output = _transposed(model, subgraph, int(op.inputs[0]), n)
                ops.append(transpose)
                op.inputs = np.array(op.inputs, np.int32)
                op.inputs[0], op.builtinOptions.adjX = output, False
                n += 1
            ops.append(op)
        subgraph.operators = ops
    return n


def fp16_arithmetic(path: Path) -> int:
    """Mark the `.tflite` at `path` for fp16 inference, in place; returns the matmuls rewritten."""
    from ai_edge_litert import schema_py_generated as fb
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(str(path))
    rewritten = _untranspose_adj_x(model)
    data = fb.BufferT()
    data.data = np.frombuffer(FP16_INFERENCE, np.uint8)
    model.buffers.append(data)
    entry = fb.MetadataT()
    entry.name, entry.buffer = KEY, len(model.buffers) - 1
    model.metadata = [m for m in model.metadata or [] if m.name != KEY.encode()] + [entry]
    flatbuffer_utils.write_model(model, str(path))
    return rewritten
