"""Parity inputs: one real photo and one seeded random tensor, fed through the model's one
preprocessing (models/preprocess.py), which the manifest documents for the apps."""
from __future__ import annotations

import torch

from ..models.preprocess import preprocess, preprocessing

__all__ = ["parity_inputs", "preprocess", "preprocessing", "random_input", "real_image"]


def real_image(height: int, width: int, batch: int = 1) -> torch.Tensor:
    """scikit-image's astronaut photo (shipped in the wheel: no download), preprocessed."""
    from skimage import data

    return preprocess(data.astronaut(), height, width).expand(batch, -1, -1, -1).contiguous()


def random_input(height: int, width: int, batch: int = 1, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, 3, height, width, generator=torch.Generator().manual_seed(seed))


def parity_inputs(height: int, width: int, batch: int = 1) -> dict[str, torch.Tensor]:
    return {"astronaut": real_image(height, width, batch), "random": random_input(height, width, batch)}
