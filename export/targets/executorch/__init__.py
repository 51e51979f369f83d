"""ExecuTorch: torch.export -> to_edge_transform_and_lower(partitioner) -> `.pte`.

Backends: `xnnpack` (CPU, default), `coreml` (ExecuTorch's Core ML delegate: exports on
Linux, runs on Apple platforms only), `portable` (no delegate, ExecuTorch's portable
kernels). Parity runs the `.pte` in `executorch.runtime`. On emulated ARM64 the `.pte` runs in
et_runner.cpp (here), built against the aarch64 executorch wheel's C++ runtime (`_guest_build`).
"""
from __future__ import annotations

import itertools
import os
import re
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ...calibration import images
from ...console import native_output_silenced
from ...errors import Unverifiable, UsageError
from ...options import Options, option
from ..base import AppRun, Guest, GuestBuild, Rows, Target, by_count, ops_summary, register
from ..shared.apple import COMPUTE_UNITS, DEPLOYMENT_TARGET, compute_unit, deployment_target

if TYPE_CHECKING:
    from ...request import ExportRequest

HERE = resources.files(__package__)

# Backends that need a vendor SDK or host this machine does not have: named in --help,
# refused with the reason.
SDK_BACKENDS = {
    "qnn": ("the Qualcomm AI Engine Direct (QNN) SDK", "QNN_SDK_ROOT"),
    "mps": ("macOS with Metal Performance Shaders", None),
    "mediatek": ("the MediaTek NeuroPilot SDK", "NEURON_BUFFER_ALLOCATOR_LIB"),
    "samsung": ("the Samsung Exynos AI LiteCore (ENN) SDK", "EXYNOS_AI_LITECORE_ROOT"),
    "openvino": ("the Intel OpenVINO toolkit", "INTEL_OPENVINO_DIR"),
}
BACKENDS = ("xnnpack", "coreml", "portable")
# The runtime registers delegates by these names; a .pte using one it lacks cannot load.
RUNTIME_BACKEND = {"xnnpack": "XnnpackBackend", "coreml": "CoreMLBackend"}


@dataclass(frozen=True)
class ExecuTorchOptions(Options):
    backend: str = option(
        "xnnpack", "ExecuTorch backend (default xnnpack): xnnpack (CPU), coreml (Apple Core ML delegate), "
        f"portable (no delegate); {', '.join(SDK_BACKENDS)} need vendor SDKs not available here",
        choices=BACKENDS + tuple(SDK_BACKENDS))
    compute_units: str = option(**COMPUTE_UNITS)
    deployment_target: str = option(**DEPLOYMENT_TARGET)

    def takes(self, precision: str) -> frozenset[str]:
        return frozenset({"backend", "compute_units", "deployment_target"} if self.backend == "coreml" else {"backend"})

    def context(self) -> str:
        return f" with --backend {self.backend}"


def partitioners(options: ExecuTorchOptions) -> list:
    if options.backend == "xnnpack":
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

        return [XnnpackPartitioner()]
    if options.backend == "coreml":
        import coremltools as ct
        from executorch.backends.apple.coreml.compiler import CoreMLBackend
        from executorch.backends.apple.coreml.partition import CoreMLPartitioner

        specs = CoreMLBackend.generate_compile_specs(
            compute_unit=compute_unit(options.compute_units),
            minimum_deployment_target=deployment_target(options.deployment_target),
            compute_precision=ct.precision.FLOAT32)
        return [CoreMLPartitioner(compile_specs=specs)]
    return []


def _outside(graph) -> list[tuple[str, str]]:
    """(op, module path) of every compute node left outside the delegates."""
    off = []
    for node in graph.nodes:
        if node.op != "call_function" or node.name.startswith(("executorch_call_delegate", "getitem")):
            continue
        stack = node.meta.get("nn_module_stack") or {}
        module = list(stack.values())[-1][0] if stack else ""
        off.append((re.sub(r"_\d+$", "", node.name), module))
    return off


def _as_slices(x: torch.Tensor, sizes, dim: int = 0) -> list[torch.Tensor]:
    if isinstance(sizes, int):  # split.Tensor: chunks of `sizes`, the last one shorter
        sizes = [min(sizes, x.shape[dim] - start) for start in range(0, x.shape[dim], sizes)]
    starts = [0, *itertools.accumulate(sizes)]
    return [torch.ops.aten.slice.Tensor(x, dim, a, b) for a, b in itertools.pairwise(starts)]


