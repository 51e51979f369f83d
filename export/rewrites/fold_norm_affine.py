"""fold_norm_affine: a norm's per-channel scale and shift moved into the 1x1 convs (or the
linear head) that consume its output, leaving a plain normalization. Exact because everything
between them is linear per channel: nothing (q, k, v, fc1), or an unpadded average pool (kv).
The stem's norm is left as is: its output also feeds a residual sum."""
from __future__ import annotations

import torch
import torch.nn as nn

from ...models.layers import EfficientBlock
from .base import rewrite


@torch.no_grad()
def _fold(layer: nn.Conv2d | nn.Linear, gamma: torch.Tensor, beta: torch.Tensor) -> None:
    """layer(gamma * x + beta) == layer'(x) for a 1x1 conv or a linear layer."""
    weight = layer.weight.view(layer.weight.shape[0], -1)  # (out, in): 1x1 kernels only
    assert weight.shape[1] == gamma.numel(), "fold_norm_affine needs a 1x1, ungrouped consumer"
    shift = weight @ beta
    layer.weight.mul_(gamma.view(1, -1, *([1] * (layer.weight.ndim - 2))))
    if layer.bias is None:
        layer.bias = nn.Parameter(shift)
    else:
        layer.bias.add_(shift)


def _fold_norm(norm: nn.Module, consumers: list[nn.Module]) -> int:
    if getattr(norm, "weight", None) is None:
        return 0
    for layer in consumers:
        _fold(layer, norm.weight.detach(), norm.bias.detach())
    norm.weight, norm.bias = None, None
    return 1


@rewrite("fold_norm_affine")
def fold_norm_affine(model: nn.Module) -> int:
    folded = 0
    for block in model.modules():
        if isinstance(block, EfficientBlock):
            attn = block.attn
            consumers = list(attn.qkvs) + [m for m in (getattr(attn, "global_q", None),
                                                       getattr(attn, "global_kv", None)) if m is not None]
            folded += _fold_norm(block.norm1, consumers)
            folded += _fold_norm(block.norm2, [block.mlp.fc1])
    if hasattr(model, "norm") and isinstance(getattr(model, "head", None), nn.Linear):
        folded += _fold_norm(model.norm, [model.head])
    return folded
