"""The CloFormer family (Fan et al., arXiv 2303.17803), as in qhfan/CloFormer
`classification/models/CloFormer.py` and `model_factory.py`."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

from .layers import CloLayer, PatchEmbedding

# Stem (4x) then three stride-2 stages: H and W must be multiples of this, which also
# makes every stage's map divisible by its pooling window (8, 4, 2, 1).
INPUT_MULTIPLE = 32


@dataclass(frozen=True)
class CloFormerConfig:
    """Hyper-parameters of one variant, named as in the official configs."""

    embed_dims: tuple[int, ...]
    depths: tuple[int, ...]
    num_heads: tuple[int, ...]
    group_splits: tuple[tuple[int, ...], ...]
    kernel_sizes: tuple[tuple[int, ...], ...] = ((3,), (5,), (7,), (9,))
    window_sizes: tuple[int, ...] = (8, 4, 2, 1)
    mlp_kernel_sizes: tuple[int, ...] = (5, 5, 5, 5)
    mlp_ratios: tuple[int, ...] = (4, 4, 4, 4)
    in_chans: int = 3
    qkv_bias: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


class CloFormer(nn.Module):
    def __init__(self, config: CloFormerConfig, num_classes: int = 1000, attn_drop: float = 0.0,
                 mlp_drop: float = 0.0, drop_path_rate: float = 0.0) -> None:
        super().__init__()
        c = config
        self.config = config
        self.num_classes = num_classes
        self.num_layers = len(c.depths)
        self.mlp_ratios = list(c.mlp_ratios)
        self.patch_embed = PatchEmbedding(c.in_chans, c.embed_dims[0])
        blocks = sum(c.depths)  # stochastic depth grows linearly over blocks (torch.linspace)
        dpr = [drop_path_rate * i / max(blocks - 1, 1) for i in range(blocks)]
        self.layers = nn.ModuleList()
        for i in range(self.num_layers):
            last = i == self.num_layers - 1
            start = sum(c.depths[:i])
            self.layers.append(CloLayer(
                c.depths[i], c.embed_dims[i], c.embed_dims[i] if last else c.embed_dims[i + 1], c.num_heads[i],
                list(c.group_splits[i]), list(c.kernel_sizes[i]), c.window_sizes[i], c.mlp_kernel_sizes[i],
                c.mlp_ratios[i], attn_drop, mlp_drop, c.qkv_bias, dpr[start:start + c.depths[i]],
                downsample=not last,
            ))
        self.norm = nn.GroupNorm(1, c.embed_dims[-1])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(c.embed_dims[-1], num_classes) if num_classes > 0 else nn.Identity()

    def forward_feature(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        for layer in self.layers:
            x = layer(x)
        return self.avgpool(self.norm(x)).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_feature(x))

    def segments(self) -> list[tuple[str, nn.Module]]:
        """The forward pass as a chain of named modules (image -> ... -> logits): the stem, each
        block by its module path, then `head` (norm, pool, linear). Block boundaries are the
        places every deploy form agrees with the eager model, so a backend is compared there."""
        blocks = [(f"layers.{i}.blocks.{j}", block) for i, layer in enumerate(self.layers)
                  for j, block in enumerate(layer.blocks)]
        return [("patch_embed", self.patch_embed), *blocks, ("head", ClassifierHead(self))]


class ClassifierHead(nn.Module):
    """The model's last segment as one module. Built on demand and holding the model's own
    `norm`, `avgpool` and `head` (not registered on it: parameter names stay the official ones)."""

    def __init__(self, model: CloFormer) -> None:
        super().__init__()
        self.norm, self.avgpool, self.head = model.norm, model.avgpool, model.head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.avgpool(self.norm(x)).flatten(1))


CONFIGS: dict[str, CloFormerConfig] = {
    "cloformer_xxs": CloFormerConfig(
        embed_dims=(32, 64, 128, 256), depths=(2, 2, 6, 2), num_heads=(4, 4, 8, 16),
        group_splits=((3, 1), (2, 2), (4, 4), (4, 12))),
    "cloformer_xs": CloFormerConfig(
        embed_dims=(48, 96, 160, 352), depths=(2, 2, 6, 2), num_heads=(3, 6, 10, 22),
        group_splits=((2, 1), (3, 3), (5, 5), (7, 15))),
    "cloformer_s": CloFormerConfig(
        embed_dims=(64, 128, 224, 448), depths=(2, 2, 6, 2), num_heads=(4, 8, 14, 28),
        group_splits=((3, 1), (4, 4), (7, 7), (7, 21))),
}
