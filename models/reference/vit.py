"""Vision Transformer ViT-B/32 (Dosovitskiy et al., ICLR 2021, arXiv:2010.11929) at 384x384.

As benchncnn's `vision_transformer.param` (an mmcls/mmdeploy export): 32x32/32 patch conv to
768 channels, 144 patches + a class token = 145 tokens with learned position embeddings, 12
pre-norm blocks (LayerNorm eps 1e-6, 12-head self-attention as torch's nn.MultiheadAttention, which
converts to one MultiHeadAttention layer, MLP 3072 with tanh-approximated GELU), a final LayerNorm
and a linear head on the class token. 88,297,192 parameters at 1000 classes and 384x384, as timm's
vit_base_patch32_384 (the position table is sized for the input: (size/32)^2 + 1 rows). No dropout.
Converted, it gives the same layers as the .param except: self-attention takes one input blob (the .param
splits it three ways), and the head is Squeeze + InnerProduct (the .param's Gemm on the cropped token).
"""
from __future__ import annotations

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: int = 4, eps: float = 1e-6):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * mlp_ratio), nn.GELU(approximate="tanh"),
                                 nn.Linear(dim * mlp_ratio, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class VisionTransformer(nn.Module):
    def __init__(self, num_classes: int = 1000, image_size: int = 384, patch: int = 32, dim: int = 768,
                 depth: int = 12, heads: int = 12):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, (image_size // patch) ** 2 + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1) + self.pos_embed
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


def vision_transformer(num_classes: int = 1000, image_size: int = 384) -> VisionTransformer:
    """ViT-B/32 at 384x384 (pass image_size to size the position table for another input)."""
    return VisionTransformer(num_classes, image_size)
