"""split_depthwise: a stride-1 depthwise conv with a kernel above 5x5 (the 7x7 and 9x9 AttnMap
mixers) becomes a sum of 5x5 depthwise convs over shifted windows of one padded input: CPU
libraries with fast 3x3/5x5 depthwise micro-kernels and a slow generic path for larger windows run
the pieces faster (the targets that list this pass record what it measured on them). The kernel is
zero-extended to a multiple of 5,
so the pieces are all 5x5 (the extra taps multiply zeros: the sum is unchanged)."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import replace_modules, rewrite

PIECE = 5


class SplitDepthwiseConv(nn.Module):
    def __init__(self, conv: nn.Conv2d, piece: int = PIECE) -> None:
        super().__init__()
        k = conv.kernel_size[0]
        self.piece, self.pad = piece, conv.padding[0]
        self.pieces = -(-k // piece)
        self.extra = self.pieces * piece - k
        weight = F.pad(conv.weight.detach(), (0, self.extra, 0, self.extra))  # zero taps bottom/right
        # One constant per piece: a conv whose weight is sliced at run time is not a constant
        # to the delegate, and XNNPACK then leaves it out.
        self.weights = nn.ParameterList(
            nn.Parameter(weight[:, :, i * piece:(i + 1) * piece, j * piece:(j + 1) * piece].contiguous(),
                         requires_grad=False)
            for i in range(self.pieces) for j in range(self.pieces))
        self.bias = conv.bias
        self.groups = conv.groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, _, h, w = x.shape
        xp = F.pad(x, (self.pad, self.pad + self.extra, self.pad, self.pad + self.extra))
        p = self.piece
        out = None
        for i in range(self.pieces):
            for j in range(self.pieces):
                window = xp[:, :, i * p:i * p + h + p - 1, j * p:j * p + w + p - 1]
                part = F.conv2d(window, self.weights[i * self.pieces + j], groups=self.groups)
                out = part if out is None else out + part
        return out if self.bias is None else out + self.bias.view(1, -1, 1, 1)


def _splittable(conv: nn.Module) -> bool:
    return (isinstance(conv, nn.Conv2d) and conv.groups == conv.in_channels == conv.out_channels
            and conv.kernel_size[0] == conv.kernel_size[1] > PIECE and conv.stride == (1, 1)
            and conv.padding == (conv.kernel_size[0] // 2,) * 2 and conv.dilation == (1, 1))


@rewrite("split_depthwise")
def split_depthwise(model: nn.Module) -> int:
    return replace_modules(model, _splittable, SplitDepthwiseConv)
