"""RegNetY-400MF (Radosavovic et al., CVPR 2020, arXiv:2003.13678).

As benchncnn's `regnety_400m.param` and torchvision's regnet_y_400mf (4,344,144 parameters):
widths 48/104/208/440, depths 1/3/6/6, group width 8, bottleneck ratio 1, SE with round(C_in/4)
channels, ReLU; a 1x1 stride-s projection shortcut on each stage's first block.
"""
from __future__ import annotations

import torch
from torch import nn

from ._common import ConvBNAct, SqueezeExcite


class YBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, group_width: int, se_ratio: float):
        super().__init__()
        self.proj = ConvBNAct(cin, cout, 1, stride, act=None) if stride != 1 or cin != cout else None
        self.f = nn.Sequential(
            ConvBNAct(cin, cout, 1),
            ConvBNAct(cout, cout, 3, stride, groups=cout // group_width),
            SqueezeExcite(cout, round(se_ratio * cin)),
            ConvBNAct(cout, cout, 1, act=None),
        )
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.proj(x) if self.proj is not None else x
        return self.relu(shortcut + self.f(x))


class RegNetY(nn.Module):
    def __init__(self, num_classes: int = 1000, widths: tuple[int, ...] = (48, 104, 208, 440),
                 depths: tuple[int, ...] = (1, 3, 6, 6), group_width: int = 8, se_ratio: float = 0.25, stem: int = 32):
        super().__init__()
        layers: list[nn.Module] = [ConvBNAct(3, stem, 3, 2)]
        cin = stem
        for width, depth in zip(widths, depths):
            for i in range(depth):
                layers.append(YBlock(cin, width, 2 if i == 0 else 1, group_width, se_ratio))
                cin = width
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def regnety_400m(num_classes: int = 1000) -> RegNetY:
    """RegNetY-400MF."""
    return RegNetY(num_classes)
