"""From instruction counts to milliseconds: the candidate models, fitted to published latencies and
judged by leave-one-out (each published net predicted by a fit that never saw it).

A model is a linear map to milliseconds from a run's terms: its instructions by class (count_insns.c:
SIMD & FP arithmetic, SIMD & FP loads and stores, general-register loads and stores, the rest) and,
for the models that use them, the memory traffic the counts cannot see (features.py: weights,
activations spilling from L2). Its costs are non-negative and fitted on relative error: a 2 ms net
weighs as much as a 1 s one. The band of an estimate is the range of the leave-one-out errors, so
it says how far the instrument has missed nets it did not see."""
from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

CLASSES = ("simd", "simd_mem", "mem", "other")
MEMORY = (("weights",), ("spill",))  # features.FEATURES, each with its own cost

# Each model: its name -> the groups of terms that share one cost (per million instructions or elements).
MODELS: dict[str, tuple[tuple[str, ...], ...]] = {
    "ipc": (CLASSES,),                                        # one cost: instructions per ms
    "simd+rest": (("simd",), ("simd_mem", "mem", "other")),   # arithmetic vs everything else
    "arith+mem+rest": (("simd",), ("simd_mem", "mem"), ("other",)),
    "classes": tuple((c,) for c in CLASSES),                  # one cost per class
    "ipc+memory": (CLASSES, *MEMORY),
    "simd+rest+memory": (("simd",), ("simd_mem", "mem", "other"), *MEMORY),
}


def terms(model: str) -> tuple[str, ...]:
    """What a model reads of a run: instruction classes, and memory features if it uses them."""
    return tuple(term for group in MODELS[model] for term in group)


@dataclass(frozen=True)
class Fit:
    model: str
    costs: dict[str, float]  # ms per million of each term

    def predict(self, counts: Mapping[str, int]) -> float:
        return sum(cost * counts[term] / 1e6 for term, cost in self.costs.items())


def fit(model: str, counts: Mapping[str, Mapping[str, int]], ms: Mapping[str, float]) -> Fit:
    """The costs minimising the squared relative error over `ms`'s nets (non-negative)."""
    groups = MODELS[model]
    names = list(ms)
    a = np.array([[sum(counts[n][c] for c in group) / 1e6 / ms[n] for group in groups] for n in names])
    costs, _ = nnls(a, np.ones(len(names)))
    return Fit(model, {c: float(cost) for group, cost in zip(groups, costs) for c in group})


def leave_one_out(model: str, counts: Mapping[str, Mapping[str, int]], ms: Mapping[str, float]) -> dict[str, float]:
    """Each net's relative error (estimate / published - 1) when the fit leaves it out."""
    errors = {}
    for name in ms:
        rest = {n: v for n, v in ms.items() if n != name}
        errors[name] = fit(model, counts, rest).predict(counts[name]) / ms[name] - 1
    return errors


def band(errors: Mapping[str, float]) -> tuple[float, float]:
    """(low, high) factors on an estimate that held every left-out published figure: the published
    figure p of a net with relative error r was estimate / (1 + r)."""
    return 1 / (1 + max(errors.values())), 1 / (1 + min(errors.values()))


def coverage(model: str, counts: Mapping[str, Mapping[str, int]], ms: Mapping[str, float]) -> dict[str, bool]:
    """For each net: did the band of a calibration made without it hold its published figure? (The
    band of that calibration comes from its own leave-one-out, so nothing of the net is used.)"""
    held = {}
    for name in ms:
        rest = {n: v for n, v in ms.items() if n != name}
        low, high = band(leave_one_out(model, counts, rest))
        estimate = fit(model, counts, rest).predict(counts[name])
        held[name] = estimate * low <= ms[name] <= estimate * high
    return held


def summary(errors: Mapping[str, float]) -> dict[str, float]:
    absolute = [abs(e) for e in errors.values()]
    return {"median_abs": statistics.median(absolute), "worst_abs": max(absolute)}


def choose(judged: Mapping[str, Mapping[str, float]]) -> str:
    """Of the models' leave-one-out summaries (`summary`), the model whose worst error is lowest (the band
    of its estimates is the narrowest), then the lowest median; ties go to the model listed first, the simpler."""
    return min(judged, key=lambda model: (round(judged[model]["worst_abs"], 4), round(judged[model]["median_abs"], 4)))
