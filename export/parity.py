"""Parity of an artifact against eager torch, in the artifact's own runtime."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .errors import ExportError, Unverifiable


@dataclass(frozen=True)
class Tolerance:
    max_abs_diff: float
    min_cosine: float


# fp32 artifacts: the backends reorder float sums (fused kernels, other conv algorithms),
# which moves logits of magnitude ~1-10 by ~1e-6..1e-5; anything near 1e-4 is a real bug.
FP32 = Tolerance(max_abs_diff=1e-4, min_cosine=0.99999)
# Reduced precision: parity only catches a broken artifact (measured XXS: fp16 ~4e-3, cosine
# 0.999999; int8 ~30 dB). How close it is, is fidelity's to say (export/fidelity.py, --min-sqnr).
TOLERANCE = {"fp32": FP32, "fp16": Tolerance(max_abs_diff=5e-2, min_cosine=0.9999),
             "int8": Tolerance(max_abs_diff=1.0, min_cosine=0.99)}
# Below this SQNR (dB) against eager a module's output diverges (cloformer-diagnose; a target may
# say otherwise, `Target.min_sqnr`). fp32 backends only reorder sums (measured 118-142 dB at every
# cut, XXS); fp16 storage alone costs ~60-70 dB; int8 convolutions ~35-40 dB (XXS, QDQ).
MIN_SQNR = {"fp32": 80.0, "fp16": 40.0, "int8": 20.0}
# Lossy weight compression (4-bit palettes: XXS random init, cosine 0.978): still the same model.
LOSSY = Tolerance(max_abs_diff=10.0, min_cosine=0.9)


def sqnr_db(reference: np.ndarray, actual: np.ndarray) -> float:
    """Signal-to-quantization-noise ratio of `actual` against `reference`, in dB (inf: equal)."""
    ref = reference.astype(np.float64).ravel()
    noise = float(np.sum((ref - actual.astype(np.float64).ravel()) ** 2))
    signal = float(np.sum(ref ** 2))
    return float("inf") if noise == 0 else float(10 * np.log10(max(signal, 1e-300) / noise))


def compare(reference: np.ndarray, actual: np.ndarray) -> dict:
    ref = reference.astype(np.float64).ravel()
    act = actual.astype(np.float64).ravel()
    cosine = float(ref @ act / max(np.linalg.norm(ref) * np.linalg.norm(act), 1e-30))
    return {"max_abs_diff": float(np.abs(ref - act).max()), "cosine": cosine}


def cases(model: torch.nn.Module, inputs: dict[str, torch.Tensor]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> (input, eager output): computed once per export run, shared by every target."""
    with torch.no_grad():
        return {name: (x.numpy(), model(x).numpy()) for name, x in inputs.items()}


def check(cases: dict[str, tuple[np.ndarray, np.ndarray]],
          open_runner: Callable[[], Callable[[np.ndarray], np.ndarray]],
          runtime: str, tolerance: Tolerance = FP32) -> dict:
    """Run every case's input through the artifact and compare with eager; the manifest's
    `parity` section.

    `open_runner` (or the runner it returns) raises `Unverifiable` when the artifact cannot
    execute here: the status is then `unverified` with the reason, never `pass`."""
    result: dict = {"runtime": runtime, "tolerance": vars(tolerance), "inputs": {}}
    try:
        run = open_runner()
        for name, (x, expected) in cases.items():
            actual = run(x)
            if actual.shape != expected.shape:
                raise ExportError(f"{runtime} returned shape {actual.shape}, eager {expected.shape}")
            result["inputs"][name] = compare(expected, actual)
    except Unverifiable as e:
        return {**result, "status": "unverified", "reason": str(e), "max_abs_diff": None, "cosine": None}
    worst = max(r["max_abs_diff"] for r in result["inputs"].values())
    cosine = min(r["cosine"] for r in result["inputs"].values())
    ok = worst <= tolerance.max_abs_diff and cosine >= tolerance.min_cosine
    return {**result, "max_abs_diff": worst, "cosine": cosine, "status": "pass" if ok else "fail"}
