"""`cloformer-bench ios`: the iOS app (ios_app/) writes one result file per run into its
Documents/results folder; copied off the device (README: `xcrun devicectl device copy from`, or
the XCTest run's attachments), they are validated and collected here like any other result."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..export.api import UsageError
from . import result as results


def collect(paths: list[Path], output: Path, say: Callable[[str], None] = print) -> list[Path]:
    """Validate every file first (one bad file: nothing collected), then write them into `output`."""
    loaded = [(path, results.load(path)) for path in paths]
    for path, result in loaded:
        if result["device"]["kind"] != "ios":
            raise UsageError(f"{path}: device.kind is {result['device']['kind']!r}, not 'ios'; "
                             "collect Android results with `cloformer-bench android`")
    written = [results.write(result, output) for _, result in loaded]
    for path in written:
        say(str(path))
    return written
