"""Small building blocks shared by the reference families (plain torch.nn, ops that convert well)."""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

Act = Callable[[], nn.Module]


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of `divisor`, never below 90 % of `value` (TF/torchvision rule)."""
    min_value = min_value or divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


class ConvBNAct(nn.Sequential):
    """Conv2d (no bias) + BatchNorm2d + optional activation; converters fold the BN into the conv's bias."""

    def __init__(self, cin: int, cout: int, kernel: int = 1, stride: int = 1, groups: int = 1,
                 act: Act | None = nn.ReLU, padding: int | None = None):
        padding = (kernel - 1) // 2 if padding is None else padding
        layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=False),
                                   nn.BatchNorm2d(cout)]
        if act is not None:
            layers.append(act())
        super().__init__(*layers)


class ConvAct(nn.Sequential):
    """Conv2d with bias + activation, the caffe-era layer (no BatchNorm)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, padding: int = 0, groups: int = 1,
                 act: Act | None = nn.ReLU):
        layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups)]
        if act is not None:
            layers.append(act())
        super().__init__(*layers)


class SqueezeExcite(nn.Module):
    """Squeeze-and-Excitation (Hu et al. 2018): global average pool, 1x1 reduce, act, 1x1 expand, gate, scale.

    The two 1x1 convolutions act on a 1x1 map; converters lower them to fully connected
    (InnerProduct) layers, as in benchncnn's files.
    """

    def __init__(self, channels: int, reduced: int, act: Act = nn.ReLU, gate: Act = nn.Sigmoid):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, reduced, 1)
        self.act = act()
        self.expand = nn.Conv2d(reduced, channels, 1)
        self.gate = gate()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(self.expand(self.act(self.reduce(self.pool(x)))))


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """ShuffleNet's channel shuffle as reshape / transpose / reshape; converters turn it into one ShuffleChannel layer."""
    n, c, h, w = x.shape
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class Classifier(nn.Sequential):
    """Global average pool, flatten, (dropout,) linear: the usual head."""

    def __init__(self, cin: int, num_classes: int, dropout: float = 0.0):
        layers: list[nn.Module] = [nn.AdaptiveAvgPool2d(1), nn.Flatten(1)]
        if dropout:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(cin, num_classes))
        super().__init__(*layers)


class PoolHead(nn.Module):
    """pool -> flatten -> classifier as one module: a network's last segment. Built on demand around
    the network's own modules (not registered on it: its parameter names stay the published ones)."""

    def __init__(self, pool: nn.Module, classifier: nn.Module) -> None:
        super().__init__()
        self.pool, self.classifier = pool, classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(x), 1))


def feature_segments(features: nn.Sequential, pool: nn.Module, classifier: nn.Module) -> list[tuple[str, nn.Module]]:
    """A `features -> pool -> classifier` network as a chain of named modules (image -> logits): each
    feature layer by its module path, then `head`; where cloformer-diagnose compares a backend."""
    return [*((f"features.{i}", layer) for i, layer in enumerate(features)), ("head", PoolHead(pool, classifier))]
