"""LiteRT (TensorFlow Lite's successor): litert-torch -> `.tflite` with NCHW input and output, as
the other targets and the apps feed it; parity in ai-edge-litert's interpreter with its default
XNNPACK CPU delegate. fp16 and int8 by ai-edge-quantizer on the fp32 flatbuffer.

Deploy form, measured (XXS 224², ai-edge-litert 2.3 interpreter, XNNPACK, 2 threads, 6
interleaved rounds x 10, one process; ratio to the five shared passes):

    passes                                             XNNPACK partitions  nodes   median
    none (the model as written)                        does not load: FULLY_CONNECTED from the global
                                                       attention's rank-5 matmul fails to prepare (3136 != 8)
    global_attention_bmm                               29                   969    1.064
    fold_norm_affine, local_qkv_slices, global_attention_bmm        4      747    1.016
    fold_batchnorm, groupnorm_as_mean, + those three    3                   792    1.000
    ... without local_qkv_slices                        3                   864    1.031
    ... plus separate_qkv                               3                   804    1.019
    ... plus split_depthwise                            3                   904    0.840   <- taken

The same list as ExecuTorch's XNNPACK backend (the same kernels): split_depthwise pays here too,
XNNPACK's 7x7 / 9x9 depthwise kernels being its slow ones.
"""
from __future__ import annotations

import platform
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from ...calibration import images
from ...console import native_output_silenced
from ...errors import ExportError, Unverifiable
from ..base import AppRun, Guest, HostedRun, Rows, Runner, Target, missing_modules, op_counts, ops_summary, register
from .fp16 import fp16_arithmetic

if TYPE_CHECKING:
    from ...request import ExportRequest

# The manifest's `litert.arithmetic`: what XNNPACK computes in, per precision.
ARITHMETIC = {"fp32": "float32", "int8": "int8 where quantized, float32 elsewhere",
              "fp16": "float16 on CPUs with fp16 arithmetic (ARMv8.2: XNNPACK's fp16 hint, from the model's "
                      "reduced_precision_support metadata), float32 on others"}

# Where litert-converter (litert-torch's converter) has wheels: pyproject's marker on litert-torch.
CONVERTER_BUILDS = {("linux", "x86_64"), ("darwin", "arm64")}
XNNPACK_PATH = "LiteRT XNNPACK delegate (CPU)"
GPU_PATH = "LiteRT GPU delegate (op list, export/targets/litert/__init__.py)"
# int8: what ai-edge-quantizer quantizes statically (int8 per-channel weights, int8 activations
# calibrated on the images: min/max); every other op stays fp32. XXS, 36 photos: 34.7 dB (worst image 33.3).
INT8_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")

# The GPU delegate's operators: the `NewOperationParser` switch of google-ai-edge/LiteRT
# tflite/delegates/gpu/common/model_builder.cc @ f674577 (2026-08-21); DEQUANTIZE / QUANTIZE with
# its default quantized-op flag. Any tensor of rank 5 or more rejects the node. Per-op checks
# (tflite/tools/versioning/gpu_compatibility.cc) are not repeated here: on the list means eligible.
GPU_OPS = frozenset({
    "ABS", "ADD", "ADD_N", "AVERAGE_POOL_2D", "BATCH_MATMUL", "CAST", "CONCATENATION", "CONV_2D", "COS", "CUMSUM",
    "DENSIFY", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE", "DEQUANTIZE", "DIV", "ELU", "EQUAL", "EXP", "FLOOR",
    "FLOOR_DIV", "FLOOR_MOD", "FULLY_CONNECTED", "GATHER", "GELU", "GREATER", "GREATER_EQUAL", "HARD_SWISH",
    "LEAKY_RELU", "LESS", "LESS_EQUAL", "LOG", "LOGICAL_AND", "LOGISTIC", "LSTM", "MAXIMUM", "MAX_POOL_2D", "MEAN",
    "MINIMUM", "MIRROR_PAD", "MUL", "NEG", "NOT_EQUAL", "ONE_HOT", "PACK", "PAD", "PADV2", "POW", "PRELU",
    "QUANTIZE", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "RELU", "RELU6", "RELU_0_TO_1", "RELU_N1_TO_1",
    "RESHAPE", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "RSQRT", "SELECT", "SELECT_V2", "SIGN", "SIN", "SLICE",
    "SOFTMAX", "SPACE_TO_DEPTH", "SPLIT", "SPLIT_V", "SQRT", "SQUARE", "SQUARED_DIFFERENCE", "STRIDED_SLICE", "SUB",
    "SUM", "TANH", "TILE", "TRANSPOSE", "TRANSPOSE_CONV", "UNPACK",
})
GPU_MAX_RANK = 4


