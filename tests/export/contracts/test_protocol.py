import time

import numpy as np
import pytest

from cloformer.export.contracts.protocol import (Protocol, intervals, invalid_reasons, measure, percentile, summarize,
                                              trimmed_mean)

LATENCIES = [12.0, 10.5, 11.2, 30.0, 10.9, 11.1, 10.7, 11.0, 10.8, 11.3, 9.9, 10.6]


@pytest.mark.parametrize("q", [0, 10, 50, 90, 99, 100])
def test_percentile_matches_numpy(q):
    assert percentile(LATENCIES, q) == pytest.approx(np.percentile(LATENCIES, q))


def test_trimmed_mean_drops_ten_percent_each_side():
    # 12 values: int(1.2) = 1 dropped at each end -> 9.9 and 30.0 go
    kept = sorted(LATENCIES)[1:-1]
    assert trimmed_mean(LATENCIES, 0.10) == pytest.approx(sum(kept) / len(kept))


def test_summary():
    stats = summarize(LATENCIES)
    assert stats["median"] == pytest.approx(np.median(LATENCIES))
    assert stats["mean"] == pytest.approx(np.mean(LATENCIES))
    assert stats["std"] == pytest.approx(np.std(LATENCIES))
    assert stats["min"] == 9.9 and stats["p99"] == pytest.approx(np.percentile(LATENCIES, 99))


def test_measure_counts_calls():
    calls = []
    result = measure(lambda: calls.append(1), Protocol(warmup=3, rounds=2, iterations=4))
    assert len(calls) == 1 + 3 + 8 and len(result["latencies_ms"]) == 8 and result["first_ms"] >= 0
    assert result["sustained"] is None
    assert result["invalid_reasons"] == ["too few iterations: 8 < 30"]


def test_sustained_mode_runs_for_the_time_and_reports_intervals():
    calls = []

    def run():
        calls.append(1)
        time.sleep(0.004)

    result = measure(run, Protocol(warmup=1, sustained_seconds=0.25))
    sustained = result["sustained"]
    assert len(calls) == 1 + 1 + len(result["latencies_ms"])  # first, warm-up, timed
    assert sum(result["latencies_ms"]) / 1e3 >= 0.2  # back to back for the whole 0.25 s
    assert sum(row["count"] for row in sustained["intervals"]) == len(result["latencies_ms"])


def test_intervals_and_drift():
    starts = [0.1, 0.5, 0.9, 1.2, 1.8, 2.1, 2.5]
    latencies = [10, 10, 12, 11, 11, 14, 12]
    got = intervals(starts, latencies, interval_s=1.0)
    assert [(r["start_seconds"], r["median_ms"], r["count"]) for r in got["intervals"]] == [(0, 10, 3), (1, 11, 2), (2, 13, 2)]
    assert got["drift"] == pytest.approx(1.3)


def test_invalid_reasons():
    assert invalid_reasons([10.0] * 30, None) == []
    throttled = {"drift": 1.3}
    assert invalid_reasons([10.0] * 50, throttled) == ["throttling detected: latency drifted x1.30 (> x1.15) over the run"]
