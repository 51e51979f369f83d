"""CloFormer building blocks, faithful to the official code (qhfan/CloFormer,
`classification/models/blocks.py` and `patch_embedding.py`).

Module and parameter names match the official ones exactly, so an official
`state_dict` loads with `strict=True`. Two substitutions keep the topology and the
numbers while dropping third-party dependencies:
- `efficientnet_pytorch.MemoryEfficientSwish` -> `nn.SiLU` (same function, no params);
- `nn.SyncBatchNorm` -> `nn.BatchNorm2d` (same state_dict keys; identical in eval mode).
"""
from __future__ import annotations

import torch
import torch.nn as nn


class DropPath(nn.Module):
    """Stochastic depth per sample (identity in eval mode), as timm's DropPath."""

    def __init__(self, drop_prob: float = 0.0) -> None:
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.drop_prob == 0.0 or not self.training:
            return x
        keep = 1.0 - self.drop_prob
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask.div_(keep)


class ConvBNReLU(nn.Module):
    """Official `BasicBlock` of the stem: conv -> BN -> ReLU under the name `conv`."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class PatchEmbedding(nn.Module):
    """Conv stem: 4x downsampling, then a GroupNorm(1, C) ("layernorm" in the official code)."""

    def __init__(self, in_channels: int = 3, out_channels: int = 96) -> None:
        super().__init__()
        self.conv1 = ConvBNReLU(in_channels, out_channels // 2, 3, 2)
        self.conv2 = ConvBNReLU(out_channels // 2, out_channels, 3, 2)
        self.conv3 = ConvBNReLU(out_channels, out_channels, 3, 1)
        self.conv4 = ConvBNReLU(out_channels, out_channels, 3, 1)
        self.conv5 = nn.Conv2d(out_channels, out_channels, 1, 1, 0)
        self.layernorm = nn.GroupNorm(1, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv4(self.conv3(self.conv2(self.conv1(x))))
        return self.layernorm(self.conv5(x))


class AttnMap(nn.Module):
    """The local branch's context-aware weights: 1x1 conv -> Swish -> 1x1 conv."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.act_block = nn.Sequential(nn.Conv2d(dim, dim, 1, 1, 0), nn.SiLU(), nn.Conv2d(dim, dim, 1, 1, 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act_block(x)


