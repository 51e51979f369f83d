"""MNN: the shared ONNX graph (targets/shared/onnx_graph.py) converted by MNN's own converter
(mnnconvert) into a `.mnn` file; parity in MNN's Python binding (guest.py, which the emulated ARM64
machine also runs with MNN's aarch64 wheel). int8 by MNN's own quantizer (mnnquant), calibrated on
the calibration images.

MNN's converter and quantizer are called through the `_tools` extension the wheel ships: the wheel's
`mnnconvert`/`mnnquant` console scripts first pip-install a telemetry SDK and report usage to a
server (MNN/tools/utils/log.py), which an export must not do.

MNN fuses the graph's erf GELU into its own GELU kernel, which approximates it: a bare GELU on
inputs in [-9, 9] differs from torch's by 4.7e-4 (x86 host), so fp32 parity allows 1e-3.

Deploy form: see `passes`.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from ...calibration import images
from ...console import native_output_silenced
from ...errors import ExportError, Unverifiable, shortened
from ...inputs import preprocessing
from ...parity import TOLERANCE, Tolerance
from ..base import Guest, Rows, Runner, Target, by_count, missing_modules, ops_summary, register
from ..shared.onnx_graph import write_graph
from . import guest as binding
from .guest import INPUT, OUTPUT

if TYPE_CHECKING:
    from ...request import ExportRequest

FP32 = Tolerance(max_abs_diff=1e-3, min_cosine=0.99999)  # its GELU kernel approximates erf (docstring)
MIN_SQNR_FP32 = 70.0  # dB at a block's output: the GELU approximation alone costs XXS's blocks 79-93 dB
# Ops that only move or re-lay data (MNN computes them as copies, "Raster" at run time) and ops the
# converter leaves for shape computation: no arithmetic, but each a pass over memory.
MOVES_DATA = frozenset({"ConvertTensor", "Permute", "Transpose", "Reshape", "Slice", "SliceTf", "StridedSlice",
                        "Concat", "Squeeze", "Unsqueeze", "Flatten", "Gather", "GatherV2", "Tile", "Pad"})
FREE = frozenset({"Input", "Const", "Shape", "Rank", "Size"})  # constants and shape arithmetic
PATH = "MNN CPU compute kernels (data-movement ops off)"
TOOL_TIMEOUT = 1800  # s: the whole int8 export of XXS 224² (36 images) took 17 s here


def _tool(name: str, args: list[str], target: Path, what: str) -> None:
    """Run MNN's `name` tool (`_tools.<name>`, its command line as a list) in a child process: on input
    it cannot handle it aborts the process (std::length_error) instead of raising."""
    code = f"import sys, _tools; sys.exit(0 if _tools.{name}(sys.argv[1:]) else 1)"
    done = subprocess.run([sys.executable, "-c", code, name, *args], capture_output=True, text=True,
                          timeout=TOOL_TIMEOUT)
    said = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    if done.returncode or not target.is_file():
        raise ExportError(f"MNN's {what} failed (exit {done.returncode}): {shortened(said[-1] if said else 'no message')}")


def _convert(onnx_path: Path, target: Path, fp16: bool) -> None:
    _tool("mnnconvert", ["-f", "ONNX", "--modelFile", str(onnx_path), "--MNNModel", str(target),
                         "--bizCode", "cloformer", *(["--fp16"] if fp16 else [])], target, "converter")


def _quantize(source: Path, target: Path, request: ExportRequest, work: Path) -> None:
    """mnnquant with the calibration images, written at the model's size as the preprocessing leaves
    them (so that MNN's own resize is the identity and its mean/normal undo nothing we did not do)."""
    from PIL import Image

    batch, _ = images(request.calibration_dir, request.height, request.width)
    prep = preprocessing(request.height, request.width)
    mean, std = np.array(prep["mean"]).reshape(1, 3, 1, 1), np.array(prep["std"]).reshape(1, 3, 1, 1)
    pixels = np.clip(np.round((batch.numpy() * std + mean) * 255), 0, 255).astype(np.uint8)
    folder = work / "calibration"
    folder.mkdir()
    for i, image in enumerate(pixels):
        Image.fromarray(image.transpose(1, 2, 0)).save(folder / f"{i:04d}.png")
    config = {"format": "RGB", "mean": [m * 255 for m in prep["mean"]],
              "normal": [1 / (s * 255) for s in prep["std"]], "width": request.width, "height": request.height,
              "path": f"{folder}/", "used_image_num": len(pixels), "feature_quantize_method": "KL",
              "weight_quantize_method": "MAX_ABS"}
    (work / "quant.json").write_text(json.dumps(config))
    _tool("mnnquant", [str(source), str(target), str(work / "quant.json")], target, "quantizer")


def ops(path: Path) -> list[tuple[str, str]]:
    """(op type, module path) of every op in the model. MNN keeps the ONNX names, which carry the module
    scope: /layers.0/blocks.0/attn/Reshape_1_output_0 (a layout conversion appends ___tr4 and its input)."""
    import MNN.expr as F

    with native_output_silenced(stdout=True):
        found = F.load_as_dict(str(path))
    return [(var.op_type, ".".join(name.split("___")[0].strip("/").split("/")[:-1])) for name, var in found.items()]


def _placement(found: list[tuple[str, str]]) -> list[dict]:
    working = [(op, module) for op, module in found if op not in FREE]
    return [{"path": PATH, "partitions": None, "ops": len(working),
             "ops_on_path": sum(op not in MOVES_DATA for op, _ in working),
             "off": [(f"{op} (data movement)", module) for op, module in working if op in MOVES_DATA]}]


@register
class MnnTarget(Target):
    name = "mnn"
    order = 37
    suffix = ".mnn"
    runtime = "MNN (Python binding, CPU)"
    summary = "MNN model converted from the ONNX graph by mnnconvert; parity in MNN's Python binding"
    precision_summary = ("fp16: fp16 weights, MNN's low CPU precision (fp16 arithmetic on ARMv8.2); "
                         "int8: mnnquant (KL activations, max-abs weights) on the calibration images")
    result_runtime, runtime_package = "mnn", "MNN"
    guest = Guest("MNN", loader=resources.files(__package__) / "guest.py", wheels=("MNN",))
    section = {"ops": {"type": "integer", "minimum": 1, "description": "ops in the model"},
               "input": {"type": "string", "description": "the input's name"},
               "output": {"type": "string", "description": "the output's name"},
               "precision": {"enum": sorted(set(binding.PRECISION.values())),
                             "description": "MNN's CPU precision to load it with (the backend's)"}}
    packages = ("MNN", "onnx", "onnxslim")
    # Measured on XXS 224², emulated Cortex-A76, one thread, fp32, M instructions per inference
    # (cloformer-bench arm64):
    #   fold_norm_affine, local_qkv_slices, global_attention_bmm (the ONNX target's)  261.1   <- taken
    #     without fold_norm_affine                                                  261.1
    #     + separate_qkv                                                            261.1
    #     + groupnorm_as_mean                                                       275.2
    #     + split_depthwise                                                         274.4
    #   global_attention_conv instead of global_attention_bmm                       263.0
    # MNN runs its own LayerNorm for the GroupNorm and has no reshape penalty that the conv form removes.
    passes = ("fold_norm_affine", "local_qkv_slices", "global_attention_bmm")

    def precisions(self, request: ExportRequest) -> tuple[str, ...]:
        return ("fp32", "fp16", "int8")

    def tolerance(self, request: ExportRequest) -> Tolerance:
        return FP32 if request.precision == "fp32" else TOLERANCE[request.precision]

    def min_sqnr(self, precision: str) -> float:
        return MIN_SQNR_FP32 if precision == "fp32" else super().min_sqnr(precision)

    def unavailable(self) -> str | None:
        missing = missing_modules("MNN", "_tools")
        return missing and f"needs {missing}, not installed here; pip install 'cloformer[mnn]'"

    def backend(self, request: ExportRequest) -> str:
        return "cpu-fp16" if request.precision == "fp16" else "cpu"

    def export(self, model: torch.nn.Module, example: torch.Tensor, request: ExportRequest, path: Path) -> dict:
        with tempfile.TemporaryDirectory(prefix="cloformer-mnn-") as tmp:
            work = Path(tmp)
            write_graph(model, example, work / "model.onnx")
            _convert(work / "model.onnx", work / "model.mnn", fp16=request.precision == "fp16")
            if request.precision == "int8":  # mnnquant also writes its scales beside its output: kept in `work`
                _quantize(work / "model.mnn", work / "model.int8.mnn", request, work)
            shutil.move(work / ("model.int8.mnn" if request.precision == "int8" else "model.mnn"), path)
        found = ops(path)
        return {"ops": by_count(Counter(op for op, _ in found)), "placement": _placement(found),
                "mnn": {"ops": len(found), "input": INPUT, "output": OUTPUT,
                        "precision": binding.PRECISION[self.backend(request)]}}

    def runner(self, path: Path, backend: str | None, threads: int | None = None) -> Runner:
        if missing_modules("MNN"):
            raise Unverifiable("MNN's runtime is not installed here: pip install 'cloformer[mnn]'")
        with native_output_silenced(stdout=True):  # it prints the CPU's features and its precision
            net = binding.module(str(path), backend or "cpu", threads or 1)
        return lambda x: binding.run(net, x)[0]

    def io_shapes(self, path: Path) -> tuple[list[int], list[int]]:
        if missing_modules("MNN"):
            raise Unverifiable("MNN's runtime is not installed here: pip install 'cloformer[mnn]'")
        with native_output_silenced(stdout=True):  # importing MNN prints the CPU's features
            shape = binding.input_shape(str(path))
        return shape, list(self.runner(path, "cpu")(np.zeros(shape, dtype=np.float32)).shape)

    def result_backend(self, manifest: dict) -> str:
        return manifest["backend"]

    def report_rows(self, tag: str, naive: dict, deploy: dict) -> Rows:
        def off(manifest: dict) -> str:
            return ops_summary({item["op"]: item["count"] for item in manifest["placement"][0]["off"]})

        return [(f"{tag}: ops", str(naive["mnn"]["ops"]), str(deploy["mnn"]["ops"])),
                (f"{tag}: data-movement ops", off(naive), off(deploy))]
