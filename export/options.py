"""Target-specific CLI options. Each target lists the ones it takes; the CLI adds each
option once and rejects one that no selected target takes."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    dest: str
    flag: str
    default: object
    help: str
    choices: tuple[str, ...] | None = None
    type: type = str
    metavar: str | None = None
    needs: str | None = None  # the setting under which its targets take it (for the error line)


OPSET = Option("opset", "--opset", 18, "ONNX opset (default 18)", type=int, metavar="N")
COMPUTE_UNITS = Option(
    "compute_units", "--compute-units", "all",
    "Core ML compute units (default all): stored in the artifact's metadata for .mlpackage, "
    "compiled into the delegate for ExecuTorch's coreml backend",
    choices=("all", "cpu_only", "cpu_and_gpu", "cpu_and_ne"))
DEPLOYMENT_TARGET = Option(
    "deployment_target", "--deployment-target", "iOS17",
    "minimum Core ML deployment target (default iOS17)", choices=("iOS16", "iOS17", "iOS18"))
COMPRESS = Option(
    "compress", "--compress", "none",
    "Core ML weight palettization (default none): palettize4 / palettize6 / palettize8 store each weight "
    "as a 4/6/8-bit index into a per-tensor k-means table (coremltools.optimize.coreml); with --precision fp16",
    choices=("none", "palettize4", "palettize6", "palettize8"))
QUANTIZATION = Option(
    "quantization", "--quantization", "static",
    "ONNX int8 (default static): static = QDQ, activations calibrated on real images; dynamic = int8 "
    "weights, activations quantized at run time", choices=("static", "dynamic"), needs="--precision int8")
