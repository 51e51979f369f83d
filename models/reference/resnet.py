"""ResNet-18 and ResNet-50 (He et al., CVPR 2016, arXiv:1512.03385), as benchncnn's files (caffe).

Both follow the caffe models behind `resnet18.param` / `resnet50.param`, which differ from
torchvision in ways that matter for cost but not (ResNet-50) for parameters:
- the stem max pool uses caffe's ceil rounding without padding (same 56x56 as torchvision's pad 1);
- ResNet-50 is the original v1: a downsampling block strides in its first 1x1 conv, not in the 3x3
  (torchvision's "v1.5"); same 25,557,032 parameters, fewer MACs;
- ResNet-18's first block of stage 1 has a 1x1 projection shortcut although its shape does not
  change (`res2a_branch1`), 4,096 + 128 parameters more than torchvision's 11,689,512.
`ResNet(..., stride_in_1x1=False, project_first_stage=False)` gives torchvision's networks.
The final pool is global (the caffe files use a 7x7 average pool: identical at 224x224).
"""
from __future__ import annotations

import torch
from torch import nn

from ._common import ConvBNAct


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, width: int, stride: int, project: bool, stride_in_1x1: bool = False):
        super().__init__()
        cout = width * self.expansion
        self.f = nn.Sequential(ConvBNAct(cin, width, 3, stride), ConvBNAct(width, cout, 3, act=None))
        self.proj = ConvBNAct(cin, cout, 1, stride, act=None) if project else None
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu((self.proj(x) if self.proj is not None else x) + self.f(x))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, width: int, stride: int, project: bool, stride_in_1x1: bool = True):
        super().__init__()
        cout = width * self.expansion
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.f = nn.Sequential(ConvBNAct(cin, width, 1, s1), ConvBNAct(width, width, 3, s3),
                               ConvBNAct(width, cout, 1, act=None))
        self.proj = ConvBNAct(cin, cout, 1, stride, act=None) if project else None
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu((self.proj(x) if self.proj is not None else x) + self.f(x))


class ResNet(nn.Module):
    def __init__(self, block: type[BasicBlock | Bottleneck], depths: tuple[int, ...], num_classes: int = 1000,
                 stride_in_1x1: bool = True, project_first_stage: bool = True):
        super().__init__()
        self.stem = nn.Sequential(ConvBNAct(3, 64, 7, 2), nn.MaxPool2d(3, 2, ceil_mode=True))
        layers: list[nn.Module] = []
        cin = 64
        for stage, (width, depth) in enumerate(zip((64, 128, 256, 512), depths)):
            for i in range(depth):
                stride = 2 if stage > 0 and i == 0 else 1
                cout = width * block.expansion
                project = i == 0 and (stride != 1 or cin != cout or project_first_stage)
                layers.append(block(cin, width, stride, project, stride_in_1x1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


def resnet18(num_classes: int = 1000) -> ResNet:
    """ResNet-18 as benchncnn's resnet18.param (caffe): 11,693,736 parameters at 1000 classes."""
    return ResNet(BasicBlock, (2, 2, 2, 2), num_classes, project_first_stage=True)


def resnet50(num_classes: int = 1000) -> ResNet:
    """ResNet-50 v1 as benchncnn's resnet50.param (caffe, stride in the 1x1): 25,557,032 parameters."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes, stride_in_1x1=True)
