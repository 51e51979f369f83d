"""SqueezeNet v1.1 (Iandola et al., arXiv:1602.07360; v1.1 from the DeepScale/SqueezeNet repository).

Follows benchncnn's `squeezenet.param` (the caffe v1.1 deploy model) at 227x227: conv1 3x3/2
with 64 filters and no padding, max pools with caffe's ceil rounding, eight Fire modules, conv10
1x1 with padding 1 (as in the caffe prototxt), ReLU and a global average pool. No BatchNorm.
The benchmark ends in a Softmax; this returns logits.
"""
from __future__ import annotations

import torch
from torch import nn

from ._common import ConvAct


class Fire(nn.Module):
    def __init__(self, cin: int, squeeze: int, expand: int):
        super().__init__()
        self.squeeze = ConvAct(cin, squeeze, 1)
        self.expand1x1 = ConvAct(squeeze, expand, 1)
        self.expand3x3 = ConvAct(squeeze, expand, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.squeeze(x)
        return torch.cat([self.expand1x1(x), self.expand3x3(x)], 1)


class SqueezeNet(nn.Module):
    def __init__(self, num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()

        def pool() -> nn.Module:
            return nn.MaxPool2d(3, 2, ceil_mode=True)

        self.features = nn.Sequential(
            ConvAct(3, 64, 3, stride=2), pool(),
            Fire(64, 16, 64), Fire(128, 16, 64), pool(),
            Fire(128, 32, 128), Fire(256, 32, 128), pool(),
            Fire(256, 48, 192), Fire(384, 48, 192), Fire(384, 64, 256), Fire(512, 64, 256),
        )
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), ConvAct(512, num_classes, 1, padding=1), nn.AdaptiveAvgPool2d(1), nn.Flatten(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def squeezenet1_1(num_classes: int = 1000) -> SqueezeNet:
    """SqueezeNet v1.1, 1,235,496 parameters at 1000 classes (same as torchvision's squeezenet1_1)."""
    return SqueezeNet(num_classes)
