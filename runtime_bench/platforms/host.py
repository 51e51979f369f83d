"""`cloformer-bench host`: latency of eager torch and of every artifact whose runtime runs on
this machine, each run through the one protocol and written as one result file."""
from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import torch

from ...export.api import (CHECK_FAILED, TARGETS, ExportRequest, Manifest, Protocol, Unverifiable, UsageError,
                           check_absent, export, load_manifest, measure, parse_size, random_input, read_check,
                           run_check)
from ...models import DEFAULT_MODEL, create_model, list_models
from .. import flags
from .. import result as results
from .base import AllRun, Outputs, Platform, register

TOOL = "cloformer-bench host"
# What --runtimes picks from: eager torch and the runtime of every target whose latency means
# something here (the others run on their devices).
RUNTIMES = ("torch", *(t.result_runtime for t in TARGETS.values() if t.measures_latency))
# What `--model` exports (if missing) and runs besides eager torch: every target whose latency is
# measured here, with its default options.
MODEL_TARGETS = tuple(name for name, target in TARGETS.items() if target.measures_latency)


def device() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"kind": "host", "model": platform.node() or "host", "os": f"{platform.system()} {platform.release()}",
            "soc": cpu, "cores": os.cpu_count() or 1, "serial": None}


def _reset_peak_rss() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux: VmHWM restarts from the current RSS
    except OSError:
        pass  # elsewhere the peak is the process's since it started


def _peak_rss_mb() -> float:
    try:
        status = Path("/proc/self/status").read_text()
        return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Subject:
    """One thing to measure: how to load it, and what it is."""
    model: str
    runtime: dict  # a result's runtime: name, version, backend (the threads come with the run)
    input_shape: list[int]
    precision: str
    path: Path | None
    sha256: str | None
    load: Callable[[int], Callable]  # threads -> run(x)
    setup: Callable[[], None] = lambda: None  # the runtime's one-time process setup (not timed)
    # The outputs checked against the artifact's bundle before timing: run -> the result's `check`.
    check: Callable[[Callable], dict] = lambda run: check_absent("eager torch is the reference itself")


def eager(model: str, input_shape: list[int]) -> Subject:
    def load(threads: int):
        torch.set_num_threads(threads)
        net = create_model(model)
        return lambda x: net(torch.from_numpy(x))
    runtime = {"name": "torch", "version": version("torch"), "backend": "eager"}
    return Subject(model, runtime, input_shape, "fp32", None, None, load)


def artifact(path: Path) -> Subject:
    """An exported artifact, its manifest read and checked (schema, sha256, shapes)."""
    m = load_manifest(path)
    record, target = m.record, m.target
    if not target.measures_latency:
        def load(threads: int):
            raise Unverifiable(f"{target.name} latency is measured on its devices (the apps); "
                               f"here {target.runtime} checks its numerics only")
    else:
        def load(threads: int):
            return target.runner(path, record["backend"], threads)
    cases, absent_why = read_check(path, record["check"])

    def check(run: Callable) -> dict:
        return run_check(cases, record["check"], run) if cases else check_absent(absent_why)
    return Subject(record["model"], target.identity(record), record["input_shape"], record["precision"], path,
                   record["sha256"], load, target.setup, check)


def bench(subject: Subject, protocol: Protocol, threads: int) -> dict:
    """Load, measure, and return the validated result (raises `Unverifiable` if the runtime
    cannot run the artifact here)."""
    b, _, h, w = subject.input_shape
    x = random_input(h, w, b).numpy()
    subject.setup()
    _reset_peak_rss()
    start = time.perf_counter()
    run = subject.load(threads)
    load_ms = (time.perf_counter() - start) * 1e3
    with torch.no_grad():
        checked = subject.check(run)  # before timing: a latency of wrong outputs is recorded, not valid
        measured = measure(lambda: run(x), protocol)
    if checked["status"] == "fail":
        measured = {**measured, "invalid_reasons": [CHECK_FAILED + checked["reason"], *measured["invalid_reasons"]]}
    return results.new(
        tool=TOOL, device=device(), runtime={**subject.runtime, "threads": threads},
        model=subject.model, artifact={"path": str(subject.path) if subject.path else None, "sha256": subject.sha256},
        input_shape=subject.input_shape, precision=subject.precision, protocol=protocol, load_ms=load_ms,
        measured=measured, memory={"peak_rss_mb": round(_peak_rss_mb(), 1), "pss_mb": None}, check=checked)


