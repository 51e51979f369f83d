"""The latency protocol, defined once: load, first (cold) inference, warm-up, then
rounds x iterations, and the statistics every result reports (the apps port this file)."""
from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Protocol:
    warmup: int = 10
    rounds: int = 5
    iterations: int = 10
    trim: float = 0.10  # trimmed mean drops this fraction at each end (Apple ModelBench style)


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


def summarize(latencies_ms: list[float], trim: float = 0.10) -> dict[str, float]:
    return {
        "mean": statistics.fmean(latencies_ms),
        "median": statistics.median(latencies_ms),
        "p90": percentile(latencies_ms, 90),
        "p99": percentile(latencies_ms, 99),
        "trimmed_mean": trimmed_mean(latencies_ms, trim),
        "std": statistics.pstdev(latencies_ms),
        "min": min(latencies_ms),
    }


def measure(run: Callable[[], object], protocol: Protocol = Protocol()) -> dict:
    """Time `run`: first call (cold), warm-up, then rounds x iterations; milliseconds."""
    start = time.perf_counter()
    run()
    first_ms = (time.perf_counter() - start) * 1e3
    for _ in range(protocol.warmup):
        run()
    latencies = []
    for _ in range(protocol.rounds):
        for _ in range(protocol.iterations):
            start = time.perf_counter()
            run()
            latencies.append((time.perf_counter() - start) * 1e3)
    return {"first_ms": first_ms, "latencies_ms": latencies, "stats": summarize(latencies, protocol.trim)}
