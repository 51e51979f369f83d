"""separate_qkv: the local branch's q, k and v each made by their own 1x1 conv and depthwise
conv (the matching thirds of the mixed qkv conv's and of its depthwise mixer's channels) instead
of one conv pair and a channel split. Exact: the mixer acts per channel. For int8 graphs whose
delegate does not take the split's slices once quantized (XXS: 36 `slice_copy` left outside, 13
delegated subgraphs)."""
from __future__ import annotations

import torch
import torch.nn as nn

from ...models.layers import EfficientAttention
from .base import override, rewrite
from .local_qkv_slices import fold_attention_scale


@torch.no_grad()
def _third(conv: nn.Conv2d, i: int) -> nn.Conv2d:
    out = conv.out_channels // 3
    depthwise = conv.groups > 1
    part = nn.Conv2d(conv.in_channels // 3 if depthwise else conv.in_channels, out, conv.kernel_size, conv.stride,
                     conv.padding, groups=conv.groups // 3 if depthwise else 1, bias=conv.bias is not None)
    part.weight.copy_(conv.weight[i * out:(i + 1) * out])
    if conv.bias is not None:
        part.bias.copy_(conv.bias[i * out:(i + 1) * out])
    return part


class Thirds(nn.Module):
    """A conv as three convs over the thirds of its output channels; applied to one tensor
    (1x1 qkv conv) or to three (the depthwise mixer, third by third)."""

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        self.parts = nn.ModuleList(_third(conv, i) for i in range(3))

    def forward(self, x):
        inputs = x if isinstance(x, tuple) else (x, x, x)
        return tuple(part(t) for part, t in zip(self.parts, inputs))


def _high_fre_attention(self, x: torch.Tensor, to_qkv: nn.Module, mixer: nn.Module,
                        attn_block: nn.Module) -> torch.Tensor:
    q, k, v = mixer(to_qkv(x))
    return torch.tanh(attn_block(q * k)) * v  # scale inside attn_block's last conv


@rewrite("separate_qkv", removes=("aten_slice_copy",))
def separate_qkv(model: nn.Module) -> int:
    rewritten = 0
    for attn in model.modules():
        if isinstance(attn, EfficientAttention) and len(attn.qkvs):
            fold_attention_scale(attn)
            attn.qkvs = nn.ModuleList(Thirds(conv) for conv in attn.qkvs)
            attn.convs = nn.ModuleList(Thirds(conv) for conv in attn.convs)
            override(attn, "high_fre_attntion", _high_fre_attention)
            rewritten += 1
    return rewritten
