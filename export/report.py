"""`cloformer-export --report`: naive graph vs deploy form, side by side, for each selected
target: graph figures from the two manifests, and host latency of every artifact that runs
here, measured in one interleaved run (same threads, same input)."""
from __future__ import annotations

import dataclasses
import statistics

from ..runtime_bench.protocol import Protocol, measure
from . import manifest as manifests
from .errors import Unverifiable
from .inputs import random_input
from .pipeline import Progress, export_target, prepare
from .request import ExportRequest

ROUNDS = 6  # interleaved rounds x 10 iterations: a median of 60 per artifact


def _ops(counts: dict[str, int]) -> str:
    return ", ".join(f"{op} x{n}" for op, n in counts.items()) or "none"


def _graph_rows(tag: str, naive: dict, deploy: dict) -> list[tuple[str, str, str]]:
    if "delegation" in naive:
        a, b = naive["delegation"], deploy["delegation"]
        return [(f"{tag}: delegated subgraphs", str(a["delegated_subgraphs"]), str(b["delegated_subgraphs"])),
                (f"{tag}: ops outside the delegate", _ops(a["non_delegated_ops"]), _ops(b["non_delegated_ops"]))]
    if "onnx" in naive:
        def ep(entry: dict) -> str:
            off = ", ".join(f"{item['op']} x{item['count']}" for item in entry["off"]) or "none"
            return f"{entry['ops_on_path']}/{entry['ops']} nodes, {entry['partitions']} partition(s); off: {off}"
        return [(f"{tag}: nodes", str(naive["onnx"]["nodes"]), str(deploy["onnx"]["nodes"]))] + [
            (f"{tag}: {a['path']}", ep(a), ep(b)) for a, b in zip(naive["placement"], deploy["placement"])]
    a, b = naive["coreml"], deploy["coreml"]
    changed = sorted(set(naive["ops"]) | set(deploy["ops"]))
    diff = ", ".join(f"{op} {naive['ops'].get(op, 0)}->{deploy['ops'].get(op, 0)}" for op in changed
                     if op != "const" and naive["ops"].get(op, 0) != deploy["ops"].get(op, 0))
    return [(f"{tag}: MIL ops (non-const)", str(a["mil_ops"] - naive["ops"].get("const", 0)),
             str(b["mil_ops"] - deploy["ops"].get("const", 0))),
            (f"{tag}: transposes", str(a["transposes"]), str(b["transposes"])),
            (f"{tag}: max tensor rank", str(a["max_tensor_rank"]), str(b["max_tensor_rank"])),
            (f"{tag}: ops off the ANE list (export/ane.py)", _ops(a["off_ane_list"]), _ops(b["off_ane_list"])),
            (f"{tag}: op types that changed", diff, "")]


def report(request: ExportRequest) -> str:
    """Export naive and deploy form for each selected target; return a Markdown report."""
    naive_request = dataclasses.replace(request, rewrite=False)
    naive_request.validate()
    model, cases, weights = prepare(request)
    progress = Progress(request.quiet)
    rows: list[tuple[str, str, str]] = []
    runners = {}
    for target in request.selected:
        tag = target.tag(request)
        pair = {}
        for label, req in (("naive", naive_request), ("deploy", request)):
            path = export_target(target, model, req, cases, weights, progress)
            pair[label] = manifests.read(manifests.manifest_path(path))
            if not target.measures_latency:
                continue  # Core ML: graph figures only (its runner checks numerics)
            try:
                runners[(tag, label, target.runtime)] = target.runner(path, target.backend(req))
            except Unverifiable:
                pass  # not runnable here (e.g. the ExecuTorch Core ML delegate): graph figures only
        rows += _graph_rows(tag, pair["naive"], pair["deploy"])
        rows.append((f"{tag}: rewrites", "", ", ".join(pair["deploy"]["rewrites"]) or "none"))

    x = random_input(request.height, request.width, request.batch).numpy()
    latencies: dict[tuple, list[float]] = {key: [] for key in runners}
    with progress.step(f"latency: {len(runners)} artifacts, {ROUNDS} interleaved rounds x 10"):
        for r in range(ROUNDS):
            for key, run in runners.items():
                protocol = Protocol(warmup=10 if r == 0 else 2, rounds=1, iterations=10)
                latencies[key] += measure(lambda: run(x), protocol)["latencies_ms"]
    median = {key: statistics.median(values) for key, values in latencies.items()}
    for tag in dict.fromkeys(key[0] for key in median):
        runtime = next(key[2] for key in median if key[0] == tag)
        rows.append((f"{tag}: {runtime} median ms", f"{median[(tag, 'naive', runtime)]:.2f}",
                     f"{median[(tag, 'deploy', runtime)]:.2f}"))

    lines = [f"## {request.model} {request.height}x{request.width}, batch {request.batch}",
             "", "| | naive | deploy form |", "|---|---|---|"]
    lines += [f"| {what} | {a} | {b} |" for what, a, b in rows]
    ort = [v for k, v in median.items() if k[2] == "onnxruntime"]
    et = [v for k, v in median.items() if k[2] == "executorch.runtime" and k[1] == "deploy"]
    if len(ort) == 2:
        lines += ["", f"ONNX Runtime deploy / naive: {ort[1] / ort[0]:.3f}x"]
    if ort and et:
        lines += [f"ExecuTorch deploy / best ONNX Runtime: {et[0] / min(ort):.3f}x"]
    return "\n".join(lines) + "\n"
