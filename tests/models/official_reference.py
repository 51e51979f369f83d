"""Deterministic weights and inputs shared by the golden-logit fixture and its test.

`data/official_golden.json` was produced by running the official implementation
(qhfan/CloFormer @ 9181f69, `classification/models`, with timm's DropPath and
efficientnet_pytorch's MemoryEfficientSwish) with `fill_state_dict` applied to its
own state_dict and `reference_input` as the input. It records that state_dict's keys
and shapes and the logits, so the test needs no copy of the official code.
"""
from __future__ import annotations

import torch


def fill_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Same keys and shapes, values from a seeded generator in sorted-key order, scaled
    like a trained network (fan-in scaled weights, BN stats away from 0/1)."""
    gen = torch.Generator().manual_seed(2303_17803)
    out = {}
    for key in sorted(state):
        shape = state[key].shape
        if key.endswith("num_batches_tracked"):
            out[key] = torch.zeros((), dtype=torch.long)
            continue
        u = torch.rand(shape, generator=gen, dtype=torch.float64)
        if key.endswith("running_var"):
            v = 0.5 + u
        elif key.endswith("running_mean") or key.endswith("bias"):
            v = 0.2 * (u - 0.5)
        elif len(shape) == 1:  # norm weights
            v = 0.75 + 0.5 * u
        else:
            fan_in = shape[1:].numel()
            v = (u - 0.5) * (12.0 / fan_in) ** 0.5  # unit-variance output
        out[key] = v.to(torch.float32)
    return out


def reference_input(height: int, width: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(7)
    return torch.randn(1, 3, height, width, generator=gen)


SIZES = ((224, 224), (256, 320))
