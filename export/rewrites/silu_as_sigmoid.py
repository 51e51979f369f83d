"""silu_as_sigmoid: SiLU (the AttnMap's Swish, EfficientNet's activation) as x * sigmoid(x), its
definition. A CPU delegate's partitioner that takes no fp16 SiLU takes fp16 sigmoid and mul (the
targets that list this pass record where)."""
from __future__ import annotations

import torch
import torch.nn as nn

from .base import replace_modules, rewrite


class SigmoidMul(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


@rewrite("silu_as_sigmoid", removes=("silu",))
def silu_as_sigmoid(model: nn.Module) -> int:
    return replace_modules(model, lambda m: isinstance(m, nn.SiLU), lambda m: SigmoidMul())
