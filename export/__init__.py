"""`cloformer-export`: CloFormer -> ONNX / Core ML / ExecuTorch artifacts, each checked
against the eager model and described by a manifest `<artifact>.json`."""
from .errors import ExportError, UsageError
from .request import ExportRequest

__all__ = ["ExportError", "ExportRequest", "UsageError", "export"]


def export(request: ExportRequest):
    """Run the pipeline for `request`; returns the artifact paths."""
    from .pipeline import run

    return run(request)
