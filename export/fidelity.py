"""Fidelity of a reduced-precision artifact against the fp32 eager model, over real images.

Without trained weights, agreement with the fp32 model is the meaningful measure: SQNR of the
logits, and how often the artifact's top-1 (top-5) holds the fp32 model's top-1 class.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .parity import sqnr_db


def measure(reference: np.ndarray, actual: np.ndarray) -> dict:
    """(N, classes) fp32 logits vs the artifact's: SQNR over all logits, the worst image's, and
    top-1 / top-5 agreement with the fp32 top-1 class."""
    expected = reference.argmax(1)
    return {"images": len(reference),
            "sqnr_db": round(sqnr_db(reference, actual), 2),
            "min_image_sqnr_db": round(min(sqnr_db(r, a) for r, a in zip(reference, actual)), 2),
            "top1_agreement": round(float(np.mean(actual.argmax(1) == expected)), 4),
            "top5_agreement": round(top5_agreement(reference, actual), 4),
            # how many classes the fp32 model picks over the set: an untrained model picks few,
            # which makes top-k agreement easy (then SQNR is the measure that means something)
            "reference_classes": int(len(np.unique(expected)))}


def top5_agreement(reference: np.ndarray, actual: np.ndarray) -> float:
    """The share of rows (N, classes) whose reference top-1 class is in the actual top-5; ties keep
    the lower class first, as the apps' TopK does."""
    top5 = np.argsort(-actual, axis=1, kind="stable")[:, :5]
    return float(np.mean([e in row for e, row in zip(reference.argmax(1), top5)]))


def batches(images: torch.Tensor, batch: int) -> list[np.ndarray]:
    """N images as static batches of `batch` (the last padded by repeating its first image)."""
    chunks = [images[start:start + batch] for start in range(0, len(images), batch)]
    return [torch.cat([c, c[:1].expand(batch - len(c), -1, -1, -1)]).numpy() for c in chunks]


def logits(run: Callable[[np.ndarray], np.ndarray], images: torch.Tensor, batch: int,
           progress: Callable[[int], None] = lambda done: None) -> np.ndarray:
    """Run a static-batch artifact over N images (the last chunk padded by repetition)."""
    out = []
    for chunk in batches(images, batch):
        out.append(np.asarray(run(chunk), dtype=np.float32))
        progress(min(len(out) * batch, len(images)))
    return np.concatenate(out)[:len(images)]


def evaluate(model: torch.nn.Module, run: Callable[[np.ndarray], np.ndarray], images: torch.Tensor,
             batch: int) -> dict:
    with torch.no_grad():
        reference = torch.cat([model(images[i:i + batch]) for i in range(0, len(images), batch)]).numpy()
    return measure(reference, logits(run, images, batch))
