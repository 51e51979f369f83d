"""groupnorm_as_mean: GroupNorm(1, C) (a LayerNorm over C, H, W) written with rank-4 means over
dims [2, 3] with keepdim, the only reduction XNNPACK delegates; `native_group_norm` has no
XNNPACK lowering and no Core ML ANE path (executorch #6817)."""
from __future__ import annotations

import torch
import torch.nn as nn

from . import replace_modules, rewrite


class MeanLayerNorm(nn.Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, statistics over (C, H, W)."""

    def __init__(self, norm: nn.GroupNorm) -> None:
        super().__init__()
        self.num_channels, self.eps = norm.num_channels, norm.eps
        self.weight = norm.weight
        self.bias = norm.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        flat = x.view(b, 1, c, h * w)  # (C, H*W) as the two reduced dims of a rank-4 tensor
        centered = flat - flat.mean(dim=(2, 3), keepdim=True)
        var = (centered * centered).mean(dim=(2, 3), keepdim=True)
        y = (centered * torch.rsqrt(var + self.eps)).view(b, c, h, w)
        if self.weight is not None:
            y = y * self.weight.view(1, c, 1, 1) + self.bias.view(1, c, 1, 1)
        return y


@rewrite("groupnorm_as_mean")
def groupnorm_as_mean(model: nn.Module) -> int:
    return replace_modules(model, lambda m: isinstance(m, nn.GroupNorm) and m.num_groups == 1, MeanLayerNorm)
