"""Real images for int8 calibration and for measuring reduced-precision fidelity.

By default: the colour photos shipped inside installed packages (no download), each in four
views (whole, mirrored, left and right two-thirds), 36 images. Or every readable image in
`--calibration-dir`. Either way through the one preprocessing the manifest documents
(`inputs.preprocess`: resize, center crop, ImageNet mean/std), as parity and the apps use it.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from .errors import UsageError
from .inputs import preprocess

MIN_IMAGES = 8
SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def _packaged() -> list[tuple[str, np.ndarray]]:
    """Natural and scientific colour photos from scikit-image and matplotlib's sample data."""
    from matplotlib import cbook
    from skimage import data, io

    photos = [(name, getattr(data, name)()) for name in (
        "astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "retina", "immunohistochemistry")]
    photos.append(("stereo_motorcycle", data.stereo_motorcycle()[0]))
    photos.append(("grace_hopper", io.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))))
    return photos


def _views(image: np.ndarray) -> list[np.ndarray]:
    third = image.shape[1] // 3
    return [image, image[:, ::-1], image[:, :image.shape[1] - third], image[:, third:]]


def _rgb(image: np.ndarray) -> np.ndarray:
    """HWC uint8 RGB from whatever a file holds (grey, grey + alpha, RGBA, 16-bit)."""
    if image.dtype == np.uint16:  # 16-bit PNG/TIFF: the full range, 65535 -> 255
        image = np.round(image.astype(np.float64) / 257).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = (image.astype(np.float64) / max(float(image.max()), 1.0) * 255).astype(np.uint8)
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[2] in (1, 2):
        image = np.repeat(image[..., :1], 3, axis=2)
    return image[..., :3]


def _read_dir(directory: Path) -> list[tuple[str, np.ndarray]]:
    from skimage import io

    if not directory.is_dir():
        raise UsageError(f"--calibration-dir {directory} is not a directory; pass a directory of images")
    images = []
    for path in sorted(p for p in directory.rglob("*") if p.suffix.lower() in SUFFIXES):
        try:
            images.append((path.name, _rgb(io.imread(path))))
        except (OSError, ValueError, SyntaxError):  # unreadable or not an image: skipped, counted
            continue
    return images


@lru_cache(maxsize=4)
def images(directory: Path | None, height: int, width: int) -> tuple[torch.Tensor, dict]:
    """(N, 3, height, width) preprocessed images, and how they were chosen (for the manifest)."""
    if directory is None:
        named = [(f"{name}#{i}", view) for name, photo in _packaged() for i, view in enumerate(_views(photo))]
        source = "photos shipped in scikit-image and matplotlib (9 photos x 4 views)"
    else:
        named = _read_dir(Path(directory))
        source = str(directory)
        if len(named) < MIN_IMAGES:
            raise UsageError(f"--calibration-dir {directory} has {len(named)} readable image(s) "
                             f"({', '.join(SUFFIXES)}); at least {MIN_IMAGES} are needed")
        distinct = len({hashlib.sha256(image.tobytes() + str(image.shape).encode()).digest() for _, image in named})
        if distinct < MIN_IMAGES:  # copies of one image calibrate int8 ranges that fit that image only
            raise UsageError(f"--calibration-dir {directory} has {len(named)} images but only {distinct} different "
                             f"one(s); at least {MIN_IMAGES} different images are needed")
    batch = torch.cat([preprocess(np.ascontiguousarray(image), height, width) for _, image in named])
    return batch, {"source": source, "images": len(named), "names": [name for name, _ in named]}
