"""`cloformer-bench`: one subcommand per platform (runtime_bench/platforms/), one result schema, and
`all` and `compare` over them: merged tables and plots."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..export.api import UsageParser, arguments, quiet_libraries, run_cli
from . import compare as comparing
from . import flags
from .platforms import PLATFORMS, AllRun

PROG = "cloformer-bench"


def build_parser() -> argparse.ArgumentParser:
    p = UsageParser(prog=PROG, description=__doc__)
    sub = p.add_subparsers(dest="command", required=True, parser_class=UsageParser)
    for platform in PLATFORMS.values():
        platform.add_arguments(sub.add_parser(platform.name, help=platform.summary))

    members = [platform for platform in PLATFORMS.values() if platform.in_all]
    al = sub.add_parser("all", help=f"{', '.join(p.name for p in members)} in turn (exports made where missing), then "
                                    "the merged table and plots")
    for platform in members:
        platform.all_arguments(al)
    flags.protocol_flags(al)
    flags.output_flag(al)
    al.add_argument("--comparison", type=arguments.output_folder, default="comparison", metavar="DIR",
                    help="(default ./comparison)")

    c = sub.add_parser("compare", help="merge result files into table.md, table.csv and PNG plots")
    flags.inputs_argument(c, "results", "RESULT", "result .json files or directories of them")
    c.add_argument("--output", type=arguments.output_folder, default="comparison", metavar="DIR",
                   help="(default ./comparison)")
    return p


def _compare(paths: list[Path], output: Path, flag: str = "--output") -> None:
    table, written = comparing.compare(paths, output, flag)
    print(table, end="")
    for path in written:
        print(path)


def _all(args: argparse.Namespace) -> None:
    members = [platform for platform in PLATFORMS.values() if platform.in_all]
    run = AllRun(flags.protocol(args))
    comparing.check_output(args.comparison, "--comparison")  # bad flags and files fail before any step runs
    for platform in members:
        platform.check_all(args)
    for platform in members:
        platform.all_step(args, run)
    _compare(run.written, args.comparison, "--comparison")


def main(argv: list[str] | None = None) -> int:
    def body() -> None:
        args = build_parser().parse_args(argv)
        quiet_libraries()
        if args.command == "all":
            _all(args)
        elif args.command == "compare":
            _compare(flags.result_files(args.results), args.output)
        else:
            PLATFORMS[args.command].run(args)
    return run_cli(PROG, body)


if __name__ == "__main__":
    sys.exit(main())
