"""Fashion-MNIST's IDX files read, and written out as an ImageFolder."""
import gzip

import numpy as np
import pytest

from cloformer.models import fashion_mnist
from cloformer.models.fashion_mnist import load


def idx_split(folder, prefix, images, labels):
    """Write IDX files as the data set ships them (gzip, big-endian sizes)."""
    folder.mkdir(exist_ok=True)
    head = b"\0\0\x08\x03" + np.array(images.shape, ">u4").tobytes()
    (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(head + images.tobytes()))
    head = b"\0\0\x08\x01" + np.array(labels.shape, ">u4").tobytes()
    (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(head + labels.tobytes()))


def test_the_real_test_split(fashion_mnist):
    images, labels = load("test", fashion_mnist)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [1000] * 10


def test_written_as_an_imagefolder_one_folder_per_label(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    labels = np.arange(12, dtype=np.uint8) % 10
    idx_split(tmp_path / "src", "t10k", images, labels)
    out = tmp_path / "out"
    assert fashion_mnist.write_imagefolder("test", out, limit=11, data_dir=tmp_path / "src") == 11
    assert sorted(p.name for p in out.iterdir()) == sorted(fashion_mnist.folder_name(x) for x in fashion_mnist.LABELS)
    from PIL import Image

    assert np.array_equal(np.asarray(Image.open(out / "T-shirt-top" / "00010.png")), images[10])
    assert len(list(out.glob("*/*.png"))) == 11 and not list(tmp_path.glob(".out*"))
    with pytest.raises(FileExistsError, match="exists; pass a new folder"):
        fashion_mnist.write_imagefolder("test", out, data_dir=tmp_path / "src")
    with pytest.raises(FileNotFoundError, match="install Debian's dataset-fashion-mnist"):
        fashion_mnist.load("train", tmp_path / "src")
    (tmp_path / "src" / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\0\0\x09\x01"))
    with pytest.raises(ValueError, match="is not an IDX file of unsigned bytes"):
        fashion_mnist.load("test", tmp_path / "src")
