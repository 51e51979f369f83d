"""The one preprocessing of the model's input (resize, center crop, ImageNet mean/std, NCHW):
training feeds it, the export manifest documents it for the apps, evaluation reuses it."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CROP_FRACTION = 0.875  # the usual 224/256 evaluation crop


def preprocessing(height: int, width: int) -> dict:
    """How to feed the model, as written to the manifest."""
    return {
        "size": [height, width],
        "resize": f"bilinear (antialiased) so the image covers {height}/{CROP_FRACTION}x{width}/{CROP_FRACTION}",
        "crop": "center",
        "crop_fraction": CROP_FRACTION,
        "scale": 1 / 255,
        "mean": list(IMAGENET_MEAN),
        "std": list(IMAGENET_STD),
        "layout": "NCHW",
        "color": "RGB",
        "dtype": "float32",
    }


def preprocess(image: np.ndarray, height: int, width: int) -> torch.Tensor:
    """HWC (or NHWC, images of one size) uint8 RGB -> (N, 3, height, width) float32, as
    `preprocessing()` describes; grey images (HW, NHW or one channel) are repeated to RGB."""
    image = np.asarray(image)
    if image.ndim == 2 or (image.ndim == 3 and image.shape[-1] not in (1, 3, 4)):
        image = image[..., None]  # HW or NHW grey
    x = torch.from_numpy(np.array(image[..., :3]))  # a copy: the input may be read-only
    x = (x[None] if x.ndim == 3 else x).permute(0, 3, 1, 2).float() / 255
    x = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x
    scale = max(height / CROP_FRACTION / x.shape[2], width / CROP_FRACTION / x.shape[3])
    size = (max(height, round(x.shape[2] * scale)), max(width, round(x.shape[3] * scale)))
    x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
    top, left = (size[0] - height) // 2, (size[1] - width) // 2
    x = x[:, :, top:top + height, left:left + width]
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous()
