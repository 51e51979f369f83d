"""`cloformer-export --report`: naive graph vs deploy form, side by side, for each selected
target: graph figures from the two manifests (each target's own rows), and the latency of every
artifact that runs on this machine, measured in one interleaved run (same threads, same input)."""
from __future__ import annotations

import dataclasses
import os
import statistics

from .contracts.protocol import Protocol, measure
from . import files
from . import manifest as manifests
from .console import Progress
from .errors import ExportError, Unverifiable
from .inputs import random_input
from .pipeline import export_target, prepare
from .request import ExportRequest

ROUNDS = 6  # interleaved rounds x 10 iterations: a median of 60 per artifact


def report(request: ExportRequest) -> str:
    """Export naive and deploy form for each selected target; return a Markdown report."""
    naive_request = dataclasses.replace(request, rewrite=False)
    naive_request.validate()
    model, cases, weights = prepare(request)
    with files.folder_made(request.output):  # removed again if nothing was written
        progress = Progress(request.quiet)
        rows: list[tuple[str, str, str]] = []
        runners = {}
        for target in request.selected:
            tag = target.tag(request)
            pair = {}
            for label, req in (("naive", naive_request), ("deploy", request)):
                try:
                    path = export_target(target, model, req, cases, weights, progress)
                except ExportError as e:
                    if label == "deploy":
                        raise
                    pair[label] = str(e)  # the naive graph may not even run in this runtime: that is a finding
                    continue
                pair[label] = manifests.load(path).record
                if not target.measures_latency:
                    continue  # graph figures only (its runner checks numerics)
                try:  # every runtime on every core: their defaults differ (one interpreter defaults to one thread)
                    runners[(tag, label, target.runtime)] = target.runner(path, target.backend(req), os.cpu_count())
                except Unverifiable:
                    pass  # not runnable here: graph figures only
            if isinstance(pair["naive"], str):
                rows.append((f"{tag}: naive graph", f"export failed: {pair['naive']}", "exports"))
            else:
                rows += target.report_rows(tag, pair["naive"], pair["deploy"])
            rows.append((f"{tag}: rewrites", "", ", ".join(pair["deploy"]["rewrites"]) or "none"))

        x = random_input(request.height, request.width, request.batch).numpy()
        latencies: dict[tuple, list[float]] = {key: [] for key in runners}
        with progress.step(f"latency: {len(runners)} artifacts, {ROUNDS} interleaved rounds x 10"):
            for r in range(ROUNDS):
                for key, run in runners.items():
                    protocol = Protocol(warmup=10 if r == 0 else 2, rounds=1, iterations=10)
                    latencies[key] += measure(lambda: run(x), protocol)["latencies_ms"]
        median = {key: statistics.median(values) for key, values in latencies.items()}
        by_tag = {(tag, label): ms for (tag, label, _), ms in median.items()}
        for tag, runtime in dict.fromkeys((key[0], key[2]) for key in median):
            rows.append((f"{tag}: {runtime} median ms", f"{by_tag[(tag, 'naive')]:.2f}" if (tag, "naive") in by_tag else "",
                         f"{by_tag[(tag, 'deploy')]:.2f}"))

        lines = [f"## {request.model} {request.height}x{request.width}, batch {request.batch}",
                 "", "| | naive | deploy form |", "|---|---|---|"]
        lines += [f"| {what} | {a} | {b} |" for what, a, b in rows]
        deploy = {tag: ms for (tag, label), ms in by_tag.items() if label == "deploy"}
        ratios = [f"{tag} deploy / naive: {ms / by_tag[(tag, 'naive')]:.3f}x" for tag, ms in deploy.items()
                  if (tag, "naive") in by_tag]
        if len(deploy) > 1:
            fastest = min(deploy, key=deploy.get)
            ratios += [f"{tag} deploy / fastest deploy form ({fastest}): {ms / deploy[fastest]:.3f}x"
                       for tag, ms in deploy.items() if tag != fastest]
        if ratios:
            lines += [""] + ratios
        return "\n".join(lines) + "\n"
