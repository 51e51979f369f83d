"""The models of counts to milliseconds (calibration/fit.py), on made-up nets whose costs are known."""
import pytest

from cloformer.runtime_bench.platforms.arm64.calibration import fit

COSTS = {"simd": 0.2, "simd_mem": 0.5, "mem": 0.5, "other": 0.1}  # ms per million instructions
COUNTS = {f"net{i}": {"simd": 40e6 * (i + 1), "simd_mem": 4e6 * (i % 3 + 1), "mem": 3e6 * (5 - i % 4),
                      "other": 6e6 * (1 + i % 2), "weights": 2e6 * (i % 5 + 1), "spill": 1e6 * (i % 2)}
          for i in range(8)}


def published(costs: dict, noise: dict | None = None) -> dict:
    return {n: fit.Fit("any", costs).predict(c) * (1 + (noise or {}).get(n, 0)) for n, c in COUNTS.items()}


def chosen(ms: dict) -> str:
    return fit.choose({model: fit.summary(fit.leave_one_out(model, COUNTS, ms)) for model in fit.MODELS})


def test_exact_data_is_recovered_and_left_out_nets_are_predicted_exactly():
    ms = published(COSTS)
    got = fit.fit("arith+mem+rest", COUNTS, ms)
    assert got.costs == pytest.approx(COSTS, rel=1e-9)
    errors = fit.leave_one_out("arith+mem+rest", COUNTS, ms)
    assert max(map(abs, errors.values())) < 1e-9


def test_one_cost_per_million_instructions_when_every_class_costs_the_same():
    ms = published(dict.fromkeys(fit.CLASSES, 0.25))
    assert fit.fit("ipc", COUNTS, ms).costs == pytest.approx(dict.fromkeys(fit.CLASSES, 0.25))
    assert chosen(ms) == "ipc"  # ties go to the simplest model, listed first


def test_memory_traffic_the_counts_cannot_see_is_fitted_too():
    costs = {**dict.fromkeys(fit.CLASSES, 0.25), "weights": 0.1, "spill": 1.5}
    ms = published(costs)
    assert fit.fit("ipc+memory", COUNTS, ms).costs == pytest.approx(costs)
    assert chosen(ms) == "ipc+memory"
    assert fit.terms("ipc+memory") == (*fit.CLASSES, "weights", "spill")


def test_costs_are_never_negative():
    ms = published(COSTS, noise={"net0": 0.3, "net5": -0.3})
    for model in fit.MODELS:
        assert min(fit.fit(model, COUNTS, ms).costs.values()) >= 0


def test_leave_one_out_sees_the_left_out_nets_error_and_the_band_spans_the_errors():
    ms = published(COSTS, noise={"net3": 0.1})  # net3 took 10 % longer than its counts say
    errors = fit.leave_one_out("arith+mem+rest", COUNTS, ms)
    assert errors["net3"] == pytest.approx(1 / 1.1 - 1, rel=0.05)  # estimated from the others: 9 % short
    low, high = fit.band(errors)
    assert low == pytest.approx(1 / (1 + max(errors.values())))
    assert high == pytest.approx(1 / (1 + min(errors.values())))
    assert high > 1.09  # the band above an estimate reaches the slow net's published figure
    summary = fit.summary(errors)
    assert summary["worst_abs"] == pytest.approx(abs(errors["net3"]))


def test_coverage_judges_each_net_by_a_band_made_without_it():
    ms = published(COSTS, noise={"net3": 0.5})
    held = fit.coverage("arith+mem+rest", COUNTS, ms)
    assert held["net3"] is False  # an outlier is outside the band the others make
    assert sum(held.values()) >= 6
