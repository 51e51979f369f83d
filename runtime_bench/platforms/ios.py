"""`cloformer-bench ios`: the iOS app (ios_app/) writes one result file per run into its
Documents/results folder; copied off the device (docs/platforms/ios.md: `xcrun devicectl device copy
from`, or the XCTest run's attachments), they are validated and collected here like any other result."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ...export.api import UsageError
from .. import flags
from .. import result as results
from .base import AllRun, Platform, register

KIND = "ios"


def collect(paths: list[Path], output: Path, say: Callable[[str], None] = print) -> list[Path]:
    """Validate every file first (one bad file: nothing collected), then write them into `output`."""
    loaded = [(path, results.load(path)) for path in paths]
    for path, result in loaded:
        if result["device"]["kind"] != KIND:
            raise UsageError(f"{path}: device.kind is {result['device']['kind']!r}, not {KIND!r}; "
                             f"collect results of kind {result['device']['kind']!r} with their own platform")
    written = [results.write(result, output) for _, result in loaded]
    for path in written:
        say(str(path))
    return written


@register
class Ios(Platform):
    name = kind = KIND
    summary = "collect the iOS app's result files (copied off the device) into --output"
    order = 40
    in_all = True

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        flags.inputs_argument(parser, "results", "RESULT", "result .json files or directories of them")
        flags.output_flag(parser)

    def run(self, args: argparse.Namespace) -> None:
        collect(flags.result_files(args.results), args.output)

    def all_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--ios-results", type=Path, metavar="DIR", help="result files copied off an iOS device")

    def check_all(self, args: argparse.Namespace) -> None:
        """A bad result file stops the run before the long steps."""
        for path in flags.result_files([args.ios_results]) if args.ios_results else ():
            results.load(path)

    def all_step(self, args: argparse.Namespace, run_all: AllRun) -> None:
        if not args.ios_results:
            print(f"skipped {self.name}: no --ios-results DIR (copy the app's results off the device first; see "
                  "docs/platforms/ios.md)")
            return
        run_all.written += collect(flags.result_files([args.ios_results]), args.output)
