"""gelu_as_sigmoid: GELU in its tanh form, written as x * sigmoid(c1 * x + c3 * x^3) (since
0.5 * (1 + tanh(z)) == sigmoid(2z)), for a CPU delegate's partitioner that refuses fp16 GELU but
takes fp16 sigmoid, mul and add (the targets that list this pass record where). Not exact: the
tanh form differs from the erf form by at most ~3e-4 (a tenth of fp16's spacing near 1), so it is
listed only where a target computes in fp16, and its equivalence is tested at APPROXIMATE's bound.
The constants are buffers so that `half()` makes them fp16 (a Python float would stay fp32 and
split the delegate)."""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from .base import replace_modules, rewrite

C1 = 2 * math.sqrt(2 / math.pi)
C3 = C1 * 0.044715


class SigmoidGelu(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("c1", torch.tensor(C1), persistent=False)
        self.register_buffer("c3", torch.tensor(C3), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x * self.c1 + x * x * x * self.c3)


@rewrite("gelu_as_sigmoid", removes=("gelu",), approximate=5e-4)
def gelu_as_sigmoid(model: nn.Module) -> int:
    return replace_modules(model, lambda m: isinstance(m, nn.GELU) and m.approximate == "none",
                           lambda m: SigmoidGelu())
