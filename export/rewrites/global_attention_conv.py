"""global_attention_conv: the global (pooled keys/values) branch without reshaping the full-size
query or output. Per head, q^T k is a 1x1 convolution of that head's q channels (d, h, w) whose
weights are its keys (tokens, d, 1, 1); the softmax runs over channels; attn v^T is a 1x1
convolution whose weights are its values (d, tokens, 1, 1); the heads' outputs are concatenated on
channels. Only the pooled keys and values (tokens = hw / window², 49 at 224²) are reshaped; the
1/sqrt(d) scale is folded into the q conv.

For runtimes whose reshape of a channel-packed tensor re-lays it element by element: there, XXS's 48
reshapes of q and of the output were 58 % of the instructions counted on a Cortex-A76 (the measurement
is beside the pass list of the target that takes it)."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import rewrite
from .global_attention_bmm import replace_global_attention


def _low_fre_attention(self, x: torch.Tensor, to_q: nn.Module, to_kv: nn.Module,
                       avgpool: nn.Module) -> torch.Tensor:
    d = self.dim_head
    q = to_q(x)
    heads = q.shape[1] // d
    kv = to_kv(avgpool(x))
    tokens = kv.shape[2] * kv.shape[3]
    k, v = kv.split(heads * d, dim=1)
    images = []
    for i in range(x.shape[0]):  # the keys and values are weights: one image at a time
        one = (lambda t: t) if x.shape[0] == 1 else (lambda t: t[i:i + 1])  # no slice of the batch axis at batch 1 (some converters take none)
        qi, ki, vi = one(q), one(k), one(v)
        outs = []
        for j in range(heads):
            c = slice(j * d, (j + 1) * d)
            keys = ki[:, c].reshape(d, tokens).t().reshape(tokens, d, 1, 1)
            attn = F.conv2d(qi[:, c], keys).softmax(dim=1)  # (1, tokens, h, w)
            outs.append(F.conv2d(attn, vi[:, c].reshape(d, tokens, 1, 1)))  # (1, d, h, w)
        images.append(torch.cat(outs, dim=1))
    return torch.cat(images, dim=0)


@rewrite("global_attention_conv", removes=("reshape (rank 5", "transpose (rank 5"))
def global_attention_conv(model: nn.Module) -> int:
    return replace_global_attention(model, _low_fre_attention)
