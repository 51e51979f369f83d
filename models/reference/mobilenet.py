"""MobileNet v1, v2 and v3-Large.

- `mobilenet`: MobileNet v1 1.0 (Howard et al., arXiv:1704.04861), as benchncnn's `mobilenet.param`
  (caffe, BN folded): 13 depthwise-separable blocks, ReLU, global average pool, FC.
- `mobilenet_v2`: MobileNetV2 1.0 (Sandler et al., arXiv:1801.04381), as benchncnn's `mobilenet_v2.param`
  (the caffe port). Two differences from the paper / torchvision, both following the .param: the
  activation is ReLU, not ReLU6, and the first bottleneck (t=1) keeps its 1x1 expansion conv (32->32).
  `MobileNetV2(act=nn.ReLU6, expand_first_block=False)` is the paper's network (3,504,872 parameters).
- `mobilenet_v3`: MobileNetV3-Large 1.0 (Howard et al., ICCV 2019, arXiv:1905.02244), the paper's
  final network (`mobilenet_v3_large`), since it also serves as a peer for comparisons. benchncnn's
  `mobilenet_v3.param` is a different variant, `mobilenet_v3_large_benchmark` (identical conv
  sequence to that file); `mobilenet_v3_large` says how they differ (about 12 % fewer MACs).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ._common import Act, ConvBNAct, SqueezeExcite, feature_segments, make_divisible


class MobileNetV1(nn.Module):
    # (output channels, stride) of the 13 depthwise-separable blocks
    BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
              (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        layers: list[nn.Module] = [ConvBNAct(3, 32, 3, 2)]
        cin = 32
        for cout, stride in self.BLOCKS:
            layers += [ConvBNAct(cin, cin, 3, stride, groups=cin), ConvBNAct(cin, cout, 1)]
            cin = cout
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


class InvertedResidualV2(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand_ratio: int, act: Act, force_expand: bool = False):
        super().__init__()
        hidden = cin * expand_ratio
        layers: list[nn.Module] = []
        if expand_ratio != 1 or force_expand:
            layers.append(ConvBNAct(cin, hidden, 1, act=act))
        layers += [ConvBNAct(hidden, hidden, 3, stride, groups=hidden, act=act), ConvBNAct(hidden, cout, 1, act=None)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    # (expansion t, output channels c, repeats n, first stride s), the paper's Table 2
    SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))

    def __init__(self, num_classes: int = 1000, act: Act = nn.ReLU, expand_first_block: bool = True,
                 dropout: float = 0.2):
        super().__init__()
        layers: list[nn.Module] = [ConvBNAct(3, 32, 3, 2, act=act)]
        cin = 32
        for i, (t, c, n, s) in enumerate(self.SETTINGS):
            for j in range(n):
                layers.append(InvertedResidualV2(cin, c, s if j == 0 else 1, t, act, force_expand=expand_first_block and i == 0))
                cin = c
        layers.append(ConvBNAct(cin, 1280, 1, act=act))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(1280, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


@dataclass(frozen=True)
class BneckV3:
    """One MobileNetV3 bottleneck row: kernel, expansion size, output channels, SE, h-swish, stride."""
    kernel: int
    expand: int
    out: int
    se: bool
    hswish: bool
    stride: int


def _rows(*rows: tuple) -> tuple[BneckV3, ...]:
    return tuple(BneckV3(k, e, o, se == "SE", nl == "HS", s) for k, e, o, se, nl, s in rows)


# The paper's Table 1 (MobileNetV3-Large), final version (ICCV 2019, arXiv:1905.02244v5); torchvision's.
LARGE_PAPER = _rows(
    (3, 16, 16, "-", "RE", 1), (3, 64, 24, "-", "RE", 2), (3, 72, 24, "-", "RE", 1),
    (5, 72, 40, "SE", "RE", 2), (5, 120, 40, "SE", "RE", 1), (5, 120, 40, "SE", "RE", 1),
    (3, 240, 80, "-", "HS", 2), (3, 200, 80, "-", "HS", 1), (3, 184, 80, "-", "HS", 1), (3, 184, 80, "-", "HS", 1),
    (3, 480, 112, "SE", "HS", 1), (3, 672, 112, "SE", "HS", 1),
    (5, 672, 160, "SE", "HS", 2), (5, 960, 160, "SE", "HS", 1), (5, 960, 160, "SE", "HS", 1),
)
# Table 1 as first published (arXiv:1905.02244v1) and as in benchncnn's mobilenet_v3.param: the
# 160-channel stage starts with a stride-1 672 block and downsamples in its second block (672, not 960).
LARGE_ARXIV_V1 = LARGE_PAPER[:12] + _rows(
    (5, 672, 160, "SE", "HS", 1), (5, 672, 160, "SE", "HS", 2), (5, 960, 160, "SE", "HS", 1),
)


class InvertedResidualV3(nn.Module):
    """MobileNetV3 bneck. `se_before_act` puts SE between the depthwise BN and its activation, as
    benchncnn's .param (from a PyTorch port) does; the paper applies it after the activation."""

    def __init__(self, cin: int, row: BneckV3, se_reduced: int, se_before_act: bool):
        super().__init__()
        act = nn.Hardswish if row.hswish else nn.ReLU
        layers: list[nn.Module] = []
        if row.expand != cin:
            layers.append(ConvBNAct(cin, row.expand, 1, act=act))
        se = SqueezeExcite(row.expand, se_reduced, gate=nn.Hardsigmoid) if row.se else None
        if se is not None and se_before_act:
            layers += [ConvBNAct(row.expand, row.expand, row.kernel, row.stride, groups=row.expand, act=None), se, act()]
        else:
            layers.append(ConvBNAct(row.expand, row.expand, row.kernel, row.stride, groups=row.expand, act=act))
            if se is not None:
                layers.append(se)
        layers.append(ConvBNAct(row.expand, row.out, 1, act=None))
        self.block = nn.Sequential(*layers)
        self.residual = row.stride == 1 and cin == row.out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x) if self.residual else self.block(x)


