"""Parity inputs: one real photo and one seeded random tensor, and the one preprocessing
that the manifest documents for the apps (resize, center crop, ImageNet mean/std, NCHW)."""
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
    """HWC uint8 RGB -> (1, 3, height, width) float32, as `preprocessing()` describes."""
    x = torch.from_numpy(np.ascontiguousarray(image[..., :3])).permute(2, 0, 1)[None].float() / 255
    scale = max(height / CROP_FRACTION / x.shape[2], width / CROP_FRACTION / x.shape[3])
    size = (max(height, round(x.shape[2] * scale)), max(width, round(x.shape[3] * scale)))
    x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
    top, left = (size[0] - height) // 2, (size[1] - width) // 2
    x = x[:, :, top:top + height, left:left + width]
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous()


def real_image(height: int, width: int, batch: int = 1) -> torch.Tensor:
    """scikit-image's astronaut photo (shipped in the wheel: no download), preprocessed."""
    from skimage import data

    return preprocess(data.astronaut(), height, width).expand(batch, -1, -1, -1).contiguous()


def random_input(height: int, width: int, batch: int = 1, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, 3, height, width, generator=torch.Generator().manual_seed(seed))


def parity_inputs(height: int, width: int, batch: int = 1) -> dict[str, torch.Tensor]:
    return {"astronaut": real_image(height, width, batch), "random": random_input(height, width, batch)}
