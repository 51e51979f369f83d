"""Fashion-MNIST from Debian's `dataset-fashion-mnist` (no download): 60k training and 10k test
28x28 grey images of 10 clothing classes, read from its IDX files; written out as an ImageFolder
(one folder per class) for `cloformer-eval`.

    python -m cloformer.models.fashion_mnist --split test --output data/fashion-mnist-test
"""
from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
from pathlib import Path

import numpy as np

DATA_DIR = Path(os.environ.get("CLOFORMER_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
LABELS = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
_FILES = {"train": "train-{}-idx{}-ubyte.gz", "test": "t10k-{}-idx{}-ubyte.gz"}


def folder_name(label: str) -> str:
    """A class's folder: its label, with the path separator replaced ("T-shirt/top" -> "T-shirt-top")."""
    return label.replace("/", "-")


def _idx(path: Path) -> np.ndarray:
    """An IDX file (unsigned bytes): magic 0x0000 08 NDIM, NDIM big-endian sizes, then the data."""
    data = gzip.decompress(path.read_bytes())
    ndim = data[3]
    if data[:3] != b"\0\0\x08" or ndim not in (1, 3):
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    shape = tuple(int(n) for n in np.frombuffer(data, ">u4", ndim, 4))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load(split: str, data_dir: Path = DATA_DIR) -> tuple[np.ndarray, np.ndarray]:
    """(images N x 28 x 28 uint8, labels N uint8) of the `train` or `test` split."""
    pattern = _FILES[split]
    images, labels = data_dir / pattern.format("images", 3), data_dir / pattern.format("labels", 1)
    for path in (images, labels):
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: install Debian's dataset-fashion-mnist "
                                    "(apt-get install dataset-fashion-mnist) or set CLOFORMER_FASHION_MNIST")
    return _idx(images), _idx(labels)


def write_imagefolder(split: str, output: Path, limit: int | None = None, data_dir: Path = DATA_DIR) -> int:
    """Write the split as `output/<class>/<index>.png`, the first `limit` images (all by default),
    into a temp folder renamed at the end; return how many were written."""
    from PIL import Image

    if output.exists():
        raise FileExistsError(f"{output} exists; pass a new folder")
    images, labels = load(split, data_dir)
    images, labels = images[:limit], labels[:limit]
    tmp = output.with_name(f".{output.name}.tmp{os.getpid()}")
    try:
        for label in LABELS:
            (tmp / folder_name(label)).mkdir(parents=True)
        for i, (image, label) in enumerate(zip(images, labels)):
            Image.fromarray(image).save(tmp / folder_name(LABELS[label]) / f"{i:05d}.png")
        tmp.rename(output)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return len(images)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a Fashion-MNIST split as an ImageFolder.")
    parser.add_argument("--split", choices=tuple(_FILES), default="test")
    parser.add_argument("--output", type=Path, required=True, help="a new folder")
    parser.add_argument("--limit", type=int, help="only the first N images")
    args = parser.parse_args(argv)
    try:
        written = write_imagefolder(args.split, args.output, args.limit)
    except (FileNotFoundError, FileExistsError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{written} {args.split} images in {len(LABELS)} class folders -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