def _interpreter(path: Path, threads: int | None = None, delegates: bool = True):
    """ai-edge-litert's interpreter; `delegates`: with its default XNNPACK CPU delegate."""
    if missing_modules("ai_edge_litert"):
        raise Unverifiable("LiteRT's runtime (ai-edge-litert) is not installed here: pip install 'cloformer[litert]'")
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = OpResolverType.AUTO if delegates else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    with native_output_silenced():  # "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
        interpreter = Interpreter(model_path=str(path), num_threads=threads, experimental_op_resolver_type=resolver)
        try:
            interpreter.allocate_tensors()
        except RuntimeError as e:  # the graph converted, but LiteRT's kernels refuse it
            reason = " ".join(str(e).replace(")Node", ") Node").split())
            raise ExportError(f"LiteRT cannot prepare this graph: {reason}") from None
    return interpreter


def _module_paths(model: torch.nn.Module) -> dict[tuple[str, ...], str]:
    """litert-torch names tensors by the classes and attribute names of the modules they come from
    (`...CloLayer_0/...EfficientBlock_1/...EfficientAttention_attn`; containers left out): that
    sequence -> the module's path."""
    paths: dict[tuple[str, ...], str] = {}
    for path, _ in model.named_modules():
        parts, key = path.split(".") if path else [], []
        for i in range(len(parts)):
            module = model.get_submodule(".".join(parts[:i + 1]))
            if not isinstance(module, (torch.nn.ModuleList, torch.nn.ModuleDict)):
                key.append(f"{type(module).__name__}_{parts[i]}")
        paths.setdefault(tuple(key), path)
    return paths


def _module_of(tensor_name: str, paths: dict[tuple[str, ...], str]) -> str:
    scope = [part.rsplit(".", 1)[-1] for part in tensor_name.split(";")[0].split("/")[1:]]
    for end in range(len(scope), 0, -1):
        if tuple(scope[:end]) in paths:
            return paths[tuple(scope[:end])]
    return ""


def _placement(path: Path, model: torch.nn.Module) -> tuple[list[dict], dict[str, int]]:
    """The XNNPACK delegate's partitions as the interpreter makes them, and the GPU op list; op counts."""
    interpreter = _interpreter(path)
    nodes = interpreter._get_ops_details()  # every node: the model's ops, then the delegate kernels
    ops = [n for n in nodes if n["op_name"] != "DELEGATE"]
    produced = {t: n["index"] for n in ops for t in n["outputs"]}
    delegated: set[int] = set()
    kernels = [n for n in nodes if n["op_name"] == "DELEGATE"]
    for kernel in kernels:  # a partition: from its outputs back to its inputs
        stop, todo = set(kernel["inputs"]), list(kernel["outputs"])
        while todo:
            tensor = todo.pop()
            node = produced.get(tensor)
            if tensor in stop or node is None or node in delegated:
                continue
            delegated.add(node)
            todo.extend(nodes[node]["inputs"])
    paths = _module_paths(model)
    details = {t["index"]: t for t in interpreter.get_tensor_details()}

    def module(node: dict) -> str:
        return _module_of(details[node["outputs"][0]]["name"], paths) if len(node["outputs"]) else ""

    def rank(node: dict) -> int:
        return max((len(details[t]["shape"]) for t in (*node["inputs"], *node["outputs"]) if t in details), default=0)

    gpu_off = []
    for node in ops:
        if node["op_name"] not in GPU_OPS:
            gpu_off.append((f"{node['op_name']} (not on the list)", module(node)))
        elif rank(node) > GPU_MAX_RANK:
            gpu_off.append((f"{node['op_name']} (rank {rank(node)} > {GPU_MAX_RANK})", module(node)))
    placement = [
        {"path": XNNPACK_PATH, "partitions": len(kernels), "ops_on_path": len(delegated), "ops": len(ops),
         "off": [(n["op_name"], module(n)) for n in ops if n["index"] not in delegated]},
        {"path": GPU_PATH, "partitions": None, "ops_on_path": len(ops) - len(gpu_off), "ops": len(ops), "off": gpu_off},
    ]
    return placement, op_counts(n["op_name"] for n in ops)


