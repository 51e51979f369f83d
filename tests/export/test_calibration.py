import numpy as np
import pytest
from skimage import io

from cloformer.export import calibration
from cloformer.export.errors import UsageError


def test_default_set_is_real_photos_in_four_views():
    images, source = calibration.images(None, 64, 96)
    assert images.shape == (36, 3, 64, 96) and source["images"] == 36
    assert source["names"][:4] == ["astronaut#0", "astronaut#1", "astronaut#2", "astronaut#3"]
    assert len({tuple(x.flatten()[:50].tolist()) for x in images}) == 36, "no two views alike"


def test_directory_reads_every_kind_of_image_and_skips_the_rest(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(4):
        io.imsave(tmp_path / f"rgb{i}.png", rng.integers(0, 255, (40, 50, 3), dtype=np.uint8))
        io.imsave(tmp_path / f"grey{i}.jpg", rng.integers(0, 255, (40, 50), dtype=np.uint8))
    io.imsave(tmp_path / "rgba.png", rng.integers(0, 255, (40, 50, 4), dtype=np.uint8))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    (tmp_path / "notes.txt").write_text("ignored")
    images, source = calibration.images(tmp_path, 32, 32)
    assert images.shape == (9, 3, 32, 32) and source == {
        "source": str(tmp_path), "images": 9, "names": sorted(p.name for p in tmp_path.glob("*.*g")
                                                             if p.name != "broken.png")}


def test_too_few_readable_images_is_a_usage_error(tmp_path):
    io.imsave(tmp_path / "one.png", np.zeros((8, 8, 3), dtype=np.uint8))
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    with pytest.raises(UsageError, match=r"has 1 readable image\(s\) .*; at least 8 are needed"):
        calibration.images(tmp_path, 32, 32)
