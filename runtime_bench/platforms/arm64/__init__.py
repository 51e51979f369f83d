"""`cloformer-bench arm64`: artifacts on ARM64 kernels under qemu-user (no phone needed), their
outputs checked, their guest instructions counted, and their milliseconds on a real core with that
CPU estimated from a calibration. userland.py prepares the emulated machine with every target's
guest, guest.py runs one, bench.py makes the results; calibration/ is `cloformer-bench arm64-calibrate`."""
from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from ....export.api import CommandError, Manifest, UsageError, arguments, commit, staged
from ... import flags
from ..base import Outputs, Platform, register
from . import bench, calibration
from .userland import CPUS, DEFAULT_CPU

NO_CALIBRATION = "none"


def _cpu_help() -> str:
    return "; ".join(f"{name}: {cpu.summary}" for name, cpu in CPUS.items()) + f" (default {DEFAULT_CPU})"


def _calibration(value: str | None, cpu: str) -> calibration.Calibration | None:
    """--calibration: a file, a reference device whose committed calibration of --cpu to take, or none."""
    if value == NO_CALIBRATION:
        return None
    if value is None or value in calibration.published()["references"]:
        path = calibration.committed(cpu, value)
        if path is None:
            if value is None:
                return None  # no committed calibration of this CPU: counts only, as the printout says
            raise UsageError(f"--calibration {value}: no calibration of emulated {cpu} against {value} is committed; "
                             f"those of {cpu}: {', '.join(calibration.references(cpu)) or 'none'}")
        return calibration.load(path, cpu)
    path = Path(value)
    if not path.is_file():
        raise UsageError(f"--calibration {value} is neither a calibration file nor a reference device "
                         f"({', '.join(calibration.published()['references'])}); pass one, or none")
    return calibration.load(path, cpu)


@register
class Arm64(Platform):
    name = "arm64"
    kind = bench.KIND
    summary = ("run artifacts on ARM64 kernels under qemu-user: outputs checked, guest instructions counted, "
               "milliseconds on a real core estimated (never a latency)")
    order = 30
    evaluates = True

    def evaluator(self, m: Manifest) -> tuple[str, Outputs]:
        bench.runs_here(m)
        return (f"emulated {DEFAULT_CPU} (qemu-user, one guest thread)",
                lambda batches, progress: bench.outputs(m, DEFAULT_CPU, batches, progress))

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        flags.inputs_argument(parser, "artifacts", "ARTIFACT",
                              f"artifacts of {bench.accepted()}, each with its manifest")
        parser.add_argument("--cpu", choices=list(CPUS), default=DEFAULT_CPU, help=_cpu_help())
        parser.add_argument("--inferences", type=flags.number(int, 1, 1000), default=1,
                            help="inferences counted after the check's, which warm up (default 1; counts repeat to "
                                 "within 0.5 %%)")
        parser.add_argument("--calibration", metavar="FILE|DEVICE|none",
                            help="the calibration whose estimate each result carries: a file from arm64-calibrate, "
                                 "or a reference device with a committed calibration of --cpu (default: the first; "
                                 f"{', '.join(calibration.published()['references'])}), or none")
        flags.timeout_flag(parser, 3600, "per artifact (default 3600)")
        flags.output_flag(parser)

    def run(self, args: argparse.Namespace) -> None:
        chosen = _calibration(args.calibration, args.cpu)
        if chosen is None and args.calibration != NO_CALIBRATION:
            print(f"no calibration of emulated {args.cpu} is committed: instruction counts only, no millisecond "
                  "estimates")
        written, failures = bench.run(args.artifacts, args.cpu, args.inferences, args.timeout, args.output, chosen)
        if failures:
            raise CommandError(f"{len(failures)} artifact(s) failed on emulated {args.cpu} (lines above); "
                               f"{len(written)} result(s) written")


@register
class Arm64Calibrate(Platform):
    name = "arm64-calibrate"
    kind = bench.KIND
    summary = ("fit emulated ARM64 instruction counts to published single-thread milliseconds of reference nets "
               "on a real core (the calibration arm64's estimates use)")
    order = 31

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--cpu", choices=list(CPUS), default=DEFAULT_CPU, help=_cpu_help())
        parser.add_argument("--reference", metavar="DEVICE",
                            help="the published device whose latencies to fit: "
                                 + "; ".join(f"{key} ({ref['device']}, {ref['core']}: --cpu {ref['cpu']})"
                                             for key, ref in calibration.published()["references"].items())
                                 + " (default: the first of --cpu)")
        parser.add_argument("--nets", type=lambda text: [n for n in text.split(",") if n], metavar="NAME,...",
                            help="the reference nets to count and fit (default: every one with a published figure)")
        parser.add_argument("--output", type=arguments.new_file, metavar="FILE", required=True,
                            help="the calibration file to write (a new file)")
        flags.timeout_flag(parser, 3600, "per net (default 3600)")

    def run(self, args: argparse.Namespace) -> None:
        from .calibration import measure  # imports the reference models and the targets' exports

        known = calibration.references(args.cpu)
        reference = args.reference or (known[0] if known else None)
        if reference not in known:
            raise UsageError(f"--reference {args.reference or '(default)'}: no published latencies on a {args.cpu} "
                             f"core; for --cpu {args.cpu} choose one of: {', '.join(known) or 'none'}")
        available = measure.nets(reference)
        names = args.nets or available
        unknown = [n for n in names if n not in available]
        if unknown:
            raise UsageError(f"--nets: {unknown[0]} is not a reference net with a published figure on {reference}; "
                             f"choose from: {', '.join(available)}")
        if len(set(names)) < 2:
            raise UsageError(f"--nets: a calibration needs at least 2 different nets (leave-one-out), got {len(set(names))}")
        names = list(dict.fromkeys(names))
        command = shlex.join(["cloformer-bench", self.name, "--cpu", args.cpu, "--reference", reference,
                              *(["--nets", ",".join(names)] if args.nets else []), "--output", str(args.output)])
        record = measure.calibrate(args.cpu, reference, names, args.timeout, command)
        with staged(Path(args.output)) as tmp:
            tmp.write_text(calibration.dumps(record))
            commit(tmp, Path(args.output), overwrite=False)
        s = record["leave_one_out"]
        print(f"{record['name']}, model {record['model']}: leave-one-out median error {s['median_abs']:.1%}, worst "
              f"{s['worst_abs']:.1%}, band held {s['band_held']:.0%} -> {args.output}")
