"""ONNX: the shared ONNX graph (targets/shared/onnx_graph.py: TorchScript exporter -> onnxslim ->
onnx.checker, chosen by measurement there); parity in ONNX Runtime's CPU EP. Its artifacts run in the
Android app (ONNX Runtime) and on emulated ARM64 (guest.py: ONNX Runtime's aarch64 wheel).
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ...options import Options, option
from ..base import TAPS, AppRun, Guest, HostedRun, Rows, Target, boundary, op_counts, register
from ..shared.onnx_graph import (DEFAULT_OPSET, INPUT_NAME, OUTPUT_NAME, io_shapes, is_qdq, quantize_convolutions,
                                 write_graph)

if TYPE_CHECKING:
    from ...diagnose import Probe
    from ...request import ExportRequest


def placement(proto) -> list[dict]:
    """ONNX Runtime Mobile's own usability checker: which nodes the NNAPI (Android) and Core ML
    (iOS, ML program) execution providers take, in how many partitions; node names carry the
    module path (`/layers.0/blocks.0/norm1/InstanceNormalization`)."""
    from onnxruntime.tools.mobile_helpers import usability_checker as checker

    entries = []
    for path, info in (
            ("ONNX Runtime NNAPI EP (Android)", checker.check_nnapi_partitions(proto, True)),
            ("ONNX Runtime Core ML EP (iOS)",
             checker.check_coreml_partitions(proto, True, "coreml_supported_mlprogram_ops.md"))):
        taken = {node.name for group in info.supported_groups for node in group}
        off = [(node.op_type, node.name.rsplit("/", 1)[0].strip("/").replace("/", "."))
               for node in proto.graph.node if node.name not in taken]
        entries.append({"path": path, "partitions": info.num_partitions, "ops_on_path": len(taken),
                        "ops": len(proto.graph.node), "off": off})
    return entries


@dataclass(frozen=True)
class OnnxOptions(Options):
    opset: int = option(DEFAULT_OPSET, f"ONNX opset (default {DEFAULT_OPSET}; 9 to 20, torch's TorchScript exporter's range)",
                         metavar="N", low=9, high=20)
    quantization: str = option(
        "static", "ONNX int8 (default static): static = QDQ, activations calibrated on real images; dynamic = "
        "int8 weights, activations quantized at run time", choices=("static", "dynamic"), needs="--precision int8")

    def takes(self, precision: str) -> frozenset[str]:
        return frozenset({"opset", "quantization"} if precision == "int8" else {"opset"})


@register
class OnnxTarget(Target):
    name = "onnx"
    order = 10
    suffix = ".onnx"
    runtime = "onnxruntime"
    summary = "ONNX (TorchScript exporter, onnxslim-simplified); parity in ONNX Runtime (CPU EP)"
    Options = OnnxOptions
    result_runtime = runtime_package = "onnxruntime"
    apps = {"android": AppRun("onnxruntime")}
    hosted = {"aihub": HostedRun(("cpu", "npu"))}  # ONNX Runtime's CPU provider, or its QNN provider
    guest = Guest("onnxruntime", loader=resources.files(__package__) / "guest.py", wheels=("onnxruntime",),
                  reference=True)
    section = {"nodes": {"type": "integer", "minimum": 1, "description": "nodes in the graph"},
               "input": {"type": "string", "description": "the graph input's name"},
               "output": {"type": "string", "description": "the graph output's name"}}
    packages = ("onnx", "onnxruntime", "onnxscript", "onnxslim")
    loggers = ("onnx", "onnxscript", "onnx_ir")
    precision_summary = ("fp16: convolutions, matmuls, Erf, AveragePool and Relu fp16, the rest fp32, fp32 in/out; "
                         "int8: QDQ, convs + head quantized, "
                         "activations calibrated (--quantization static) or quantized per run (dynamic)")
    # Measured on XXS (ORT 2 threads, one run, naive = 1.000): these three 0.935x. Dropped:
    # fold_batchnorm (ORT folds BN itself: 0.990x alone, same graph), groupnorm_as_mean (1.083x
    # alone: ORT's InstanceNormalization path is faster than explicit means).
    passes = ("fold_norm_affine", "local_qkv_slices", "global_attention_bmm")

    def precisions(self, request: ExportRequest) -> tuple[str, ...]:
        return ("fp32", "fp16", "int8")

    def tag(self, request: ExportRequest) -> str:
        dynamic = request.precision == "int8" and self.settings(request).quantization == "dynamic"
        return "onnx_dynamic" if dynamic else self.name

    def export(self, model: torch.nn.Module, example: torch.Tensor, request: ExportRequest, path: Path) -> dict:
        options = self.settings(request)
        from .fp16 import half_kernels  # imports onnx

        proto = write_graph(model, example, path, options.opset, half_kernels if request.precision == "fp16" else None)
        if request.precision == "int8":
            proto = quantize_convolutions(path, request, dynamic=options.quantization == "dynamic")
        return {"ops": op_counts(node.op_type for node in proto.graph.node),
                "onnx": {"nodes": len(proto.graph.node), "input": INPUT_NAME, "output": OUTPUT_NAME},
                "placement": placement(proto)}

    def report_rows(self, tag: str, naive: dict, deploy: dict) -> Rows:
        def ep(entry: dict) -> str:
            off = ", ".join(f"{item['op']} x{item['count']}" for item in entry["off"]) or "none"
            return f"{entry['ops_on_path']}/{entry['ops']} nodes, {entry['partitions']} partition(s); off: {off}"
        return [(f"{tag}: nodes", str(naive["onnx"]["nodes"]), str(deploy["onnx"]["nodes"]))] + [
            (f"{tag}: {a['path']}", ep(a), ep(b)) for a, b in zip(naive["placement"], deploy["placement"])]

    def result_backend(self, manifest: dict) -> str:
        return "CPUExecutionProvider"

    def io_shapes(self, path: Path) -> tuple[list[int], list[int]]:
        return io_shapes(path)

    def setup(self) -> None:
        import onnxruntime  # noqa: F401

    def runner(self, path: Path, backend: str | None, threads: int | None = None):
        session = _session(str(path), threads=threads)
        return lambda x: session.run(None, {INPUT_NAME: x})[0]

    def reference_runner(self, path: Path, backend: str | None):
        """Static int8 is checked with ONNX Runtime running the QDQ graph as written (dequantize,
        fp32 op, quantize): the artifact's defined numerics, which ARM kernels (phones) compute.
        x86 CPUs without VNNI (this host) run ORT's fused int8 convolutions with saturating 16-bit
        sums (measured XXS, convolutions quantized: 10.5 dB instead of 35.8 dB); see docs/targets/onnx.md."""
        import onnx

        session = _session(str(path), as_written=is_qdq(onnx.load(str(path))))
        return lambda x: session.run(None, {INPUT_NAME: x})[0]

    def intermediates(self, artifact: Path, probe: Probe) -> tuple[str, dict]:
        """Each segment's output made an extra graph output of the artifact and read back from
        ONNX Runtime; the exporter names every node by its module scope."""
        import onnx

        proto = onnx.load(str(artifact))
        graph = proto.graph
        outputs = [o.name for o in graph.output]
        taps = {probe.names[-1]: OUTPUT_NAME}
        for name in probe.names[:-1]:
            scope = _scope(name)
            value = boundary(((node.name.startswith(scope), node.input, node.output) for node in graph.node), outputs)
            if value:
                taps[name] = value
        graph.output.extend(onnx.helper.make_tensor_value_info(value, onnx.TensorProto.FLOAT, None)
                            for value in taps.values() if value not in outputs)
        session = _session(proto.SerializeToString(), as_written=is_qdq(proto))
        values = session.run(list(taps.values()), {INPUT_NAME: probe.inputs[0]})
        return TAPS, dict(zip(taps, values))


def _session(model: str | bytes, threads: int | None = None, as_written: bool = False):
    """An ORT CPU session; `as_written`: no graph optimizations (QDQ stays dequantize -> op -> quantize)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    if as_written:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _scope(module: str) -> str:
    """A module path as the TorchScript exporter names scopes: layers.0.blocks.1 -> /layers.0/blocks.1/."""
    parts: list[str] = []
    for part in module.split("."):
        if part.isdigit() and parts:
            parts[-1] += f".{part}"
        else:
            parts.append(part)
    return "/" + "/".join(parts) + "/"

