"""local_qkv_slices: the local (AttnMap) branch takes q, k, v as three channel slices of the
mixed qkv tensor (one `split`, an op every target's graph has natively or lowers to slices)
instead of a rank-5 reshape + transpose + unbind (which left `squeeze_copy` x60 outside a CPU
delegate and rank-5 tensors in an accelerator's program); the attention scale is folded into the
AttnMap's last conv, so the branch is conv -> split -> mul -> convs -> tanh -> mul."""
from __future__ import annotations

import torch
import torch.nn as nn

from ...models.layers import EfficientAttention
from .base import override, rewrite


def _high_fre_attention(self, x: torch.Tensor, to_qkv: nn.Module, mixer: nn.Module,
                        attn_block: nn.Module) -> torch.Tensor:
    qkv = mixer(to_qkv(x))  # channels: [q | k | v], each (m*d)
    q, k, v = qkv.split(qkv.shape[1] // 3, dim=1)
    return torch.tanh(attn_block(q * k)) * v  # scale already inside attn_block's last conv


@torch.no_grad()
def fold_attention_scale(attn: EfficientAttention) -> None:
    """The local branch's attention scale into each AttnMap's last conv, once per module."""
    if getattr(attn, "scale_folded", False):
        return
    for attn_map in attn.act_blocks:
        last = attn_map.act_block[-1]
        last.weight.mul_(attn.scalor)
        last.bias.mul_(attn.scalor)
    attn.scale_folded = True


@rewrite("local_qkv_slices", removes=("squeeze", "unbind", "reshape (rank 5", "split (rank 5", "transpose (rank 5"))
def local_qkv_slices(model: nn.Module) -> int:
    rewritten = 0
    for attn in model.modules():
        if isinstance(attn, EfficientAttention) and len(attn.qkvs):
            fold_attention_scale(attn)
            override(attn, "high_fre_attntion", _high_fre_attention)
            rewritten += 1
    return rewritten