class MobileNetV3(nn.Module):
    def __init__(self, rows: tuple[BneckV3, ...] = LARGE_PAPER, num_classes: int = 1000, last_channels: int = 1280,
                 se_divisor: int = 8, se_before_act: bool = False, hswish_after_pool: bool = False,
                 dropout: float = 0.2):
        super().__init__()
        layers: list[nn.Module] = [ConvBNAct(3, 16, 3, 2, act=nn.Hardswish)]
        cin = 16
        for row in rows:
            layers.append(InvertedResidualV3(cin, row, make_divisible(row.expand / 4, se_divisor), se_before_act))
            cin = row.out
        layers.append(ConvBNAct(cin, 6 * cin, 1, act=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Hardswish()) if hswish_after_pool else nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(6 * cin, last_channels), nn.Hardswish(), nn.Dropout(dropout),
                                        nn.Linear(last_channels, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))

    def segments(self) -> list[tuple[str, nn.Module]]:
        return feature_segments(self.features, self.pool, self.classifier)


def mobilenet(num_classes: int = 1000) -> MobileNetV1:
    """MobileNet v1 1.0 at 224, 4,231,976 parameters at 1000 classes."""
    return MobileNetV1(num_classes)


def mobilenet_v2(num_classes: int = 1000) -> MobileNetV2:
    """MobileNetV2 1.0 as benchncnn's .param: ReLU, and an expansion conv in the first block."""
    return MobileNetV2(num_classes)


def mobilenet_v2_paper(num_classes: int = 1000) -> MobileNetV2:
    """MobileNetV2 1.0 as the paper and torchvision: ReLU6, no expansion conv in the t=1 block."""
    return MobileNetV2(num_classes, act=nn.ReLU6, expand_first_block=False)


def mobilenet_v3_large(num_classes: int = 1000) -> MobileNetV3:
    """MobileNetV3-Large 1.0 as the final paper (and torchvision): 5,483,032 parameters at 1000 classes.

    benchncnn's mobilenet_v3.param differs (see `mobilenet_v3_large_benchmark`): arXiv v1's last stage
    (672 s1, 672 s2, 960 instead of 672 s2, 960, 960), SE reductions of exactly C/4 rather than rounded
    to 8, SE between the depthwise BN and its activation, and a stray h-swish after the global pool.
    """
    return MobileNetV3(LARGE_PAPER, num_classes)


def mobilenet_v3_large_benchmark(num_classes: int = 1000) -> MobileNetV3:
    """MobileNetV3-Large with the topology of benchncnn's mobilenet_v3.param (a PyTorch port of
    the first arXiv version): same layer kinds, widths, kernels and strides as that file."""
    return MobileNetV3(LARGE_ARXIV_V1, num_classes, se_divisor=1, se_before_act=True, hswish_after_pool=True)