def _splits_as_slices(program: torch.export.ExportedProgram) -> torch.export.ExportedProgram:
    """XNNPACK delegates static slices but not `split_with_sizes` (the deploy form's channel
    split, native in Core ML and ONNX): lower each split to slices for it."""
    aten = torch.ops.aten
    return program.run_decompositions({aten.split.Tensor: _as_slices, aten.split_with_sizes.default: _as_slices})


# What XNNPACK's quantizer annotates (measured XXS, logits SQNR vs fp32 over the 36 photos, eager
# PT2E reference): every pattern it knows 30.7 dB; convs and linears only 34.1 dB (adds, muls and
# concats stay fp32, inside the same delegate); plus the head linear fp32 36.1 dB but 33 % of the
# fp32 size; plus the head dynamically quantized (int8 weights, activations quantized per run)
# 35.0 dB at 28 %. Keeping the stem, the depthwise or the AttnMap convs fp32 moved it < 0.1 dB.
_INT8_OPS = (torch.ops.aten.conv2d.default, torch.ops.aten.linear.default)


def _head(model: torch.nn.Module) -> str:
    """The classifier: the model's last linear layer (CloFormer's `head`, a peer's last `classifier` linear)."""
    return [name for name, m in model.named_modules() if isinstance(m, torch.nn.Linear)][-1]


_PADS = (torch.ops.aten.pad.default, torch.ops.aten.constant_pad_nd.default)


def _quantizer():
    """XNNPACK's quantizer, plus: a pad shares its input's int8 parameters. XNNPACK's constant pad
    has no int8 kernel of its own, so with its own parameters split_depthwise's pad made a `.pte` that
    fails to load; sharing them, the split pieces run on XNNPACK's int8 5x5 depthwise kernel instead
    of the slow grouped path a 7x7/9x9 depthwise takes (XXS 224² on the emulated A76: int8 279.1 ->
    155.2 M instructions, 0.90x -> 0.50x fp32)."""
    from executorch.backends.xnnpack.quantizer import xnnpack_quantizer_utils as utils
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import XNNPACKQuantizer
    from torchao.quantization.pt2e.quantizer import QuantizationAnnotation, SharedQuantizationSpec

    class PadSharingQuantizer(XNNPACKQuantizer):
        def annotate(self, model: torch.fx.GraphModule) -> torch.fx.GraphModule:
            model = super().annotate(model)
            for node in model.graph.nodes:
                if node.op == "call_function" and node.target in _PADS:
                    source = node.args[0]
                    annotation = source.meta.get(utils.Q_ANNOTATION_KEY)
                    if annotation is not None and annotation.output_qspec is not None:
                        shared = SharedQuantizationSpec(source)
                        node.meta[utils.Q_ANNOTATION_KEY] = QuantizationAnnotation(
                            input_qspec_map={source: shared}, output_qspec=shared, _annotated=True)
            utils.propagate_annotation(model)  # the slices of each padded input share them too
            return model
    return PadSharingQuantizer()


def _quantized(model: torch.nn.Module, example: torch.Tensor, request: ExportRequest) -> torch.nn.Module:
    """Static int8 through PT2E with XNNPACK's quantizer: per-channel symmetric weights, int8
    activations calibrated on real images for the convolutions and linears; the head dynamic."""
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import get_symmetric_quantization_config
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    static = get_symmetric_quantization_config(is_per_channel=True)
    quantizer = _quantizer()
    # annotated first: the operator types below skip its nodes
    quantizer.set_module_name(_head(model), get_symmetric_quantization_config(is_per_channel=True, is_dynamic=True))
    for op in _INT8_OPS:
        quantizer.set_operator_type(op, static)
    prepared = prepare_pt2e(torch.export.export(model, (example,)).module(), quantizer)
    batch, _ = images(request.calibration_dir, request.height, request.width)
    with torch.no_grad():
        for chunk in batch.split(request.batch):
            if len(chunk) == request.batch:
                prepared(chunk)
    return convert_pt2e(prepared)


