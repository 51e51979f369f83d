"""The model spec of a saved .mlpackage, read without writing to it: coremltools' own
`load_spec` opens the package read-write and rewrites its Manifest.json, which a reader (a
benchmark, a diagnosis) must never do to the user's artifact."""
from __future__ import annotations

import json
from pathlib import Path


def load(path: Path):
    """The package's root model spec (a `Model_pb2.Model`), as its Manifest.json locates it."""
    from coremltools.proto import Model_pb2

    package = json.loads((Path(path) / "Manifest.json").read_text())
    root = package["itemInfoEntries"][package["rootModelIdentifier"]]
    spec = Model_pb2.Model()
    spec.ParseFromString((Path(path) / "Data" / root["path"]).read_bytes())
    return spec
