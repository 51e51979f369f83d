"""The export manifest, `<artifact>.json`: the contract read by the apps and the benchmark."""
from __future__ import annotations

import json
import platform
import re
from importlib import metadata
from pathlib import Path

from ..models import get_config
from . import files
from .inputs import preprocessing

SCHEMA_VERSION = 1
_PACKAGES = ("torch", "executorch", "coremltools", "onnx", "onnxruntime", "onnxscript", "onnxslim", "cloformer")


def manifest_path(artifact: Path) -> Path:
    return artifact.with_name(artifact.name + ".json")


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


_FLAT_LIST = re.compile(r"\[\s+([^\[\]{}]*?)\s+\]")


def describe(request, target, artifact: Path, name: str, fields: dict, parity: dict, weights: dict,
             export_seconds: float, parity_seconds: float) -> dict:
    """The manifest of one artifact (written at `artifact`, to be renamed to `name`)."""
    return {
        "model": request.model,
        "config": get_config(request.model).to_dict(),
        "num_classes": request.num_classes,
        "weights": weights,
        "artifact": name,
        "input_shape": [request.batch, 3, request.height, request.width],
        "target": target.name,
        "backend": target.backend(request),
        "precision": request.precision,
        "size_bytes": files.size_bytes(artifact),
        "sha256": files.sha256(artifact),
        "export_seconds": round(export_seconds, 2),
        "parity_seconds": round(parity_seconds, 2),
        "versions": versions(),
        **fields,
        "parity": parity,
        "preprocessing": preprocessing(request.height, request.width),
    }


def dumps(manifest: dict) -> str:
    """Indented JSON with lists of scalars kept on one line (shapes, configs stay readable)."""
    text = json.dumps({"schema_version": SCHEMA_VERSION, **manifest}, indent=2)
    return _FLAT_LIST.sub(lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text) + "\n"


def read(path: Path) -> dict:
    return json.loads(Path(path).read_text())
