"""`cloformer-export`: flags -> one ExportRequest -> the pipeline."""
from __future__ import annotations

import argparse

from ..models import DEFAULT_MODEL, list_models
from .arguments import input_path, number, output_folder
from .errors import UsageError, UsageParser, run_cli
from .pipeline import run
from .report import report
from .request import ExportRequest, parse_size
from .targets import TARGETS, default, flags, quiet_libraries

PROG = "cloformer-export"


def _epilog() -> str:
    rows = "\n".join(f"  {name:<11} {target.suffix:<11} {target.summary}" for name, target in TARGETS.items())
    precisions = "\n".join(f"  {name:<11} {target.precision_summary}" for name, target in TARGETS.items())
    return (f"targets:\n{rows}\n  all         every target above, one after the other\n\n"
            f"precisions (--precision; fp16/int8 get a fidelity measurement vs fp32 over real photos):\n"
            f"{precisions}\n\n"
            "Each artifact is checked against the eager model in its own runtime on a real photo and a\n"
            "random input, and a manifest <artifact>.json is written beside it. Writes are atomic; an\n"
            "existing artifact needs --overwrite.")


def build_parser() -> argparse.ArgumentParser:
    p = UsageParser(prog=PROG, description="Export CloFormer to mobile formats, check parity, write a manifest.",
                    epilog=_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=DEFAULT_MODEL, choices=list_models(), help=f"variant (default {DEFAULT_MODEL})")
    p.add_argument("--target", default=None, choices=[*TARGETS, "all"],
                   help=f"artifact format (default {default().name}; with --report: all); all: every target but "
                        f"{', '.join(n for n, t in TARGETS.items() if not t.in_all)} (ask for those by name)")
    p.add_argument("--input-size", default="224", metavar="N|HxW",
                   help="input size, multiples of 32 (default 224)")
    p.add_argument("--batch", type=number(int, 1, 256), default=1, help="static batch size (default 1)")
    p.add_argument("--checkpoint", type=input_path, metavar="PATH",
                   help="official-format state_dict (.pth, optionally under 'model'); default: random init")
    p.add_argument("--labels", type=input_path, metavar="FILE",
                   help="class names, one per line in class order, written to the manifest for the apps")
    p.add_argument("--num-classes", type=number(int, 1, 100_000), default=1000, metavar="N", help="classifier classes (default 1000)")
    p.add_argument("--seed", type=number(int, 0, 2**63 - 1), default=0, help="seed for random init and the random parity input (default 0)")
    p.add_argument("--precision", default="fp32", choices=("fp32", "fp16", "int8"),
                   help="fp32 (default); fp16 and int8 as each target defines them (below), with their "
                        "fidelity against fp32 measured over real images and written to the manifest")
    p.add_argument("--calibration-dir", type=input_path, metavar="DIR",
                   help="fp16/int8: images for int8 calibration and the fidelity measurement (default: the "
                        "photos shipped in scikit-image and matplotlib)")
    p.add_argument("--min-sqnr", type=number(float, 0, 300, unit="dB"), metavar="DB",
                   help="fp16/int8: fail the export (nothing written) when the logits' SQNR against fp32 is below DB")
    p.add_argument("--output", type=output_folder, default="exports", metavar="DIR", help="output directory (default ./exports)")
    for flag in flags().values():  # every target's own options, each flag once
        kwargs = {"choices": flag.choices} if flag.choices else {"type": flag.parse()}
        p.add_argument(flag.flag, dest=flag.dest, default=None, metavar=flag.metavar, help=flag.help, **kwargs)
    p.add_argument("--no-rewrite", action="store_true",
                   help="export the model as written, without the target's deploy-form passes (file name gets _naive)")
    p.add_argument("--diagnose", action="store_true",
                   help="after each parity check, compare the artifact with eager module by module and print the "
                        "table (as cloformer-diagnose does); on a parity failure this names the diverging module")
    p.add_argument("--report", action="store_true",
                   help="export naive and deploy form of each target and print them side by side, with the latency on this "
                        "machine of those that run here")
    p.add_argument("--overwrite", action="store_true", help="replace existing artifacts and manifests")
    p.add_argument("--quiet", action="store_true", help="print only the artifact paths")
    return p


def request_from_args(argv: list[str] | None = None) -> tuple[ExportRequest, bool]:
    """The request, and whether a --report was asked for."""
    args = build_parser().parse_args(argv)
    if args.report and args.no_rewrite:
        raise UsageError("--report compares the naive graph with the deploy form: drop --no-rewrite")
    height, width = parse_size(args.input_size)
    given = {flag.dest: getattr(args, flag.dest) for flag in flags().values() if getattr(args, flag.dest) is not None}
    target = args.target or ("all" if args.report else default().name)
    targets = tuple(name for name, t in TARGETS.items() if t.in_all) if target == "all" else (target,)
    options = {name: TARGETS[name].Options(**{f.dest: given[f.dest] for f in TARGETS[name].Options.flags()
                                              if f.dest in given}) for name in targets}
    return ExportRequest(model=args.model, targets=targets, height=height, width=width, batch=args.batch,
                         num_classes=args.num_classes, checkpoint=args.checkpoint, labels=args.labels, seed=args.seed,
                         output=args.output, overwrite=args.overwrite, quiet=args.quiet, rewrite=not args.no_rewrite,
                         diagnose=args.diagnose, precision=args.precision, calibration_dir=args.calibration_dir,
                         min_sqnr=args.min_sqnr, options=options, explicit=frozenset(given)), args.report


def main(argv: list[str] | None = None) -> int:
    def body() -> None:
        request, wants_report = request_from_args(argv)
        quiet_libraries()
        if wants_report:
            print(report(request), end="")
            return
        for path in run(request):
            print(path)
    return run_cli(PROG, body)
