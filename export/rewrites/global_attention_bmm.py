"""global_attention_bmm: the global (pooled keys/values) branch as two 3-D `bmm`s on
(batch*heads, dim, tokens) views, with nothing broadcast and no rank-5 tensor:

    attn = softmax(q^T k)    (B*m, hw, HW)
    out  = v attn^T          (B*m, d, hw)  -> view (B, m*d, h, w), no output transpose

4-D `@` decomposed into expand + view + bmm (`expand_copy` x48 outside XNNPACK); k and v are
channel slices (one `split`) of the kv conv instead of a rank-5 view + permute + unbind; the 1/sqrt(d) scale
is folded into the q conv. Transposes sit on the matmul inputs, where Core ML folds them into
matmul's transpose flags."""
from __future__ import annotations

import torch
import torch.nn as nn

from ...models.layers import EfficientAttention
from .base import override, rewrite


def _low_fre_attention(self, x: torch.Tensor, to_q: nn.Module, to_kv: nn.Module,
                       avgpool: nn.Module) -> torch.Tensor:
    b, _, h, w = x.shape
    d = self.dim_head
    q = to_q(x)
    heads = q.shape[1] // d
    kv = to_kv(avgpool(x))
    tokens = kv.shape[2] * kv.shape[3]
    q = q.view(b * heads, d, h * w)
    k, v = (t.reshape(b * heads, d, tokens) for t in kv.split(heads * d, dim=1))
    attn = torch.bmm(q.transpose(1, 2), k).softmax(dim=-1)
    return torch.bmm(v, attn.transpose(1, 2)).view(b, heads * d, h, w)


def replace_global_attention(model: nn.Module, method) -> int:
    """Every global branch not yet rewritten computed by `method`, its 1/sqrt(d) scale folded into the q conv
    (once: a second global-attention pass leaves a rewritten branch alone)."""
    rewritten = 0
    for attn in model.modules():
        if isinstance(attn, EfficientAttention) and hasattr(attn, "global_q") and "low_fre_attention" not in vars(attn):
            with torch.no_grad():
                attn.global_q.weight.mul_(attn.scalor)
                if attn.global_q.bias is not None:
                    attn.global_q.bias.mul_(attn.scalor)
            override(attn, "low_fre_attention", method)
            rewritten += 1
    return rewritten


@rewrite("global_attention_bmm", removes=("expand", "squeeze", "reshape (rank 5", "transpose (rank 5"))
def global_attention_bmm(model: nn.Module) -> int:
    return replace_global_attention(model, _low_fre_attention)
