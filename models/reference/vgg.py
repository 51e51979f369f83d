"""VGG-16 (Simonyan & Zisserman, ICLR 2015, arXiv:1409.1556), configuration D, no BatchNorm.

As benchncnn's `vgg16.param` (caffe) and torchvision's vgg16: 138,357,544 parameters.
The classifier flattens a 7x7x512 map; at other input sizes an adaptive average pool to 7x7 is
inserted first (as torchvision always does); at 224x224 it is skipped, so the traced graph has no
extra layer.
"""
from __future__ import annotations

import torch
from torch import nn

CONFIG_D = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


class VGG(nn.Module):
    def __init__(self, config: tuple = CONFIG_D, num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for v in config:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU()]
                cin = v
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(7)
        self.classifier = nn.Sequential(
            nn.Linear(cin * 7 * 7, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        if x.shape[-2:] != (7, 7):  # resolved while tracing: no pool in the 224x224 graph
            x = self.pool(x)
        return self.classifier(torch.flatten(x, 1))


def vgg16(num_classes: int = 1000) -> VGG:
    """VGG-16 (configuration D)."""
    return VGG(CONFIG_D, num_classes)
