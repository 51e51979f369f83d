"""The MBConv family: EfficientNet-B0, MnasNet and ProxylessNAS (one block, one config table each).

- `efficientnet_b0`: EfficientNet-B0 (Tan & Le, ICML 2019, arXiv:1905.11946): SiLU, SE with C_in/4
  channels, 5,288,548 parameters at 1000 classes (torchvision's count). Same topology as benchncnn's
  `efficientnet_b0.param` (an exported PyTorch model with symmetric padding, like torchvision).
- `mnasnet`: MnasNet-B1 1.0, no SE (Tan et al., CVPR 2019, arXiv:1807.11626), ReLU, as benchncnn's
  `mnasnet.param` and torchvision's mnasnet1_0 (4,383,312 parameters).
- `proxylessnasnet`: ProxylessNAS-Mobile (Cai et al., ICLR 2019, arXiv:1812.00332) kernels and
  expansions as benchncnn's `proxylessnasnet.param`, which uses ReLU (the paper's code uses ReLU6) and
  whose first block outputs 32 channels (the paper's 16), so the next expansion is 48 = 1.5x;
  that first block has no residual, as in the paper's code.

A stage row is (repeats, kernel, stride, expansion, out channels, SE ratio, skip): timm's builder idea
without its string syntax. Expansion is a multiple of the block's input channels; SE is a ratio of
the block's input channels, as EfficientNet defines it.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from ._common import Act, ConvBNAct, SqueezeExcite, feature_segments


class Stage(NamedTuple):
    repeats: int
    kernel: int
    stride: int
    expand: float
    out: int
    se: float = 0.0
    skip: bool = True  # residual connection when the shapes allow it


class MBConv(nn.Module):
    """Inverted residual: [1x1 expand] -> kxk depthwise -> [SE] -> 1x1 project, residual when shapes match."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: float, se: float, act: Act,
                 skip: bool = True):
        super().__init__()
        hidden = int(cin * expand)
        layers: list[nn.Module] = []
        if hidden != cin:
            layers.append(ConvBNAct(cin, hidden, 1, act=act))
        layers.append(ConvBNAct(hidden, hidden, kernel, stride, groups=hidden, act=act))
        if se:
            layers.append(SqueezeExcite(hidden, max(1, int(cin * se)), act=act))
        layers.append(ConvBNAct(hidden, cout, 1, act=None))
        self.block = nn.Sequential(*layers)
        self.residual = skip and stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x) if self.residual else self.block(x)


class MBConvNet(nn.Module):
    def __init__(self, stages: tuple[Stage, ...], num_classes: int = 1000, stem: int = 32, head: int = 1280,
                 act: Act = nn.ReLU, dropout: float = 0.2):
        super().__init__()
        layers: list[nn.Module] = [ConvBNAct(3, stem, 3, 2, act=act)]
        cin = stem
        for st in stages:
            for i in range(st.repeats):
                layers.append(MBConv(cin, st.out, st.kernel, st.stride if i == 0 else 1, st.expand, st.se, act, st.skip))
                cin = st.out
        layers.append(ConvBNAct(cin, head, 1, act=act))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(head, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))

    def segments(self) -> list[tuple[str, nn.Module]]:
        return feature_segments(self.features, self.pool, self.classifier)


EFFICIENTNET_B0 = (
    Stage(1, 3, 1, 1, 16, 0.25), Stage(2, 3, 2, 6, 24, 0.25), Stage(2, 5, 2, 6, 40, 0.25), Stage(3, 3, 2, 6, 80, 0.25),
    Stage(3, 5, 1, 6, 112, 0.25), Stage(4, 5, 2, 6, 192, 0.25), Stage(1, 3, 1, 6, 320, 0.25),
)

MNASNET_B1 = (
    Stage(1, 3, 1, 1, 16), Stage(3, 3, 2, 3, 24), Stage(3, 5, 2, 3, 40), Stage(3, 5, 2, 6, 80),
    Stage(2, 3, 1, 6, 96), Stage(4, 5, 2, 6, 192), Stage(1, 3, 1, 6, 320),
)

# ProxylessNAS-Mobile's searched blocks (MB<expansion> <kernel>), one row each, widths of benchncnn's .param.
PROXYLESS_MOBILE = (
    Stage(1, 3, 1, 1, 32, skip=False),
    Stage(1, 5, 2, 1.5, 32), Stage(1, 3, 1, 3, 32),
    Stage(1, 7, 2, 3, 40), Stage(1, 3, 1, 3, 40), Stage(2, 5, 1, 3, 40),
    Stage(1, 7, 2, 6, 80), Stage(3, 5, 1, 3, 80),
    Stage(1, 5, 1, 6, 96), Stage(3, 5, 1, 3, 96),
    Stage(1, 7, 2, 6, 192), Stage(1, 7, 1, 6, 192), Stage(2, 7, 1, 3, 192),
    Stage(1, 7, 1, 6, 320),
)


def efficientnet_b0(num_classes: int = 1000) -> MBConvNet:
    """EfficientNet-B0 at 224."""
    return MBConvNet(EFFICIENTNET_B0, num_classes, act=nn.SiLU, dropout=0.2)


def mnasnet(num_classes: int = 1000) -> MBConvNet:
    """MnasNet-B1 1.0 (torchvision's mnasnet1_0)."""
    return MBConvNet(MNASNET_B1, num_classes, act=nn.ReLU, dropout=0.2)


def proxylessnasnet(num_classes: int = 1000) -> MBConvNet:
    """ProxylessNAS-Mobile as benchncnn's .param."""
    return MBConvNet(PROXYLESS_MOBILE, num_classes, act=nn.ReLU, dropout=0.1)