class EfficientAttention(nn.Module):
    """Heads split into local groups (depthwise-conv "AttnMap" gating, high frequency)
    and one global group (attention to average-pooled keys/values, low frequency)."""

    def __init__(self, dim: int, num_heads: int, group_split: list[int], kernel_sizes: list[int],
                 window_size: int = 7, attn_drop: float = 0.0, proj_drop: float = 0.0,
                 qkv_bias: bool = True) -> None:
        super().__init__()
        assert sum(group_split) == num_heads
        assert len(kernel_sizes) + 1 == len(group_split)
        self.dim = dim
        self.num_heads = num_heads
        self.dim_head = dim // num_heads
        self.scalor = self.dim_head ** -0.5  # official spelling, kept for state/attr parity
        self.kernel_sizes = kernel_sizes
        self.window_size = window_size
        self.group_split = group_split
        convs, act_blocks, qkvs = [], [], []
        for kernel_size, group_head in zip(kernel_sizes, group_split):
            if group_head == 0:
                continue
            channels = self.dim_head * group_head
            convs.append(nn.Conv2d(3 * channels, 3 * channels, kernel_size, 1, kernel_size // 2, groups=3 * channels))
            act_blocks.append(AttnMap(channels))
            qkvs.append(nn.Conv2d(dim, 3 * channels, 1, 1, 0, bias=qkv_bias))
        if group_split[-1] != 0:
            global_channels = group_split[-1] * self.dim_head
            self.global_q = nn.Conv2d(dim, global_channels, 1, 1, 0, bias=qkv_bias)
            self.global_kv = nn.Conv2d(dim, 2 * global_channels, 1, 1, 0, bias=qkv_bias)
            self.avgpool = nn.AvgPool2d(window_size, window_size) if window_size != 1 else nn.Identity()
        self.convs = nn.ModuleList(convs)
        self.act_blocks = nn.ModuleList(act_blocks)
        self.qkvs = nn.ModuleList(qkvs)
        self.proj = nn.Conv2d(dim, dim, 1, 1, 0, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj_drop = nn.Dropout(proj_drop)

    def high_fre_attntion(self, x: torch.Tensor, to_qkv: nn.Module, mixer: nn.Module,
                          attn_block: nn.Module) -> torch.Tensor:
        b, _, h, w = x.size()
        qkv = mixer(to_qkv(x)).reshape(b, 3, -1, h, w).transpose(0, 1).contiguous()  # (3, b, m*d, h, w)
        q, k, v = qkv
        attn = attn_block(q.mul(k)).mul(self.scalor)
        attn = self.attn_drop(torch.tanh(attn))
        return attn.mul(v)

    def low_fre_attention(self, x: torch.Tensor, to_q: nn.Module, to_kv: nn.Module,
                          avgpool: nn.Module) -> torch.Tensor:
        b, _, h, w = x.size()
        q = to_q(x).reshape(b, -1, self.dim_head, h * w).transpose(-1, -2).contiguous()  # (b, m, hw, d)
        kv = to_kv(avgpool(x))
        kv = kv.view(b, 2, -1, self.dim_head, (h * w) // (self.window_size ** 2)).permute(1, 0, 2, 4, 3).contiguous()
        k, v = kv  # (b, m, HW, d) each
        attn = self.scalor * q @ k.transpose(-1, -2)
        attn = self.attn_drop(attn.softmax(dim=-1))
        res = attn @ v  # (b, m, hw, d)
        return res.transpose(2, 3).reshape(b, -1, h, w).contiguous()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        res = [self.high_fre_attntion(x, to_qkv, mixer, block)
               for to_qkv, mixer, block in zip(self.qkvs, self.convs, self.act_blocks)]
        if self.group_split[-1] != 0:
            res.append(self.low_fre_attention(x, self.global_q, self.global_kv, self.avgpool))
        return self.proj_drop(self.proj(torch.cat(res, dim=1)))


class ConvFFN(nn.Module):
    """1x1 conv -> GELU -> depthwise conv (carries the stride) -> 1x1 conv."""

    def __init__(self, in_channels: int, hidden_channels: int, kernel_size: int, stride: int,
                 out_channels: int, drop_out: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(in_channels, hidden_channels, 1, 1, 0)
        self.act = nn.GELU()
        self.dwconv = nn.Conv2d(hidden_channels, hidden_channels, kernel_size, stride, kernel_size // 2,
                                groups=hidden_channels)
        self.fc2 = nn.Conv2d(hidden_channels, out_channels, 1, 1, 0)
        self.drop = nn.Dropout(drop_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.dwconv(self.act(self.fc1(x))))
        return self.drop(self.fc2(x))


class EfficientBlock(nn.Module):
    """Pre-norm attention + ConvFFN; the last block of a stage downsamples (stride 2)."""

    def __init__(self, dim: int, out_dim: int, num_heads: int, group_split: list[int], kernel_sizes: list[int],
                 window_size: int, mlp_kernel_size: int, mlp_ratio: int, stride: int, attn_drop: float = 0.0,
                 mlp_drop: float = 0.0, qkv_bias: bool = True, drop_path: float = 0.0) -> None:
        super().__init__()
        self.dim = dim
        self.mlp_ratio = mlp_ratio
        self.stride = stride
        self.norm1 = nn.GroupNorm(1, dim)
        self.attn = EfficientAttention(dim, num_heads, group_split, kernel_sizes, window_size,
                                       attn_drop, mlp_drop, qkv_bias)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.GroupNorm(1, dim)
        if stride == 1:
            self.downsample = nn.Identity()
        else:
            self.downsample = nn.Sequential(
                nn.Conv2d(dim, dim, mlp_kernel_size, 2, mlp_kernel_size // 2),
                nn.BatchNorm2d(dim),
                nn.Conv2d(dim, out_dim, 1, 1, 0),
            )
        self.mlp = ConvFFN(dim, int(dim * mlp_ratio), mlp_kernel_size, stride, out_dim, drop_out=mlp_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return self.downsample(x) + self.drop_path(self.mlp(self.norm2(x)))


class CloLayer(nn.Module):
    """One stage: `depth` blocks, the last one optionally downsampling to `out_dim`."""

    def __init__(self, depth: int, dim: int, out_dim: int, num_heads: int, group_split: list[int],
                 kernel_sizes: list[int], window_size: int, mlp_kernel_size: int, mlp_ratio: int,
                 attn_drop: float = 0.0, mlp_drop: float = 0.0, qkv_bias: bool = True,
                 drop_paths: list[float] | None = None, downsample: bool = True) -> None:
        super().__init__()
        drop_paths = drop_paths or [0.0] * depth
        self.dim = dim
        self.depth = depth
        common = (num_heads, group_split, kernel_sizes, window_size, mlp_kernel_size, mlp_ratio)
        self.blocks = nn.ModuleList(
            [EfficientBlock(dim, dim, *common, 1, attn_drop, mlp_drop, qkv_bias, drop_paths[i])
             for i in range(depth - 1)]
            + [EfficientBlock(dim, out_dim, *common, 2 if downsample else 1, attn_drop, mlp_drop, qkv_bias,
                              drop_paths[-1])]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return x
