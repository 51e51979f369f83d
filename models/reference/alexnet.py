"""AlexNet (Krizhevsky et al., NIPS 2012), the caffe "bvlc_alexnet" of benchncnn's `alexnet.param`.

At 227x227: 96 11x11/4 filters, LRN (5, 1e-4, 0.75) after conv1 and conv2, 3x3/2 max pools (caffe
ceil rounding), and the original two-GPU grouping: conv2, conv4 and conv5 have groups=2 (grouped
ConvolutionDepthWise layers in the .param). 60,965,224 parameters at 1000 classes; torchvision's alexnet
(64/192/384/256/256 filters, no groups, no LRN, 61,100,840 parameters) is a different network.
The classifier flattens a 6x6x256 map; at other input sizes an adaptive average pool to 6x6 is
inserted first, skipped when the map is already 6x6 (so none in the 227x227 graph).
"""
from __future__ import annotations

import torch
from torch import nn

from ._common import ConvAct


class AlexNet(nn.Module):
    def __init__(self, num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()

        def pool() -> nn.Module:
            return nn.MaxPool2d(3, 2, ceil_mode=True)

        def lrn() -> nn.Module:
            return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)

        self.features = nn.Sequential(
            ConvAct(3, 96, 11, stride=4), lrn(), pool(),
            ConvAct(96, 256, 5, padding=2, groups=2), lrn(), pool(),
            ConvAct(256, 384, 3, padding=1),
            ConvAct(384, 384, 3, padding=1, groups=2),
            ConvAct(384, 256, 3, padding=1, groups=2), pool(),
        )
        self.pool = nn.AdaptiveAvgPool2d(6)
        self.classifier = nn.Sequential(
            nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        if x.shape[-2:] != (6, 6):  # resolved while tracing: no pool in the 227x227 graph
            x = self.pool(x)
        return self.classifier(torch.flatten(x, 1))


def alexnet(num_classes: int = 1000) -> AlexNet:
    """Caffe AlexNet (grouped convolutions, LRN)."""
    return AlexNet(num_classes)
