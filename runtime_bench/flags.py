"""Flags several `cloformer-bench` subcommands share, and their checks: the latency protocol, the
thread count, the results folder and result files given on the command line."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..export.api import Protocol, UsageError


def protocol_flags(p: argparse.ArgumentParser) -> None:
    d = Protocol()
    p.add_argument("--warmup", type=int, default=d.warmup, help=f"untimed runs after the first (default {d.warmup})")
    p.add_argument("--rounds", type=int, default=d.rounds, help=f"timed rounds (default {d.rounds})")
    p.add_argument("--iterations", type=int, default=d.iterations, help=f"timed runs per round (default {d.iterations})")
    p.add_argument("--sustained", type=float, metavar="SECONDS",
                   help="run back to back this long instead of rounds x iterations; reports drift per second")
    p.add_argument("--cooldown", type=float, default=0.0, metavar="SECONDS", help="idle before each measurement")


def protocol(args: argparse.Namespace) -> Protocol:
    for flag in ("warmup", "rounds", "iterations"):
        if getattr(args, flag) < (0 if flag == "warmup" else 1):
            raise UsageError(f"--{flag} must be at least {0 if flag == 'warmup' else 1}, got {getattr(args, flag)}")
    if args.sustained is not None and args.sustained <= 0:
        raise UsageError(f"--sustained must be a positive number of seconds, got {args.sustained}")
    if args.cooldown < 0:
        raise UsageError(f"--cooldown must be 0 or more seconds, got {args.cooldown}")
    return Protocol(warmup=args.warmup, rounds=args.rounds, iterations=args.iterations,
                    sustained_seconds=args.sustained, cooldown_seconds=args.cooldown)


def output_flag(p: argparse.ArgumentParser, default: str = "results") -> None:
    p.add_argument("--output", type=Path, default=Path(default), metavar="DIR", help=f"result files (default ./{default})")


def threads(args: argparse.Namespace) -> int:
    if args.threads < 1:
        raise UsageError(f"--threads must be at least 1, got {args.threads}")
    return args.threads


def result_files(paths: list[Path]) -> list[Path]:
    """Result files given as files or directories of them."""
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
