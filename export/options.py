"""Target-specific CLI options. Each target lists the ones it takes; the CLI adds each
option once and rejects one that no selected target takes."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Option:
    dest: str
    flag: str
    default: object
    help: str
    choices: tuple[str, ...] | None = None
    type: type = str
    metavar: str | None = None
    extra: dict = field(default_factory=dict)


OPSET = Option("opset", "--opset", 18, "ONNX opset (default 18)", type=int, metavar="N")
COMPUTE_UNITS = Option(
    "compute_units", "--compute-units", "all",
    "Core ML compute units (default all): stored in the artifact's metadata for .mlpackage, "
    "compiled into the delegate for ExecuTorch's coreml backend",
    choices=("all", "cpu_only", "cpu_and_gpu", "cpu_and_ne"))
DEPLOYMENT_TARGET = Option(
    "deployment_target", "--deployment-target", "iOS17",
    "minimum Core ML deployment target (default iOS17)", choices=("iOS16", "iOS17", "iOS18"))