def _quantize(source: Path, target: Path, request: ExportRequest) -> str:
    """fp16 weights, or int8 convolutions and fully connected layers calibrated on real images
    (ai-edge-quantizer); returns what the weights are."""
    from ai_edge_quantizer import calibrator, quantizer, recipe_manager
    from ai_edge_quantizer.algorithm_manager import AlgorithmName
    from ai_edge_quantizer.utils import qsv_utils

    q = quantizer.Quantizer(str(source))
    if request.precision == "fp16":
        q.add_weight_only_config(".*", "*", 16, algorithm_key=AlgorithmName.FLOAT_CASTING)
        q.quantize(None, serialize_to_path=str(target), enable_progress_report=False)
        return "float16"
    recipe = recipe_manager.RecipeManager()
    for op in INT8_OPS:
        recipe.add_static_config(".*", op, 8, 8)
    q.load_quantization_recipe(recipe.get_quantization_recipe())
    signature = _interpreter(source, delegates=False).get_signature_list()
    key, = signature
    name = signature[key]["inputs"][0]
    batch, _ = images(request.calibration_dir, request.height, request.width)
    chunks = [c.numpy() for c in batch.split(request.batch) if len(c) == request.batch]
    # Each tensor's range is the min and max over every calibration image. Quantizer.calibrate keeps
    # a moving average of each chunk's range instead (0.95 to the past), which fits the last few
    # images: on the trained Fashion-MNIST XXS at 32² that clipped to 16.0 dB over its 500
    # calibration images and cosine 0.946 on the check's photo; min/max: 37.4 dB and 0.9998.
    ranges = calibrator.Calibrator(str(source), qsv_update_func=qsv_utils.min_max_update)
    ranges.calibrate({key: [{name: c} for c in chunks]}, recipe)
    q.quantize(ranges.get_model_qsvs(), serialize_to_path=str(target), enable_progress_report=False)
    return f"int8 per channel for {', '.join(INT8_OPS)} (activations int8, calibrated: min/max); others float32"


