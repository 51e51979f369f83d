import numpy as np
import pytest

from cloformer.runtime_bench.protocol import Protocol, measure, percentile, summarize, trimmed_mean

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