class _Half(torch.nn.Module):
    """The model in fp16 behind fp32 inputs and outputs: XNNPACK then runs its fp16 kernels (8 lanes
    per NEON instruction on ARMv8.2) and the artifact keeps the fp32 interface of every other one;
    the two casts are the only ops left outside the delegate."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model.half()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x.half()).float()


_OP_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}}


def _guest_build(build: GuestBuild) -> str:
    """et_runner.cpp cross-compiled against the aarch64 executorch wheel's headers and shared
    libraries (the host's version): the runtime without Python, so torch (a CUDA build on
    aarch64) never enters the emulated userland."""
    include = build.work / "executorch" / "include"
    et = build.sysroot / "opt" / "executorch"
    with zipfile.ZipFile(build.wheel("executorch")) as wheel:
        for member in wheel.namelist():
            if member.startswith(("executorch/lib/", "executorch/include/")) and not member.endswith("/"):
                target = (build.sysroot / "opt" if member.startswith("executorch/lib/") else build.work) / member
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(wheel.read(member))
    # The wheel's CMake config (share/cmake/executorch-config.cmake) names these flags: its c10
    # headers, C++17, and the definitions its libraries were compiled with.
    build.cxx(["-O2", "-std=c++17", "-Wno-deprecated-declarations", "-DC10_USING_CUSTOM_GENERATED_MACROS",
               "-DET_EVENT_TRACER_ENABLED", f"-I{include}", f"-I{include}/executorch/runtime/core/portable_type/c10",
               "-o", str(et / "et_runner"), str(HERE / "et_runner.cpp"), f"-L{et / 'lib'}", "-lexecutorch",
               # kernels and the delegate register themselves from static initializers: link them all
               "-Wl,--no-as-needed", "-lexecutorch_kernels_optimized", "-lexecutorch_kernels_quantized",
               "-lexecutorch_backend_xnnpack", "-Wl,--as-needed", "-Wl,-rpath,$ORIGIN/lib"],
              "compiling the ExecuTorch runner (aarch64-linux-gnu-g++)")
    return "opt/executorch/et_runner"


@register
class ExecuTorchTarget(Target):
    name = "executorch"
    order = 40
    suffix = ".pte"
    runtime = "executorch.runtime"
    summary = "ExecuTorch program (.pte) for the xnnpack, coreml or portable backend; parity in executorch.runtime"
    Options = ExecuTorchOptions
    result_runtime = runtime_package = "executorch"
    apps = {"android": AppRun("executorch"), "ios": AppRun("executorch")}
    guest = Guest("executorch", build=_guest_build, sources=(HERE / "et_runner.cpp",),
                  backends=("xnnpack", "portable"))
    section = {"delegated_subgraphs": {"type": "integer", "minimum": 0},
               "non_delegated_ops": {**_OP_COUNTS, "description": "edge op -> count left outside the delegates"},
               "delegated_ops": {**_OP_COUNTS, "description": "edge op -> count inside the delegates"}}
    packages = ("executorch",)
    loggers = ("executorch",)
    precision_summary = ("fp16 (xnnpack): an fp16 graph behind fp32 inputs and outputs, run by XNNPACK's fp16 "
                         "kernels; int8 (xnnpack): PT2E static int8 convs and linears, head dynamic")
    # XNNPACK, XXS: 62 delegated subgraphs + 134 ops outside -> 1 subgraph, nothing outside.
    passes = ("fold_batchnorm", "groupnorm_as_mean", "fold_norm_affine", "local_qkv_slices", "global_attention_bmm")
    # XNNPACK only: its 7x7 / 9x9 depthwise kernels are slow (XXS ET/ORT 1.52-1.71 -> 1.09-1.34
    # with the split, same runs); 3x3 pieces were slower (1.43).
    xnnpack_passes = ("split_depthwise",)
    # int8: quantized slices stay outside XNNPACK (13 subgraphs); separate convs need none. The split
    # pays in int8 too, once its pad shares its input's int8 parameters (_quantizer).
    xnnpack_int8_passes = ("separate_qkv", "split_depthwise")
    # fp16: what the partitioner takes in fp32 only (mean.dim, SiLU, GELU), in ops it takes in fp16.
    xnnpack_fp16_passes = ("split_depthwise", "means_as_avg_pool", "silu_as_sigmoid", "gelu_as_sigmoid")

    def validate(self, request: ExportRequest) -> None:
        backend = self.settings(request).backend
        if backend in SDK_BACKENDS:
            sdk, env = SDK_BACKENDS[backend]
            found = f" ({env} is set, but cloformer-export does not drive this backend yet)" if env and os.environ.get(env) else ""
            raise UsageError(f"--backend {backend} needs {sdk}{found}; "
                             f"use --backend {', '.join(BACKENDS[:-1])} or {BACKENDS[-1]}")

    def rewrites(self, request: ExportRequest) -> tuple[str, ...]:
        if self.settings(request).backend != "xnnpack":
            return self.passes
        return self.passes + {"fp32": self.xnnpack_passes, "fp16": self.xnnpack_fp16_passes,
                              "int8": self.xnnpack_int8_passes}[request.precision]

    def precisions(self, request: ExportRequest) -> tuple[str, ...]:
        return {"xnnpack": ("fp32", "fp16", "int8")}.get(self.settings(request).backend, ("fp32",))

    def precision_note(self, request: ExportRequest) -> str:
        return f"fp16 and int8 are lowered for --backend xnnpack; --backend {self.settings(request).backend} takes fp32"

    def tag(self, request: ExportRequest) -> str:
        return f"executorch_{self.settings(request).backend}"

    def backend(self, request: ExportRequest) -> str:
        return self.settings(request).backend

    def export(self, model: torch.nn.Module, example: torch.Tensor, request: ExportRequest, path: Path) -> dict:
        from executorch.devtools.backend_debug import get_delegation_info
        from executorch.exir import to_edge_transform_and_lower

        options = self.settings(request)
        if request.precision == "int8":
            model = _quantized(model, example, request)
        elif request.precision == "fp16":
            model = _Half(model)
        program = torch.export.export(model, (example,))
        if options.backend == "xnnpack":
            program = _splits_as_slices(program)
        edge = to_edge_transform_and_lower(program, partitioner=partitioners(options))
        info = get_delegation_info(edge.exported_program().graph_module)
        outside = _outside(edge.exported_program().graph)  # before to_executorch adds its memory-planning nodes
        path.write_bytes(edge.to_executorch().buffer)
        # `getitem` only unpacks a delegate's outputs: not an op that runs.
        breakdown = {op: b for op, b in info.delegation_by_operator.items() if op != "getitem"}
        non_delegated = by_count({op: b.non_delegated for op, b in breakdown.items()})
        delegated = by_count({op: b.delegated for op, b in breakdown.items()})
        fields = {"ops": by_count({**non_delegated, "executorch_call_delegate": info.num_delegated_subgraphs}),
                  "executorch": {"delegated_subgraphs": info.num_delegated_subgraphs,
                                 "non_delegated_ops": non_delegated, "delegated_ops": delegated}}
        if options.backend != "portable":  # portable has no fast path to fall off
            fields["placement"] = [{
                "path": f"ExecuTorch {options.backend} delegate", "partitions": info.num_delegated_subgraphs,
                "ops_on_path": sum(delegated.values()), "ops": sum(delegated.values()) + sum(non_delegated.values()),
                "off": outside}]
        return fields

    def report_rows(self, tag: str, naive: dict, deploy: dict) -> Rows:
        a, b = naive["executorch"], deploy["executorch"]
        return [(f"{tag}: delegated subgraphs", str(a["delegated_subgraphs"]), str(b["delegated_subgraphs"])),
                (f"{tag}: ops outside the delegate", ops_summary(a["non_delegated_ops"]),
                 ops_summary(b["non_delegated_ops"]))]

    def io_shapes(self, path: Path) -> tuple[list[int], list[int]]:
        method = self._program(path).metadata("forward")
        return (list(method.input_tensor_meta(0).sizes()), list(method.output_tensor_meta(0).sizes()))

    @staticmethod
    def _program(path: Path):
        from executorch.runtime import Runtime

        with native_output_silenced():
            return Runtime.get().load_program(path)

    def setup(self) -> None:
        from executorch.runtime import Runtime

        with native_output_silenced():
            Runtime.get()  # seconds on first use: loads the library, registers kernels

    def runner(self, path: Path, backend: str | None, threads: int | None = None):
        from executorch.extension.pybindings.portable_lib import _unsafe_reset_threadpool
        from executorch.runtime import Runtime

        with native_output_silenced():
            runtime = Runtime.get()
            if threads:  # one process-wide pool: set for the artifact about to run
                _unsafe_reset_threadpool(threads)
        needed = RUNTIME_BACKEND.get(backend)
        if needed and needed not in runtime.backend_registry.registered_backend_names:
            raise Unverifiable(f"this executorch runtime has no {needed} (it has "
                               f"{', '.join(runtime.backend_registry.registered_backend_names)}); "
                               "the .pte runs where that delegate is built in (e.g. the iOS app)")
        with native_output_silenced():
            method = runtime.load_program(path).load_method("forward")
        return lambda x: method.execute([torch.from_numpy(x)])[0].numpy()

