"""fold_batchnorm: Conv2d followed by BatchNorm2d (the stem, the stage downsamples) becomes one
conv with the BN's scale and shift folded into its weights (eval mode only)."""
from __future__ import annotations

import torch.nn as nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from .base import rewrite


@rewrite("fold_batchnorm", removes=("batch_norm", "BatchNormalization"))
def fold_batchnorm(model: nn.Module) -> int:
    folded = 0
    for seq in model.modules():
        if not isinstance(seq, nn.Sequential):
            continue
        for i in range(len(seq) - 1):
            conv, bn = seq[i], seq[i + 1]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                seq[i] = fuse_conv_bn_eval(conv, bn)
                seq[i + 1] = nn.Identity()  # keeps the Sequential's indices (and names) stable
                folded += 1
    return folded
