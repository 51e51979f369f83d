"""`cloformer-bench arm64`: artifacts on ARM64 kernels under qemu-user (no phone needed), their
outputs checked, their guest instructions counted. userland.py prepares the emulated machine with
every target's guest, guest.py runs one, bench.py makes the results."""
from __future__ import annotations

import argparse

from ....export.api import CommandError
from ... import flags
from ..base import Platform, register
from . import bench
from .userland import CPUS, DEFAULT_CPU


@register
class Arm64(Platform):
    name = "arm64"
    kind = bench.KIND
    summary = "run artifacts on ARM64 kernels under qemu-user: outputs checked, guest instructions counted (never a latency)"
    order = 30

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        flags.inputs_argument(parser, "artifacts", "ARTIFACT",
                              f"artifacts of {bench.accepted()}, each with its manifest")
        parser.add_argument("--cpu", choices=list(CPUS), default=DEFAULT_CPU,
                            help="; ".join(f"{name}: {cpu.summary}" for name, cpu in CPUS.items())
                            + f" (default {DEFAULT_CPU})")
        parser.add_argument("--inferences", type=flags.number(int, 1, 1000), default=1,
                            help="inferences counted after the check's, which warm up (default 1; counts repeat to "
                                 "within 0.5 %%)")
        flags.timeout_flag(parser, 3600, "per artifact (default 3600)")
        flags.output_flag(parser)

    def run(self, args: argparse.Namespace) -> None:
        written, failures = bench.run(args.artifacts, args.cpu, args.inferences, args.timeout, args.output)
        if failures:
            raise CommandError(f"{len(failures)} artifact(s) failed on emulated {args.cpu} (lines above); "
                               f"{len(written)} result(s) written")
