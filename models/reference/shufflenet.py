"""ShuffleNet v1 and v2.

- `shufflenet`: ShuffleNet v1 1x, g=3 (Zhang et al., arXiv:1707.01083), as benchncnn's
  `shufflenet.param` (caffe): stage widths 240/480/960, repeats 4/8/4; the first unit's first 1x1 is
  not grouped (and has no shuffle); a stride-2 unit concatenates a 3x3/2 average pool of its input
  with a branch of width out-in (bottleneck (out-in)/4); pools use caffe's ceil rounding, no padding.
- `shufflenet_v2`: ShuffleNet V2 1.0x (Ma et al., arXiv:1807.11164), as benchncnn's `shufflenet_v2.param`
  and torchvision's shufflenet_v2_x1_0 (2,278,604 parameters); the stem max pool uses ceil rounding
  without padding (same 56x56 output as torchvision's padding 1).

The channel shuffle is reshape/transpose/reshape, which converters lower to one ShuffleChannel layer.
"""
from __future__ import annotations

import torch
from torch import nn

from ._common import ConvBNAct, channel_shuffle


class ShuffleUnitV1(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, groups: int, first_groups: int):
        super().__init__()
        branch = cout - cin if stride == 2 else cout
        mid = branch // 4
        self.first_groups = first_groups
        self.compress = ConvBNAct(cin, mid, 1, groups=first_groups)
        self.depthwise = ConvBNAct(mid, mid, 3, stride, groups=mid, act=None)
        self.expand = ConvBNAct(mid, branch, 1, groups=groups, act=None)
        self.shortcut = nn.AvgPool2d(3, 2, ceil_mode=True, count_include_pad=False) if stride == 2 else None
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.compress(x)
        if self.first_groups > 1:
            y = channel_shuffle(y, self.first_groups)
        y = self.expand(self.depthwise(y))
        y = torch.cat([self.shortcut(x), y], 1) if self.shortcut is not None else x + y
        return self.relu(y)


class ShuffleNetV1(nn.Module):
    def __init__(self, num_classes: int = 1000, groups: int = 3, widths: tuple[int, ...] = (240, 480, 960),
                 repeats: tuple[int, ...] = (4, 8, 4)):
        super().__init__()
        self.stem = nn.Sequential(ConvBNAct(3, 24, 3, 2), nn.MaxPool2d(3, 2, ceil_mode=True))
        units: list[nn.Module] = []
        cin = 24
        for stage, (width, n) in enumerate(zip(widths, repeats)):
            for i in range(n):
                first_groups = 1 if stage == 0 and i == 0 else groups
                units.append(ShuffleUnitV1(cin, width, 2 if i == 0 else 1, groups, first_groups))
                cin = width
        self.stages = nn.Sequential(*units)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.stages(self.stem(x))), 1))


class ShuffleUnitV2(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        half = cout // 2
        if stride == 2:
            self.branch1 = nn.Sequential(ConvBNAct(cin, cin, 3, 2, groups=cin, act=None), ConvBNAct(cin, half, 1))
            b2_in = cin
        else:
            self.branch1 = None
            b2_in = half
        self.branch2 = nn.Sequential(ConvBNAct(b2_in, half, 1), ConvBNAct(half, half, 3, stride, groups=half, act=None),
                                     ConvBNAct(half, half, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.branch1 is None:
            a, b = x.chunk(2, dim=1)
            out = torch.cat([a, self.branch2(b)], 1)
        else:
            out = torch.cat([self.branch1(x), self.branch2(x)], 1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    def __init__(self, num_classes: int = 1000, widths: tuple[int, ...] = (116, 232, 464),
                 repeats: tuple[int, ...] = (4, 8, 4), last_channels: int = 1024):
        super().__init__()
        self.stem = nn.Sequential(ConvBNAct(3, 24, 3, 2), nn.MaxPool2d(3, 2, ceil_mode=True))
        units: list[nn.Module] = []
        cin = 24
        for width, n in zip(widths, repeats):
            for i in range(n):
                units.append(ShuffleUnitV2(cin, width, 2 if i == 0 else 1))
                cin = width
        self.stages = nn.Sequential(*units)
        self.conv5 = ConvBNAct(cin, last_channels, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(last_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.conv5(self.stages(self.stem(x)))), 1))


def shufflenet(num_classes: int = 1000) -> ShuffleNetV1:
    """ShuffleNet v1 1x, g=3."""
    return ShuffleNetV1(num_classes)


def shufflenet_v2(num_classes: int = 1000) -> ShuffleNetV2:
    """ShuffleNet V2 1.0x."""
    return ShuffleNetV2(num_classes)
