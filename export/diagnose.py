"""Per-module parity bisection: where along the model an artifact stops matching eager torch.

The model is cut into its segments (`CloFormer.segments`: stem, every block, head), the places
where every deploy form still computes exactly what the eager model computes. Each target gives
its values at those cuts (`Target.intermediates`), in one of two ways:
- taps: values read inside the artifact itself (extra graph outputs, an evaluator's variables).
  Errors accumulate along the model: the first cut below tolerance is where the fault is.
- per-module exports (the default, for artifacts whose runtime is one opaque blob): each
  deploy-form segment exported alone with the target's own recipe and run in its runtime on the
  eager segment input. Errors do not accumulate: every cut below tolerance is a fault.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import rewrites
from .errors import Unverifiable
from .parity import sqnr_db
from .targets.base import TAPS, Target



@dataclass
class Probe:
    """What a target needs to produce its values at the cuts."""

    request: object                      # an ExportRequest: model, size, backend of the artifact
    model: torch.nn.Module               # the target's deploy form of the whole model
    names: list[str]                     # segment names; the last one ends in the logits
    modules: list[torch.nn.Module]       # the deploy form's segments
    inputs: list[np.ndarray]             # eager input of each segment; inputs[0] is the image
    expected: list[np.ndarray] = field(default_factory=list)  # eager output of each segment


def probe(model: torch.nn.Module, passes: Sequence[str], request, x: torch.Tensor) -> Probe:
    deploy, _ = rewrites.apply(model, passes)
    names, modules = zip(*deploy.segments())
    inputs, expected = [], []
    with torch.no_grad():
        for _, segment in model.segments():
            inputs.append(x.numpy())
            x = segment(x)
            expected.append(x.numpy())
    return Probe(request, deploy, list(names), list(modules), inputs, expected)


@dataclass
class Diagnosis:
    label: str
    how: str
    min_sqnr: float
    rows: dict[str, dict] = field(default_factory=dict)  # segment -> max_abs_diff, sqnr_db
    reason: str | None = None                            # why nothing was compared
    missing: list[str] = field(default_factory=list)     # cuts not found in the artifact

    @property
    def diverged(self) -> list[str]:
        return [name for name, row in self.rows.items() if row["sqnr_db"] < self.min_sqnr]

    @property
    def first(self) -> str | None:
        return next(iter(self.diverged), None)


def diagnose(target: Target, artifact: Path, probe: Probe, label: str, min_sqnr: float) -> Diagnosis:
    try:
        how, values = target.intermediates(artifact, probe)
    except Unverifiable as e:
        return Diagnosis(label, "-", min_sqnr, reason=f"unverified: {e}")
    result = Diagnosis(label, how, min_sqnr)
    for name, expected in zip(probe.names, probe.expected):
        actual = np.asarray(values.get(name, ()), dtype=np.float32)
        if actual.size != expected.size:  # a cut the artifact's graph no longer has as one value
            result.missing.append(name)
            continue
        actual = actual.reshape(expected.shape)
        result.rows[name] = {"max_abs_diff": float(np.abs(expected - actual).max()),
                             "sqnr_db": sqnr_db(expected, actual)}
    return result


def worst(diagnosis: Diagnosis, count: int = 3) -> str:
    """The modules that cost the most: the relative noise power each cut adds to the one before
    (taps accumulate), or its own (per-module exports)."""
    names, sqnr = list(diagnosis.rows), [r["sqnr_db"] for r in diagnosis.rows.values()]
    noise = [10 ** (-s / 10) for s in sqnr]
    cost = [b - a for a, b in zip([0.0, *noise], noise)] if diagnosis.how == TAPS else noise
    ranked = sorted(range(len(names)), key=lambda i: -cost[i])[:count]
    return ", ".join(f"{names[i]} ({sqnr[i]:.1f} dB)" for i in sorted(ranked))


def _cell(row: dict | None, first: bool) -> str:
    if row is None:
        return "-"
    sqnr = "exact" if row["sqnr_db"] == float("inf") else f"{row['sqnr_db']:.1f} dB"
    return f"{sqnr} {row['max_abs_diff']:.1e}{'  <- first' if first else ''}"


def table(probe: Probe, diagnoses: list[Diagnosis]) -> str:
    """Module -> SQNR (dB) and max abs diff per artifact, the first divergence marked."""
    header = ["module", "shape", *(d.label for d in diagnoses)]
    rows = [[name, "x".join(map(str, out.shape)),
             *(_cell(d.rows.get(name), name == d.first) for d in diagnoses)]
            for name, out in zip(probe.names, probe.expected)]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    for d in diagnoses:
        if d.reason:
            verdict = d.reason
        elif d.first:
            verdict = (f"diverges first at {d.first} (SQNR {d.rows[d.first]['sqnr_db']:.1f} dB < {d.min_sqnr:g}); "
                       f"{len(d.diverged)} of {len(d.rows)} modules below")
        else:
            verdict = f"every module within tolerance (SQNR >= {d.min_sqnr:g} dB)"
        if d.missing:
            verdict += f"; not found in the artifact's graph: {', '.join(d.missing)}"
        lines.append(f"{d.label} ({d.how}): {verdict}")
    return "\n".join(lines) + "\n"