def run(subjects: list[Subject], protocol: Protocol, threads: int, output: Path,
        say: Callable[[str], None] = print) -> list[Path]:
    """Measure each subject in turn; write one result each; skip (with a line) what cannot run here."""
    written = []
    for subject in subjects:
        label = f"{subject.model} {subject.runtime['name']} ({subject.runtime['backend']})"
        try:
            result = bench(subject, protocol, threads)
        except Unverifiable as e:
            say(f"skipped {label}: {e}")
            continue
        path = results.write(result, output)
        stats = result["stats"]
        flag = "" if result["valid"] else f"  INVALID: {'; '.join(result['invalid_reasons'])}"
        check = result["check"]  # a failure's reason is in the INVALID part
        checked = f"absent ({check['reason']})" if check["status"] == "absent" else check["status"]
        say(f"{label}: check {checked}, median {stats['median']:.2f} ms, p90 {stats['p90']:.2f} ms -> {path}{flag}")
        written.append(path)
    return written


def model_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", action="append", choices=list_models(), default=[],
                   help=f"measure this variant in eager torch and its {', '.join(MODEL_TARGETS)} exports (default "
                        "options), exporting them into --exports if missing (repeatable; `all` defaults to "
                        f"{DEFAULT_MODEL})")
    p.add_argument("--input-size", default="224", metavar="N|HxW", help="input size for --model (default 224)")
    p.add_argument("--exports", type=Path, default=Path("exports"), metavar="DIR",
                   help="where --model finds or writes its artifacts (default ./exports)")


def subjects(artifacts: list[Path], models: list[str], input_size: str, exports: Path,
             runtimes: list[str]) -> list[Subject]:
    """The artifacts given, and for each model: eager torch plus its exports for MODEL_TARGETS
    (made into `exports` when missing)."""
    unknown = sorted(set(runtimes) - set(RUNTIMES))
    if unknown:
        raise UsageError(f"--runtimes: unknown {', '.join(unknown)}; choose from {', '.join(RUNTIMES)}")
    if not artifacts and not models:
        raise UsageError(f"nothing to measure: pass ARTIFACT paths or --model (e.g. --model {DEFAULT_MODEL})")
    found = [artifact(path) for path in artifacts]
    height, width = parse_size(input_size)
    available = tuple(name for name in MODEL_TARGETS if not TARGETS[name].unavailable())
    for name in sorted(set(MODEL_TARGETS) - set(available)) if models else ():
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
        found += [eager(missing.model, [1, 3, height, width])] + [artifact(p) for p in paths]
    # --runtimes picks among this machine's runtimes; anything else goes on to say why it is skipped
    return [s for s in found if s.runtime["name"] in runtimes or s.runtime["name"] not in RUNTIMES]


@register
class Host(Platform):
    name = kind = "host"
    summary = f"measure {', '.join(RUNTIMES)} on this machine"
    order = 10
    in_all = True
    evaluates = True

    def evaluator(self, m: Manifest) -> tuple[str, Outputs]:
        def outputs(batches: list, progress: Callable[[int], None]) -> list:
            # The runner parity uses: the artifact's defined numerics (e.g. int8 QDQ as written, Core ML's MIL).
            run = m.target.reference_runner(m.artifact, m.record["backend"])
            out = []
            for x in batches:
                out.append(run(x))
                progress(len(out) * len(x))
            return out
        return f"this machine ({device()['soc']}) in {m.target.runtime}", outputs

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        flags.inputs_argument(parser, "artifacts", "ARTIFACT",
                              "artifacts made by cloformer-export (the manifest beside each says what it is)",
                              nargs="*")
        model_flags(parser)
        parser.add_argument("--runtimes", default=",".join(RUNTIMES), metavar="LIST",
                            help=f"comma-separated subset of {','.join(RUNTIMES)} (default all)")
        flags.threads_flag(parser, os.cpu_count() or 1, "threads for every runtime (default: all cores)")
        flags.protocol_flags(parser)
        flags.output_flag(parser)

    def run(self, args: argparse.Namespace) -> None:
        found = subjects(args.artifacts, args.model, args.input_size, args.exports,
                         [r for r in args.runtimes.split(",") if r])
        if not run(found, flags.protocol(args), args.threads, args.output):
            raise UsageError("nothing could be measured on this machine (the lines above say why); artifacts "
                             "measured on their devices come in with the other cloformer-bench platforms")

    def all_arguments(self, parser: argparse.ArgumentParser) -> None:
        model_flags(parser)

    def all_step(self, args: argparse.Namespace, run_all: AllRun) -> None:
        """Export the models' artifacts where missing (the next platforms run them too), then measure."""
        found = subjects([], args.model or [DEFAULT_MODEL], args.input_size, args.exports, list(RUNTIMES))
        run_all.artifacts += [s.path for s in found if s.path]
        run_all.written += run(found, run_all.protocol, os.cpu_count() or 1, args.output)
