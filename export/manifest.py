"""The export manifest, `<artifact>.json`: the contract read by the apps and the benchmark."""
from __future__ import annotations

import json
import re
import platform
from importlib import metadata
from pathlib import Path

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


def dumps(manifest: dict) -> str:
    """Indented JSON with lists of scalars kept on one line (shapes, configs stay readable)."""
    text = json.dumps({"schema_version": SCHEMA_VERSION, **manifest}, indent=2)
    return _FLAT_LIST.sub(lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text) + "\n"


def read(path: Path) -> dict:
    return json.loads(Path(path).read_text())
