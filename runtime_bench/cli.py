"""`cloformer-bench`: one latency protocol on the host and on phones, one result schema,
merged tables and plots."""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from ..export.api import (TARGETS, CommandError, ExportRequest, UsageError, UsageParser, export,
                          parse_size, quiet_libraries, run_cli)
from ..models import DEFAULT_MODEL, list_models
from . import compare as comparing
from . import android, host, ios
from .arm64 import bench as arm64
from .arm64.userland import CPUS, DEFAULT_CPU
from .protocol import Protocol

PROG = "cloformer-bench"
# What `host --model` exports (if missing) and runs besides eager torch: every target whose
# latency is measured here, with its default options.
HOST_TARGETS = tuple(name for name, target in TARGETS.items() if target.measures_latency)


def _protocol_flags(p: argparse.ArgumentParser) -> None:
    d = Protocol()
    p.add_argument("--warmup", type=int, default=d.warmup, help=f"untimed runs after the first (default {d.warmup})")
    p.add_argument("--rounds", type=int, default=d.rounds, help=f"timed rounds (default {d.rounds})")
    p.add_argument("--iterations", type=int, default=d.iterations, help=f"timed runs per round (default {d.iterations})")
    p.add_argument("--sustained", type=float, metavar="SECONDS",
                   help="run back to back this long instead of rounds x iterations; reports drift per second")
    p.add_argument("--cooldown", type=float, default=0.0, metavar="SECONDS", help="idle before each measurement")


def _model_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", action="append", choices=list_models(), default=[],
                   help=f"measure this variant in eager torch and its {', '.join(HOST_TARGETS)} exports (default "
                        "options), exporting them into --exports if missing (repeatable; `all` defaults to "
                        f"{DEFAULT_MODEL})")
    p.add_argument("--input-size", default="224", metavar="N|HxW", help="input size for --model (default 224)")
    p.add_argument("--exports", type=Path, default=Path("exports"), metavar="DIR",
                   help="where --model finds or writes its artifacts (default ./exports)")


def _device_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--serial", action="append", default=[], help="adb serial (repeatable; default: every attached device)")
    p.add_argument("--timeout", type=float, default=600, metavar="SECONDS", help="per artifact and device (default 600)")
    p.add_argument("--threads", type=int, default=4, help="threads on the phone (default 4: the big cores of most SoCs)")
    _protocol_flags(p)
    p.add_argument("--output", type=Path, default=Path("results"), metavar="DIR", help="result files (default ./results)")


def build_parser() -> argparse.ArgumentParser:
    p = UsageParser(prog=PROG, description=__doc__)
    sub = p.add_subparsers(dest="command", required=True, parser_class=UsageParser)

    h = sub.add_parser("host", help=f"measure {', '.join(host.RUNTIMES)} on this machine")
    h.add_argument("artifacts", nargs="*", type=Path, metavar="ARTIFACT",
                   help="artifacts made by cloformer-export (the manifest beside each says what it is)")
    _model_flags(h)
    h.add_argument("--runtimes", default=",".join(host.RUNTIMES), metavar="LIST",
                   help=f"comma-separated subset of {','.join(host.RUNTIMES)} (default all)")
    h.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads for every runtime (default: all cores)")
    _protocol_flags(h)
    h.add_argument("--output", type=Path, default=Path("results"), metavar="DIR", help="result files (default ./results)")

    a = sub.add_parser("android", help="run artifacts in the companion app on attached Android devices (adb)")
    a.add_argument("artifacts", nargs="+", type=Path, metavar="ARTIFACT",
                   help=" / ".join(android.SUFFIXES) + " with its manifest")
    _device_flags(a)

    r = sub.add_parser("arm64", help="run artifacts on ARM64 kernels under qemu-user: outputs checked, guest "
                                      "instructions counted (never a latency)")
    r.add_argument("artifacts", nargs="+", type=Path, metavar="ARTIFACT",
                   help=arm64.accepted() + ", each with its manifest")
    r.add_argument("--cpu", choices=list(CPUS), default=DEFAULT_CPU,
                   help="; ".join(f"{name}: {cpu.summary}" for name, cpu in CPUS.items()) + f" (default {DEFAULT_CPU})")
    r.add_argument("--inferences", type=int, default=1,
                   help="inferences counted after the check's, which warm up (default 1; counts repeat to within 0.5 %%)")
    r.add_argument("--timeout", type=float, default=3600, metavar="SECONDS",
                   help="per artifact (default 3600)")
    r.add_argument("--output", type=Path, default=Path("results"), metavar="DIR", help="result files (default ./results)")

    i = sub.add_parser("ios", help="collect the iOS app's result files (copied off the device) into --output")
    i.add_argument("results", nargs="+", type=Path, metavar="RESULT", help="result .json files or directories of them")
    i.add_argument("--output", type=Path, default=Path("results"), metavar="DIR", help="(default ./results)")

    al = sub.add_parser("all", help="export if needed, host runs, attached devices, then the merged table and plots")
    _model_flags(al)
    al.add_argument("--ios-results", type=Path, metavar="DIR", help="result files copied off an iOS device")
    _device_flags(al)
    al.add_argument("--comparison", type=Path, default=Path("comparison"), metavar="DIR", help="(default ./comparison)")

    c = sub.add_parser("compare", help="merge result files into table.md, table.csv and PNG plots")
    c.add_argument("results", nargs="+", type=Path, metavar="RESULT", help="result .json files or directories of them")
    c.add_argument("--output", type=Path, default=Path("comparison"), metavar="DIR", help="(default ./comparison)")
    return p


