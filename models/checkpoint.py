"""Loading official-format checkpoints safely (`weights_only=True`) with one-line errors."""
from __future__ import annotations

import pickle
from pathlib import Path

import torch
import torch.nn as nn

from .errors import ModelError

_SHOWN = 3  # offending keys named in an error line


def _first(keys: list[str]) -> str:
    more = f" (+{len(keys) - _SHOWN} more)" if len(keys) > _SHOWN else ""
    return ", ".join(keys[:_SHOWN]) + more


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A plain `state_dict`, or one under `"model"` (the official training script's format)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"checkpoint {path} does not exist or is not a file; pass the path of a .pth file")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        # torch's message is a page long; keep its one informative sentence.
        detail = str(e).split("WeightsUnpickler error:")[-1].strip().split(". ")[0].splitlines()[0] if str(e) else ""
        if "Unsupported global" in detail:
            raise ModelError(f"checkpoint {path} was refused: unpickling it would run arbitrary code "
                             f"({detail}); re-save only the weights: torch.save(model.state_dict(), path)") from None
        raise ModelError(f"checkpoint {path} is not a plain state_dict pickle ({detail or e}): it is corrupt "
                         "or needs arbitrary code to load, which is refused; re-save it with "
                         "torch.save(model.state_dict(), path)") from None
    except Exception as e:  # torch raises many types on corrupt input (RuntimeError, IndexError, EOFError...)
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ModelError(f"checkpoint {path} is not a PyTorch checkpoint ({reason})") from None
    if isinstance(obj, dict) and isinstance(obj.get("model"), dict):
        obj = obj["model"]
    if not isinstance(obj, dict) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ModelError(f"checkpoint {path} holds no state_dict (expected a dict of tensors, "
                         "optionally under a 'model' key)")
    return obj


def _matching_variant(state: dict[str, torch.Tensor], num_classes: int) -> str | None:
    """Name the registered variant whose shapes fit `state`, to suggest `--model`."""
    from .cloformer import CONFIGS, CloFormer  # late import: registry imports this module

    for name, config in CONFIGS.items():
        with torch.device("meta"):
            reference = CloFormer(config, num_classes=num_classes).state_dict()
        if reference.keys() == state.keys() and all(reference[k].shape == state[k].shape for k in state):
            return name
    return None


def load_checkpoint(model: nn.Module, path: str | Path, model_name: str = "the model") -> None:
    """Load `path` into `model` strictly; any mismatch is a `ModelError` naming the first keys."""
    state = read_state_dict(path)
    own = model.state_dict()
    head = state.get("head.weight")
    num_classes = getattr(model, "num_classes", None)
    if head is not None and head.ndim == 2 and num_classes is not None and head.shape[0] != num_classes:
        raise ModelError(f"checkpoint {path} has {head.shape[0]} classes (head.weight {list(head.shape)}) "
                         f"but {model_name} was built with {num_classes}; pass --num-classes {head.shape[0]}")
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [k for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or mismatched:
        problems = []
        if missing:
            problems.append(f"{len(missing)} missing keys: {_first(missing)}")
        if unexpected:
            problems.append(f"{len(unexpected)} unexpected keys: {_first(unexpected)}")
        if mismatched:
            k = mismatched[0]
            problems.append(f"{len(mismatched)} shape mismatches, first {k}: checkpoint "
                            f"{list(state[k].shape)} vs model {list(own[k].shape)}")
        variant = _matching_variant(state, num_classes or 1000)
        fix = (f"it fits {variant}: pass --model {variant}" if variant
               else "pass a checkpoint saved from the official CloFormer code for this variant")
        raise ModelError(f"checkpoint {path} does not match {model_name}: {'; '.join(problems)}; {fix}")
    model.load_state_dict(state, strict=True)
