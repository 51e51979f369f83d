"""Flags several `cloformer-bench` subcommands share, and their checks: the latency protocol, the
thread count, the results folder and result files given on the command line."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..export.api import Protocol, UsageError, arguments

number = arguments.number


def protocol_flags(p: argparse.ArgumentParser, timed_only: bool = False) -> None:
    """The protocol's flags; `timed_only`: warm-up, rounds and iterations only (a runner that cannot
    run back to back for a time or idle before it, such as a hosted-device service's profiler)."""
    d = Protocol()
    p.add_argument("--warmup", type=number(int, 0, 1_000_000), default=d.warmup,
                   help=f"untimed runs after the first (default {d.warmup})")
    p.add_argument("--rounds", type=number(int, 1, 10_000), default=d.rounds, help=f"timed rounds (default {d.rounds})")
    p.add_argument("--iterations", type=number(int, 1, 1_000_000), default=d.iterations,
                   help=f"timed runs per round (default {d.iterations})")
    if timed_only:
        return
    p.add_argument("--sustained", type=number(float, 0, 86_400, low_open=True, unit="seconds"), metavar="SECONDS",
                   help="run back to back this long instead of rounds x iterations; reports drift per second")
    p.add_argument("--cooldown", type=number(float, 0, 3_600, unit="seconds"), default=0.0, metavar="SECONDS",
                   help="idle before each measurement")


def protocol(args: argparse.Namespace) -> Protocol:
    return Protocol(warmup=args.warmup, rounds=args.rounds, iterations=args.iterations,
                    sustained_seconds=getattr(args, "sustained", None), cooldown_seconds=getattr(args, "cooldown", 0.0))


def inputs_argument(p: argparse.ArgumentParser, name: str, metavar: str, help: str, nargs: str = "+") -> None:
    """The files a subcommand reads (artifacts or results), each path checked to be one a runtime takes."""
    p.add_argument(name, nargs=nargs, type=arguments.input_path, metavar=metavar, help=help)


def output_flag(p: argparse.ArgumentParser, default: str = "results") -> None:
    p.add_argument("--output", type=arguments.output_folder, default=default, metavar="DIR",
                   help=f"result files (default ./{default})")


def threads_flag(p: argparse.ArgumentParser, default: int, help: str) -> None:
    p.add_argument("--threads", type=number(int, 1, 256), default=default, help=help)


def timeout_flag(p: argparse.ArgumentParser, default: float, help: str) -> None:
    p.add_argument("--timeout", type=number(float, 0, 7 * 86_400, low_open=True, unit="seconds"), default=default,
                   metavar="SECONDS", help=help)


def result_files(paths: list[Path]) -> list[Path]:
    """Result files given as files or directories of them, each file once however often it is named
    (the same path twice, a file and its folder, a link to it): files are told apart by what they
    resolve to (device and inode, or the resolved path when they cannot be stat'ed)."""
    found, seen = [], set()
    for path in paths:
        if path.is_dir():
            candidates = sorted(path.glob("*.json"))
        elif path.exists():
            candidates = [path]
        else:
            raise UsageError(f"{path} does not exist; pass result files or directories")
        for candidate in candidates:
            try:
                status = candidate.stat()
                identity: object = (status.st_dev, status.st_ino)
            except OSError:  # unreadable or a dangling link: reading it will say so
                try:
                    identity = candidate.resolve()
                except (OSError, RuntimeError):  # a symlink loop
                    identity = candidate.absolute()
            if identity not in seen:
                seen.add(identity)
                found.append(candidate)
    if not found:
        raise UsageError(f"no result files (*.json) in {', '.join(map(str, paths))}")
    return found