def _protocol(args) -> Protocol:
    for flag in ("warmup", "rounds", "iterations"):
        if getattr(args, flag) < (0 if flag == "warmup" else 1):
            raise UsageError(f"--{flag} must be at least {0 if flag == 'warmup' else 1}, got {getattr(args, flag)}")
    if args.sustained is not None and args.sustained <= 0:
        raise UsageError(f"--sustained must be a positive number of seconds, got {args.sustained}")
    if args.cooldown < 0:
        raise UsageError(f"--cooldown must be 0 or more seconds, got {args.cooldown}")
    return Protocol(warmup=args.warmup, rounds=args.rounds, iterations=args.iterations,
                    sustained_seconds=args.sustained, cooldown_seconds=args.cooldown)


def _subjects(artifacts: list[Path], models: list[str], input_size: str, exports: Path,
              runtimes: list[str]) -> list[host.Subject]:
    """The artifacts given, and for each model: eager torch plus its exports for HOST_TARGETS
    (made into `exports` when missing)."""
    unknown = sorted(set(runtimes) - set(host.RUNTIMES))
    if unknown:
        raise UsageError(f"--runtimes: unknown {', '.join(unknown)}; choose from {', '.join(host.RUNTIMES)}")
    if not artifacts and not models:
        raise UsageError(f"nothing to measure: pass ARTIFACT paths or --model (e.g. --model {DEFAULT_MODEL})")
    subjects = [host.artifact(path) for path in artifacts]
    height, width = parse_size(input_size)
    available = tuple(name for name in HOST_TARGETS if not TARGETS[name].unavailable())
    for name in sorted(set(HOST_TARGETS) - set(available)) if models else ():
        print(f"skipped {name}: it {TARGETS[name].unavailable()}")
    plans = []
    for model in models:
        request = ExportRequest(model=model, targets=available, height=height, width=width, output=exports,
                                quiet=True)
        paths = [request.artifact(t) for t in request.selected]
        missing = dataclasses.replace(request, targets=tuple(
            t.name for t, path in zip(request.selected, paths) if not path.exists()))
        if missing.targets:
            missing.validate()  # every model checked before anything is exported
        plans.append((missing, paths))
    for missing, paths in plans:
        if missing.targets:
            export(missing)
        subjects += [host.eager(missing.model, [1, 3, height, width])] + [host.artifact(p) for p in paths]
    # --runtimes picks among the host's runtimes; anything else goes on to say why it is skipped
    return [s for s in subjects if s.runtime["name"] in runtimes or s.runtime["name"] not in host.RUNTIMES]


def _threads(args) -> int:
    if args.threads < 1:
        raise UsageError(f"--threads must be at least 1, got {args.threads}")
    return args.threads


def _result_files(paths: list[Path]) -> list[Path]:
    found = []
    for path in paths:
        if path.is_dir():
            found += sorted(path.glob("*.json"))
        elif path.exists():
            found.append(path)
        else:
            raise UsageError(f"{path} does not exist; pass result files or directories")
    if not found:
        raise UsageError(f"no result files (*.json) in {', '.join(map(str, paths))}")
    return found


def _android(args, artifacts: list[Path], protocol: Protocol) -> list[Path]:
    written, failures = android.run(artifacts, args.serial, protocol, _threads(args), args.timeout, args.output)
    if failures and args.command == "android":
        raise CommandError(f"{len(failures)} device(s) failed (lines above); {len(written)} result(s) written")
    return written


def _compare(paths: list[Path], output: Path) -> None:
    table, written = comparing.compare(paths, output)
    print(table, end="")
    for path in written:
        print(path)


def _all(args) -> None:
    protocol, _ = _protocol(args), _threads(args)  # bad flags fail before any step runs
    written = []
    if args.ios_results:  # first: a bad file stops the run before the long steps
        written += ios.collect(_result_files([args.ios_results]), args.output)
    else:
        print("skipped ios: no --ios-results DIR (copy the app's results off the device first; see README)")
    subjects = _subjects([], args.model or [DEFAULT_MODEL], args.input_size, args.exports, list(host.RUNTIMES))
    written += host.run(subjects, protocol, os.cpu_count() or 1, args.output)
    try:
        written += _android(args, [s.path for s in subjects if s.path], protocol)
    except UsageError as e:  # no adb or no device: the other steps still count
        print(f"skipped android: {e}")
    _compare(written, args.comparison)


def main(argv: list[str] | None = None) -> int:
    def body() -> None:
        args = build_parser().parse_args(argv)
        quiet_libraries()
        if args.command == "host":
            protocol, threads = _protocol(args), _threads(args)
            subjects = _subjects(args.artifacts, args.model, args.input_size, args.exports,
                                 [r for r in args.runtimes.split(",") if r])
            if not host.run(subjects, protocol, threads, args.output):
                raise UsageError("nothing could be measured on this host (the lines above say why); artifacts "
                                 "measured on their devices come in with cloformer-bench android / ios")
        elif args.command == "android":
            _android(args, args.artifacts, _protocol(args))
        elif args.command == "arm64":
            if args.inferences < 1:
                raise UsageError(f"--inferences must be at least 1, got {args.inferences}")
            if args.timeout <= 0:
                raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout}")
            written, failures = arm64.run(args.artifacts, args.cpu, args.inferences, args.timeout, args.output)
            if failures:
                raise CommandError(f"{len(failures)} artifact(s) failed on emulated {args.cpu} (lines above); "
                                   f"{len(written)} result(s) written")
        elif args.command == "ios":
            ios.collect(_result_files(args.results), args.output)
        elif args.command == "all":
            _all(args)
        else:
            _compare(_result_files(args.results), args.output)
    return run_cli(PROG, body)


if __name__ == "__main__":
    sys.exit(main())
