"""GoogLeNet / Inception v1 (Szegedy et al., CVPR 2015, arXiv:1409.4842), the caffe "bvlc_googlenet"
deploy network of benchncnn's `googlenet.param`.

Differences from torchvision's googlenet, all following the paper and the .param: no BatchNorm
(convs with bias), LRN (5, 1e-4, 0.75) after the first max pool and after conv2, true 5x5
convolutions in the third branch (torchvision uses 3x3), max pools with caffe's ceil rounding, no
auxiliary classifiers (deploy). The final pool is global (the caffe file's 7x7 average: identical at
224x224).
"""
from __future__ import annotations

import torch
from torch import nn

from ._common import ConvAct

# (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj) per inception module, the paper's Table 1
INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64), "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64), "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


class Inception(nn.Module):
    def __init__(self, cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, pp: int):
        super().__init__()
        self.b1 = ConvAct(cin, c1, 1)
        self.b3 = nn.Sequential(ConvAct(cin, c3r, 1), ConvAct(c3r, c3, 3, padding=1))
        self.b5 = nn.Sequential(ConvAct(cin, c5r, 1), ConvAct(c5r, c5, 5, padding=2))
        self.bp = nn.Sequential(nn.MaxPool2d(3, 1, 1, ceil_mode=True), ConvAct(cin, pp, 1))
        self.out_channels = c1 + c3 + c5 + pp

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], 1)


class GoogLeNet(nn.Module):
    def __init__(self, num_classes: int = 1000, dropout: float = 0.4):
        super().__init__()

        def pool() -> nn.Module:
            return nn.MaxPool2d(3, 2, ceil_mode=True)

        def lrn() -> nn.Module:
            return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)

        layers: list[nn.Module] = [ConvAct(3, 64, 7, stride=2, padding=3), pool(), lrn(),
                                   ConvAct(64, 64, 1), ConvAct(64, 192, 3, padding=1), lrn(), pool()]
        cin = 192
        for name, cfg in INCEPTION.items():
            block = Inception(cin, *cfg)
            layers.append(block)
            cin = block.out_channels
            if name in ("3b", "4e"):
                layers.append(pool())
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(cin, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def googlenet(num_classes: int = 1000) -> GoogLeNet:
    """Caffe GoogLeNet (Inception v1, deploy)."""
    return GoogLeNet(num_classes)
