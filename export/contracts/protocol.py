"""The latency protocol, defined once: load, first (cold) inference, warm-up, then
rounds x iterations (or a sustained run of T seconds), the statistics every result reports and
the rules that make a result invalid (the apps port this file)."""
from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import load

# The constants live in protocol.json, which the apps' tests read too.
CONSTANTS = load("protocol.json")
MIN_ITERATIONS: int = CONSTANTS["min_iterations"]  # fewer timed iterations: too few for a p90 (MLPerf-style)
MAX_DRIFT: float = CONSTANTS["max_drift"]  # sustained: last interval's median / first's above this -> throttling
SUSTAINED_INTERVAL_S: float = CONSTANTS["sustained_interval_seconds"]
_DEFAULTS = CONSTANTS["defaults"]


@dataclass(frozen=True)
class Protocol:
    # 10 warm-up runs as PyTorch's mobile minibench app; 5 x 10 timed (>= MIN_ITERATIONS)
    warmup: int = _DEFAULTS["warmup"]
    rounds: int = _DEFAULTS["rounds"]
    iterations: int = _DEFAULTS["iterations"]
    trim: float = _DEFAULTS["trim"]  # trimmed mean drops this fraction at each end (Apple ModelBench style)
    sustained_seconds: float | None = None  # run this long instead of rounds x iterations
    cooldown_seconds: float = _DEFAULTS["cooldown_seconds"]  # idle before each measurement


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 100]."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def trimmed_mean(values: list[float], trim: float) -> float:
    ordered = sorted(values)
    cut = int(len(ordered) * trim)
    kept = ordered[cut:len(ordered) - cut] or ordered
    return sum(kept) / len(kept)


def summarize(latencies_ms: list[float], trim: float = _DEFAULTS["trim"]) -> dict[str, float]:
    return {
        "mean": statistics.fmean(latencies_ms),
        "median": statistics.median(latencies_ms),
        "p90": percentile(latencies_ms, 90),
        "p99": percentile(latencies_ms, 99),
        "trimmed_mean": trimmed_mean(latencies_ms, trim),
        "std": statistics.pstdev(latencies_ms),
        "min": min(latencies_ms),
    }


def intervals(starts_s: list[float], latencies_ms: list[float], interval_s: float = SUSTAINED_INTERVAL_S) -> dict:
    """Sustained-mode summary: the median latency of each `interval_s` window, and the drift
    (last window's median / first's), the thermal proxy."""
    windows: dict[int, list[float]] = {}
    for start, latency in zip(starts_s, latencies_ms):
        windows.setdefault(int(start // interval_s), []).append(latency)
    rows = [{"start_seconds": k * interval_s, "median_ms": statistics.median(v), "count": len(v)}
            for k, v in sorted(windows.items())]
    return {"interval_seconds": interval_s, "intervals": rows, "drift": rows[-1]["median_ms"] / rows[0]["median_ms"]}


def invalid_reasons(latencies_ms: list[float], sustained: dict | None) -> list[str]:
    reasons = []
    if len(latencies_ms) < MIN_ITERATIONS:
        reasons.append(f"too few iterations: {len(latencies_ms)} < {MIN_ITERATIONS}")
    if sustained and sustained["drift"] > MAX_DRIFT:
        reasons.append(f"throttling detected: latency drifted x{sustained['drift']:.2f} (> x{MAX_DRIFT}) over the run")
    return reasons


def measure(run: Callable[[], object], protocol: Protocol = Protocol()) -> dict:
    """Time `run`: cool-down, first call (cold), warm-up, then rounds x iterations or, in
    sustained mode, back-to-back calls for `sustained_seconds`; milliseconds."""
    time.sleep(protocol.cooldown_seconds)
    start = time.perf_counter()
    run()
    first_ms = (time.perf_counter() - start) * 1e3
    for _ in range(protocol.warmup):
        run()
    latencies, starts = [], []
    began = time.perf_counter()
    if protocol.sustained_seconds:
        while (start := time.perf_counter()) - began < protocol.sustained_seconds:
            run()
            starts.append(start - began)
            latencies.append((time.perf_counter() - start) * 1e3)
    else:
        for _ in range(protocol.rounds * protocol.iterations):
            start = time.perf_counter()
            run()
            latencies.append((time.perf_counter() - start) * 1e3)
    sustained = intervals(starts, latencies) if protocol.sustained_seconds else None
    return {"first_ms": first_ms, "latencies_ms": latencies, "stats": summarize(latencies, protocol.trim),
            "sustained": sustained, "invalid_reasons": invalid_reasons(latencies, sustained)}
