"""The contracts Python and the companion apps share, in one folder: the export manifest's schema
(`manifest.schema.json`), the benchmark result's (`result.schema.json`) and the latency protocol
(`protocol.json`, whose statistics `protocol.py` defines). The apps read these files in their
tests; nothing here imports the rest of the package."""
from __future__ import annotations

import json
from importlib import resources


def load(name: str) -> dict:
    """One of this folder's JSON files, parsed."""
    return json.loads(resources.files(__package__).joinpath(name).read_text())
