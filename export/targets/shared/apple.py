"""Core ML settings that every Core ML consumer takes: the `.mlpackage` target and ExecuTorch's
Core ML delegate compile for the same compute units and deployment targets."""
from __future__ import annotations

COMPUTE_UNITS = dict(default="all", help=(
    "Core ML compute units (default all): stored in the artifact's metadata for .mlpackage, compiled into "
    "the delegate for ExecuTorch's coreml backend"), choices=("all", "cpu_only", "cpu_and_gpu", "cpu_and_ne"))
DEPLOYMENT_TARGET = dict(default="iOS17", help="minimum Core ML deployment target (default iOS17)",
                         choices=("iOS16", "iOS17", "iOS18"))


def compute_unit(name: str):
    import coremltools as ct

    return {"all": ct.ComputeUnit.ALL, "cpu_only": ct.ComputeUnit.CPU_ONLY,
            "cpu_and_gpu": ct.ComputeUnit.CPU_AND_GPU, "cpu_and_ne": ct.ComputeUnit.CPU_AND_NE}[name]


def deployment_target(name: str):
    import coremltools as ct

    return getattr(ct.target, name)
