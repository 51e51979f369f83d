"""One registry of models: the CloFormer variants, then the peers measured beside them as
references (published CNNs a user weighs CloFormer against, from `models/reference`)."""
from __future__ import annotations

from pathlib import Path

import torch

from .checkpoint import load_checkpoint
from .cloformer import CONFIGS, INPUT_MULTIPLE, CloFormer, CloFormerConfig
from .errors import ModelError
from .reference import REFERENCES, build_reference

DEFAULT_MODEL = "cloformer_xxs"
# Peers at CloFormer-XXS's ImageNet accuracy (77.0 %): EfficientNet-B0 77.1 %, MobileNetV3-Large 75.2 %.
PEERS = ("efficientnet_b0", "mobilenet_v3_large")


def list_models() -> list[str]:
    """Registered model names: CloFormer variants smallest first, then the reference peers."""
    return [*CONFIGS, *PEERS]


def check_model(name: str) -> None:
    if name not in CONFIGS and name not in PEERS:
        raise ModelError(f"unknown model {name!r}; choose one of: {', '.join(list_models())}")


def is_reference(name: str) -> bool:
    """A peer measured beside CloFormer, not CloFormer itself."""
    return name in PEERS


def get_config(name: str) -> CloFormerConfig:
    """A CloFormer variant's hyper-parameters."""
    check_model(name)
    if name not in CONFIGS:
        raise ModelError(f"{name} is a reference model, not a CloFormer variant; it has no CloFormer config")
    return CONFIGS[name]


def model_config(name: str) -> dict:
    """What the manifest records as the model's configuration: a variant's hyper-parameters, or
    the published architecture a reference model follows."""
    check_model(name)
    return {"architecture": REFERENCES[name].paper} if name in PEERS else CONFIGS[name].to_dict()


def describe_model(name: str) -> str:
    """One phrase naming the model and its paper, for artifact metadata."""
    check_model(name)
    if name in PEERS:
        return f"{REFERENCES[name].paper} (a reference peer, written in cloformer.models.reference)"
    return f"CloFormer {name.split('_')[-1].upper()} (Fan et al., arXiv 2303.17803)"


def create_model(name: str = DEFAULT_MODEL, num_classes: int = 1000, checkpoint: str | Path | None = None,
                 seed: int | None = 0) -> torch.nn.Module:
    """Build a model in eval mode. Without a checkpoint the weights are PyTorch's default
    random init (no official CloFormer weights were ever published), seeded for reproducibility."""
    check_model(name)
    if num_classes < 1:
        raise ModelError(f"num_classes must be at least 1, got {num_classes}")
    if seed is not None:
        torch.manual_seed(seed)
    model = build_reference(name, num_classes) if name in PEERS else CloFormer(CONFIGS[name], num_classes=num_classes)
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