@register
class LiteRTTarget(Target):
    name = "litert"
    order = 30
    suffix = ".tflite"
    runtime = "ai-edge-litert (XNNPACK)"
    summary = "LiteRT flatbuffer (litert-torch, NCHW in/out); parity in ai-edge-litert's interpreter (XNNPACK)"
    precision_summary = ("fp16: fp16 weights, marked for fp16 arithmetic (XNNPACK on ARMv8.2 cores, the GPU "
                         "delegate; fp32 on CPUs without it); int8: convs and fully connected static int8, "
                         "calibrated (ai-edge-quantizer)")
    result_runtime, runtime_package = "litert", "ai-edge-litert"
    apps = {"android": AppRun("litert")}
    hosted = {"aihub": HostedRun(("cpu", "gpu", "npu"))}  # XNNPACK, the GPU delegate, the QNN delegate
    guest = Guest("ai-edge-litert", loader=resources.files(__package__) / "guest.py", wheels=("ai-edge-litert",))
    section = {"ops": {"type": "integer", "minimum": 1, "description": "operators in the flatbuffer"},
               "weights": {"type": "string", "description": "how the weights are stored"},
               "arithmetic": {"type": "string", "description": "what XNNPACK computes in"},
               "xnnpack_partitions": {"type": "integer", "minimum": 0}}
    packages = ("litert-torch", "ai-edge-litert", "ai-edge-quantizer")
    loggers = ("litert_torch", "absl")
    passes = ("fold_batchnorm", "groupnorm_as_mean", "fold_norm_affine", "local_qkv_slices", "global_attention_bmm",
              "split_depthwise")
    # fp16: XNNPACK has no fp16 MEAN, and each one kept its neighbours in fp32 (XXS 224²: 3.5 % fewer
    # instructions than fp32 without this pass).
    fp16_passes = ("means_as_avg_pool",)

    def rewrites(self, request: ExportRequest) -> tuple[str, ...]:
        return self.passes + (self.fp16_passes if request.precision == "fp16" else ())

    def precisions(self, request: ExportRequest) -> tuple[str, ...]:
        return ("fp32", "fp16", "int8")

    def unavailable(self) -> str | None:
        missing = missing_modules("litert_torch", "ai_edge_litert", "ai_edge_quantizer")
        if missing and "litert_torch" in missing and (sys.platform, platform.machine()) not in CONVERTER_BUILDS:
            return ("needs litert-torch, whose converter has no build for this platform (x86_64 Linux and "
                    "Apple-silicon macOS only); export LiteRT on one of those")
        return missing and (f"needs {missing.replace('_', '-')}, not installed here; "
                            "pip install 'cloformer[litert]' (about 1 GB, with jax)")

    def export(self, model: torch.nn.Module, example: torch.Tensor, request: ExportRequest, path: Path) -> dict:
        import litert_torch

        float_path = path if request.precision == "fp32" else path.with_name(path.stem + ".fp32" + path.suffix)
        try:
            litert_torch.convert(model.eval(), (example,)).export(str(float_path))
            weights = "float32"
            if request.precision != "fp32":
                weights = _quantize(float_path, path, request)
        finally:
            if float_path != path:
                float_path.unlink(missing_ok=True)
        if request.precision == "fp16":
            fp16_arithmetic(path)
        placement, counts = _placement(path, model)
        return {"ops": counts, "placement": placement,
                "litert": {"ops": sum(counts.values()), "weights": weights, "arithmetic": ARITHMETIC[request.precision],
                           "xnnpack_partitions": placement[0]["partitions"]}}

    def setup(self) -> None:
        if not missing_modules("ai_edge_litert"):
            import ai_edge_litert.interpreter  # noqa: F401

    def runner(self, path: Path, backend: str | None, threads: int | None = None) -> Runner:
        interpreter = _interpreter(path, threads)
        source, sink = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]

        def run(x: np.ndarray) -> np.ndarray:
            interpreter.set_tensor(source, np.ascontiguousarray(x, dtype=np.float32))
            interpreter.invoke()
            return interpreter.get_tensor(sink).copy()
        return run

    def io_shapes(self, path: Path) -> tuple[list[int], list[int]]:
        interpreter = _interpreter(path, delegates=False)
        return ([int(d) for d in interpreter.get_input_details()[0]["shape"]],
                [int(d) for d in interpreter.get_output_details()[0]["shape"]])

    def input_name(self, path: Path) -> str:
        return _interpreter(path, delegates=False).get_input_details()[0]["name"]

    def result_backend(self, manifest: dict) -> str:
        return "xnnpack"

    def report_rows(self, tag: str, naive: dict, deploy: dict) -> Rows:
        def entry(manifest: dict, path: str) -> dict:
            return next(e for e in manifest["placement"] if e["path"] == path)

        def off(manifest: dict, path: str) -> str:
            return ops_summary({item["op"]: item["count"] for item in entry(manifest, path)["off"]})

        return [(f"{tag}: ops", str(naive["litert"]["ops"]), str(deploy["litert"]["ops"])),
                (f"{tag}: XNNPACK partitions", str(naive["litert"]["xnnpack_partitions"]),
                 str(deploy["litert"]["xnnpack_partitions"])),
                (f"{tag}: ops outside XNNPACK", off(naive, XNNPACK_PATH), off(deploy, XNNPACK_PATH)),
                (f"{tag}: ops off the GPU delegate list", off(naive, GPU_PATH), off(deploy, GPU_PATH))]
