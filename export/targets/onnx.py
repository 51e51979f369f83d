"""ONNX: torch.onnx.export (TorchScript exporter) -> onnxslim -> onnx.checker; parity in ONNX Runtime.

Exporter and simplifier, chosen by measurement (XXS 224², ORT 1.32 CPU EP, 2 threads, one
process, 5 interleaved rounds x 10 runs, median; three runs on this shared 2-core machine):

    graph                nodes   ORT median ms (run 1 / 2 / 3)
    dynamo                 722   20.8 / 30.2 / 30.8
    dynamo + onnxslim      658   20.8 / 29.0 / 28.1
    dynamo + onnxsim       658   20.1 / 30.8 / 30.4
    legacy                1026   19.2 / 27.9 / 29.2
    legacy + onnxsim       652   19.5 / 31.3 / 30.2
    legacy + onnxslim      622   16.6 / 24.1 / 27.1   <- fewest nodes, fastest in every run

The legacy (TorchScript) exporter plus onnxslim wins on both counts: it emits `Split` where
dynamo emits `Slice` x60 and a `GlobalAveragePool` head. It also exports in ~2 s instead of
~18 s. It is deprecated upstream but present in the pinned torch 2.13.0; parity is checked on
every export either way.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import torch

from ..calibration import images
from ..options import Options, option
from .base import TAPS, Rows, Target, boundary, op_counts, register

INPUT_NAME, OUTPUT_NAME = "input", "logits"


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
    opset: int = option(18, "ONNX opset (default 18)", metavar="N")
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
    apps = ("android",)
    packages = ("onnx", "onnxruntime", "onnxscript", "onnxslim")
    loggers = ("onnx", "onnxscript", "onnx_ir")
    precision_summary = ("fp16: every float tensor fp16, fp32 in/out; int8: QDQ, convs + head quantized, "
                         "activations calibrated (--quantization static) or quantized per run (dynamic)")
    # Measured on XXS (ORT 2 threads, one run, naive = 1.000): these three 0.935x. Dropped:
    # fold_batchnorm (ORT folds BN itself: 0.990x alone, same graph), groupnorm_as_mean (1.083x
    # alone: ORT's InstanceNormalization path is faster than explicit means).
    passes = ("fold_norm_affine", "local_qkv_slices", "global_attention_bmm")

    def precisions(self, request) -> tuple[str, ...]:
        return ("fp32", "fp16", "int8")

    def tag(self, request) -> str:
        dynamic = request.precision == "int8" and self.settings(request).quantization == "dynamic"
        return "onnx_dynamic" if dynamic else self.name

    def export(self, model: torch.nn.Module, example: torch.Tensor, request, path: Path) -> dict:
        import onnx
        import onnxslim

        options = self.settings(request)
        buffer = io.BytesIO()
        torch.onnx.export(model, (example,), buffer, dynamo=False, opset_version=options.opset,
                          input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], do_constant_folding=True)
        proto = onnxslim.slim(onnx.load_from_string(buffer.getvalue()))
        onnx.checker.check_model(proto, full_check=True)
        if request.precision == "fp16":
            from onnxruntime.transformers.float16 import convert_float_to_float16
            from onnxruntime.transformers.onnx_model import OnnxModel

            fp16 = OnnxModel(convert_float_to_float16(proto, keep_io_types=True))  # fp32 in and out, casts inside
            fp16.topological_sort()  # the converter appends its input/output casts at the end
            proto = fp16.model
        onnx.save(proto, str(path))
        if request.precision == "int8":
            proto = _quantize(path, request, options.quantization)
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
        import onnx

        graph = onnx.load(str(path), load_external_data=False).graph
        return tuple([d.dim_value for d in value.type.tensor_type.shape.dim]  # type: ignore[return-value]
                     for value in (graph.input[0], graph.output[0]))

    def setup(self) -> None:
        import onnxruntime  # noqa: F401

    def runner(self, path: Path, backend: str | None, threads: int | None = None):
        session = _session(str(path), threads=threads)
        return lambda x: session.run(None, {INPUT_NAME: x})[0]

    def reference_runner(self, path: Path, backend: str | None):
        """Static int8 is checked with ONNX Runtime running the QDQ graph as written (dequantize,
        fp32 op, quantize): the artifact's defined numerics, which ARM kernels (phones) compute.
        x86 CPUs without VNNI (this host) run ORT's fused int8 convolutions with saturating 16-bit
        sums (measured XXS, convolutions quantized: 10.5 dB instead of 35.8 dB); see the README."""
        import onnx

        session = _session(str(path), as_written=_is_qdq(onnx.load(str(path))))
        return lambda x: session.run(None, {INPUT_NAME: x})[0]

    def intermediates(self, artifact: Path, probe) -> tuple[str, dict]:
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
        session = _session(proto.SerializeToString(), as_written=_is_qdq(proto))
        values = session.run(list(taps.values()), {INPUT_NAME: probe.inputs[0]})
        return TAPS, dict(zip(taps, values))


def _is_qdq(proto) -> bool:
    return any(node.op_type == "QuantizeLinear" for node in proto.graph.node)


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


def _quantize(path: Path, request, quantization: str):
    """int8 in place: only the convolutions (almost all of the MACs) and the head, per-channel
    symmetric weights and (static) symmetric activations calibrated by min/max on real images.
    Attention matmuls, softmax, norms and GELU stay fp32 (XXS: every op quantized 19.9 dB,
    convolutions 35.8 dB, plus the head 33.7 dB at 30 % of the fp32 size instead of 34 %)."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_dynamic, quantize_static

    if quantization == "dynamic":
        quantize_dynamic(str(path), str(path), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["Conv", "Gemm"])
        return onnx.load(str(path))
    quantize_static(str(path), str(path), calibration_reader(request), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.MinMax, op_types_to_quantize=["Conv", "Gemm"],
                    extra_options={"ActivationSymmetric": True})
    return onnx.load(str(path))


def calibration_reader(request):
    """The calibration images (export/calibration.py) as ONNX Runtime's quantizers read them, in
    batches of the request's size."""
    from onnxruntime.quantization import CalibrationDataReader

    batch, _ = images(request.calibration_dir, request.height, request.width)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.chunks = iter(batch.split(request.batch))

        def get_next(self):
            chunk = next(self.chunks, None)
            return None if chunk is None or len(chunk) < request.batch else {INPUT_NAME: chunk.numpy()}

    return Reader()


def _scope(module: str) -> str:
    """A module path as the TorchScript exporter names scopes: layers.0.blocks.1 -> /layers.0/blocks.1/."""
    parts: list[str] = []
    for part in module.split("."):
        if part.isdigit() and parts:
            parts[-1] += f".{part}"
        else:
            parts.append(part)
    return "/" + "/".join(parts) + "/"

