"""One registry of model variants: names -> configs, and the factory."""
from __future__ import annotations

from pathlib import Path

import torch

from .checkpoint import load_checkpoint
from .cloformer import CONFIGS, INPUT_MULTIPLE, CloFormer, CloFormerConfig
from .errors import ModelError

DEFAULT_MODEL = "cloformer_xxs"


def list_models() -> list[str]:
    """Registered variant names, smallest first."""
    return list(CONFIGS)


def get_config(name: str) -> CloFormerConfig:
    if name not in CONFIGS:
        raise ModelError(f"unknown model {name!r}; choose one of: {', '.join(CONFIGS)}")
    return CONFIGS[name]


def create_model(name: str = DEFAULT_MODEL, num_classes: int = 1000, checkpoint: str | Path | None = None,
                 seed: int | None = 0) -> CloFormer:
    """Build a variant in eval mode. Without a checkpoint the weights are PyTorch's default
    random init (no official weights were ever published), seeded for reproducibility."""
    config = get_config(name)
    if num_classes < 1:
        raise ModelError(f"num_classes must be at least 1, got {num_classes}")
    if seed is not None:
        torch.manual_seed(seed)
    model = CloFormer(config, num_classes=num_classes)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, model_name=name)
    return model.eval()


def check_input_size(height: int, width: int) -> None:
    """Fail early, before any tracing, on sizes the network cannot take."""
    sides = (("size", height),) if height == width else (("height", height), ("width", width))
    for label, value in sides:
        if value < INPUT_MULTIPLE or value % INPUT_MULTIPLE:
            lower = max(INPUT_MULTIPLE, value // INPUT_MULTIPLE * INPUT_MULTIPLE)
            upper = max(INPUT_MULTIPLE, -(-value // INPUT_MULTIPLE) * INPUT_MULTIPLE)
            nearest = str(lower) if lower == upper else f"{lower} or {upper}"
            raise ModelError(f"input {label} {value} is not a positive multiple of {INPUT_MULTIPLE} "
                             f"(4x stem + three 2x downsamples); nearest valid: {nearest}")
