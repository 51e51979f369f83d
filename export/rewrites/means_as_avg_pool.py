"""means_as_avg_pool: the means of the norms (as groupnorm_as_mean wrote them) and the global
average pools (the head's, a peer's squeeze-excite) as `avg_pool2d` over the whole window.
XNNPACK has no fp16 mean: in an fp16 graph every norm fell out of the delegate, or kept its
neighbours in fp32, while fp16 average pools run in fp16 (the targets that list this pass record
what it measured on them). Exact: an average pool over the whole window is the mean. The norms'
eps becomes a tensor of the model's dtype, so that `+ eps` is one dtype for the partitioner (a
Python float stays fp32 after `half()`)."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import override, replace_modules, rewrite
from .groupnorm_as_mean import MeanLayerNorm


def _pooled_mean(self: MeanLayerNorm, t: torch.Tensor) -> torch.Tensor:
    b, c, h, w = t.shape
    return F.avg_pool2d(F.avg_pool2d(t, (h, w)).view(b, 1, c, 1), (c, 1))


class GlobalAvgPool(nn.Module):
    """AdaptiveAvgPool2d(1) as one average pool over the whole (static) window."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, x.shape[2:])


def _global_pool(m: nn.Module) -> bool:
    return isinstance(m, nn.AdaptiveAvgPool2d) and m.output_size in (1, (1, 1))


@rewrite("means_as_avg_pool", removes=("mean.dim", "mean_dim", "adaptive_avg_pool"))
def means_as_avg_pool(model: nn.Module) -> int:
    norms = [m for m in model.modules() if isinstance(m, MeanLayerNorm)]
    for norm in norms:
        override(norm, "mean", _pooled_mean)
        eps = norm.eps
        del norm.eps
        norm.register_buffer("eps", torch.tensor(eps), persistent=False)  # half() makes it fp16 too
    return len(norms) + replace_modules(model, _global_pool, lambda m: GlobalAvgPool())
