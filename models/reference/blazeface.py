"""BlazeFace backbone (Bazarevsky et al., arXiv:1907.05047), front-camera model, 128x128 input.

benchncnn's `blazeface.param` is the feature extractor only (a PyTorch port of MediaPipe's
model, convs with bias, no BatchNorm): a 5x5/2 conv after an asymmetric (1, 2, 1, 2) zero pad, eleven
single BlazeBlocks to 88 channels at 16x16, then five to 96 at 8x8. It has no detection heads (no
classifier/regressor convs, no anchors), so neither has this: the output is that last feature map,
(N, 96, H/16, W/16), one tensor. A stride-2 block zero-pads its input by (0, 2, 0, 2) before a valid
3x3/2 depthwise conv and max-pools the shortcut; a wider block zero-pads the shortcut's channels.
`num_classes` is accepted for a uniform builder signature and ignored.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class BlazeBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.stride = stride
        self.channel_pad = cout - cin
        self.pool = nn.MaxPool2d(2, 2) if stride == 2 else None
        self.convs = nn.Sequential(nn.Conv2d(cin, cin, 3, stride, 0 if stride == 2 else 1, groups=cin),
                                   nn.Conv2d(cin, cout, 1))
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pool is not None:
            h = F.pad(x, (0, 2, 0, 2))
            x = self.pool(x)
        else:
            h = x
        if self.channel_pad > 0:
            x = F.pad(x, (0, 0, 0, 0, 0, self.channel_pad))
        return self.act(self.convs(h) + x)


class BlazeFace(nn.Module):
    # (output channels, stride) of the BlazeBlocks
    BLOCKS = ((24, 1), (28, 1), (32, 2), (36, 1), (42, 1), (48, 2), (56, 1), (64, 1), (72, 1), (80, 1), (88, 1),
              (96, 2), (96, 1), (96, 1), (96, 1), (96, 1))

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 24, 5, 2), nn.ReLU())
        blocks: list[nn.Module] = []
        cin = 24
        for cout, stride in self.BLOCKS:
            blocks.append(BlazeBlock(cin, cout, stride))
            cin = cout
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.stem(F.pad(x, (1, 2, 1, 2))))


def blazeface(num_classes: int = 1000) -> BlazeFace:
    """BlazeFace front backbone; returns the (N, 96, H/16, W/16) feature map (num_classes unused)."""
    del num_classes
    return BlazeFace()
