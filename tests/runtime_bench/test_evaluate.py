"""`cloformer-eval` on the trained XXS (models/weights) and Fashion-MNIST's real test split."""
import json
import os
import re
import shutil
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from cloformer.export.api import UsageError, preprocess
from cloformer.models import fashion_mnist as fashion_mnist_module
from cloformer.models.preprocess import IMAGENET_STD
from cloformer.runtime_bench.evaluate import class_folders, main, read_images, rgb8

LABELS = fashion_mnist_module.LABELS
FOLDERS = [fashion_mnist_module.folder_name(x) for x in LABELS]


@pytest.fixture(scope="module")
def test_images(fashion_mnist, tmp_path_factory):
    """The first 600 test images as an ImageFolder, folders named after the labels: sorted, they are
    not in class order, so a right score proves the folders were mapped by the manifest's labels."""
    folder = tmp_path_factory.mktemp("data") / "fashion-mnist-test"
    assert fashion_mnist_module.write_imagefolder("test", folder, limit=600, data_dir=fashion_mnist) == 600
    return folder


def test_accuracy_of_the_artifact_and_its_eager_model(fashion_export, test_images, tmp_path, capsys):
    assert sorted(p.name for p in test_images.iterdir()) != [fashion_mnist_module.folder_name(x) for x in fashion_mnist_module.LABELS]
    out_json = tmp_path / "eval.json"
    assert main([str(fashion_export[0]), "--data", str(test_images), "--json", str(out_json)]) == 0
    captured = capsys.readouterr()
    report = json.loads(out_json.read_text())
    eager, onnx = report["rows"]
    assert report["images"] == 600 and report["skipped"] == 0
    assert eager["artifact"] == "eager fp32 (cloformer_xxs 32x32)" and 0.85 < eager["top1"] < 0.95 and eager["top5"] > 0.98
    assert onnx["top1"] == eager["top1"] and onnx["agreement"] == 1.0 and onnx["delta_points"] == 0.0
    assert f"| {fashion_export[0].name} | fp32 | 15.83 | " in captured.out and "| 100.00% | +0.00 |" in captured.out
    assert "|####################| 600/600" in captured.err  # the progress bar


def test_limit_keeps_every_class_and_unreadable_files_are_counted(fashion_export, test_images, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(test_images, data)
    (data / "Bag" / "0-broken.png").write_bytes(b"\x89PNG not really")  # sorted first: read within --limit
    (data / "Coat" / "0-notes.txt").write_text("not an image")
    assert main([str(fashion_export[0]), "--data", str(data), "--limit", "20", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "skipped 2 unreadable file(s) (first: 0-broken.png: not an image file)\n"
    assert "20 images from" in captured.out and "(2 skipped)" in captured.out


def bad(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cloformer-eval: error: ")
    return err


def test_bad_input_is_one_line(fashion_export, small_onnx_export, test_images, tmp_path, capsys):
    artifact = str(fashion_export[0])
    empty = tmp_path / "empty"
    empty.mkdir()
    assert f"--data {empty} has no class folders" in bad([artifact, "--data", str(empty)], capsys)
    nine = tmp_path / "nine"
    for i in range(9):
        (nine / f"c{i}").mkdir(parents=True)
    unlabelled = str(small_onnx_export[0])  # no labels in its manifest: folders are classes in sorted order
    assert f"--data {nine} has 9 class folders but the model has 1000 classes" in bad([unlabelled, "--data", str(nine)],
                                                                                        capsys)
    assert (f"--data {nine}: folders 'c0', 'c1', 'c2' and 6 more are not class names and classes 'T-shirt-top', "
            "'Trouser', 'Pullover' and 7 more have no folder; rename each folder to its class name") in bad(
                [artifact, "--data", str(nine)], capsys)
    blank = tmp_path / "blank"
    for name in FOLDERS:
        (blank / name).mkdir(parents=True)
    (blank / "Bag" / "x.png").write_bytes(b"no")
    assert f"--data {blank} has no readable images in its 10 class folders" in bad([artifact, "--data", str(blank)],
                                                                                    capsys)
    lonely = tmp_path / "m.onnx"
    lonely.write_bytes(fashion_export[0].read_bytes())
    assert "has no manifest beside it" in bad([str(lonely), "--data", str(test_images)], capsys)
    assert "has other classes than" in bad([artifact, str(small_onnx_export[0]), "--data", str(test_images)], capsys)
    taken = tmp_path / "taken.json"
    taken.write_text("{}")
    assert "is not a directory" in bad([artifact, "--data", str(taken)], capsys)


def test_flags_are_checked_before_any_work(fashion_export, test_images, tmp_path, capsys):
    """argparse refuses these (the shared checks of export/arguments.py) before a manifest is read."""
    artifact, data = str(fashion_export[0]), str(test_images)
    assert "argument --limit: 0 is out of range; pass an integer at least 1 (see cloformer-eval --help)" in bad(
        [artifact, "--data", data, "--limit", "0"], capsys)
    assert "argument --limit: 'ten' is not an integer at least 1" in bad([artifact, "--data", data, "--limit", "ten"],
                                                                         capsys)
    taken = tmp_path / "taken.json"
    taken.write_text("{}")
    assert f"argument --json: {taken} already exists; choose another file" in bad(
        [artifact, "--data", data, "--json", str(taken)], capsys)
    assert taken.read_text() == "{}"
    nowhere = tmp_path / "nowhere" / "eval.json"
    assert (f"argument --json: the folder {nowhere.parent} does not exist; create it or choose another file "
            "(see cloformer-eval --help)") in bad([artifact, "--data", data, "--json", str(nowhere)], capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.json"]  # no temp file, no folder made
    not_utf8 = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9")  # Latin-1 bytes in a path
    assert "argument --data: b'" in bad([artifact, "--data", not_utf8], capsys)
    assert "is not UTF-8; the runtimes and converters take UTF-8 paths only" in bad([not_utf8, "--data", data], capsys)
    assert "argument --checkpoint:" in bad([artifact, "--data", data, "--checkpoint", not_utf8], capsys)


# ---- class folders: the manifest's labels, or sorted order without them --------------------------

def test_a_misspelled_class_folder_is_refused_not_guessed(fashion_export, tmp_path, capsys):
    data = tmp_path / "data"
    for name in reversed(FOLDERS):
        (data / name).mkdir(parents=True)
    assert sorted((i, f.name) for f, i in class_folders(data, 10, LABELS)) == list(enumerate(FOLDERS))
    (data / "Sandal").rename(data / "Sandl")
    assert bad([str(fashion_export[0]), "--data", str(data)], capsys) == (
        f"cloformer-eval: error: --data {data}: folder 'Sandl' is not a class name and class 'Sandal' has no folder; "
        "rename the folder 'Sandl' to 'Sandal' (the class names are the manifest's labels, \"/\" as \"-\")\n")
    (data / "Sandl").rename(data / "Sandal")
    (data / "Other").mkdir()
    with pytest.raises(UsageError, match="folder 'Other' is not a class name; rename it to a class name or move it "
                                         "out of the folder"):
        class_folders(data, 10, LABELS)
    (data / "Other").rmdir()
    (data / "Bag").rmdir()
    with pytest.raises(UsageError, match=re.escape(f"--data {data}: class 'Bag' has no folder; add a folder per class")):
        class_folders(data, 10, LABELS)
    with pytest.raises(UsageError, match="the manifest's labels name the class folder 'a-b' more than once"):
        class_folders(data, 2, ["a/b", "a-b"])


def test_without_labels_folders_are_classes_in_sorted_order(tmp_path):
    for name in ("zebra", "ant", "moth"):
        (tmp_path / name).mkdir()
    assert [(f.name, i) for f, i in class_folders(tmp_path, 3, None)] == [("ant", 0), ("moth", 1), ("zebra", 2)]


# ---- 16-bit images ---------------------------------------------------------------------------------

def png16(path, pixels):
    """A 16-bit PNG, written by hand (PIL writes 16-bit grey only): HW grey or HWC grey+alpha, RGB, RGBA."""
    pixels = np.asarray(pixels, dtype=">u2")
    color = {1: 0, 2: 4, 3: 2, 4: 6}[1 if pixels.ndim == 2 else pixels.shape[2]]
    height, width = pixels.shape[:2]

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    rows = b"".join(b"\0" + row.tobytes() for row in pixels)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, color, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def sixteen_bit(pixels, rng):
    """What a 16-bit version of 8-bit pixels may hold: each value x as 257 x, give or take half a step."""
    return np.clip(pixels.astype(np.int64) * 257 + rng.integers(-128, 129, pixels.shape), 0, 65535).astype(np.uint16)


def test_16_bit_pngs_read_as_their_8_bit_copies(tmp_path):
    rng = np.random.default_rng(0)
    eight, sixteen = tmp_path / "8", tmp_path / "16"
    eight.mkdir()
    sixteen.mkdir()
    for i in range(3):
        grey, rgba = rng.integers(0, 256, (32, 32), np.uint8), rng.integers(0, 256, (32, 32, 4), np.uint8)
        Image.fromarray(grey).save(eight / f"grey{i}.png")
        Image.fromarray(sixteen_bit(grey, rng)).save(sixteen / f"grey{i}.png")  # PIL: mode I;16
        Image.fromarray(rgba[..., :3]).save(eight / f"rgb{i}.png")
        png16(sixteen / f"rgb{i}.png", sixteen_bit(rgba[..., :3], rng))
        Image.fromarray(rgba).save(eight / f"rgba{i}.png")
        png16(sixteen / f"rgba{i}.png", sixteen_bit(rgba, rng))
    with Image.open(sixteen / "grey0.png") as image:
        assert image.mode == "I;16"
    got8, got16 = read_images([(eight, 0)], None), read_images([(sixteen, 0)], None)
    assert got8.skipped == got16.skipped == 0 and len(got8.pixels) == len(got16.pixels) == 9
    std = np.array(IMAGENET_STD).reshape(1, 3, 1, 1)
    for a, b in zip(got8.pixels, got16.pixels):
        assert a.shape == b.shape == (32, 32, 3) and a.dtype == b.dtype == np.uint8
        assert np.abs(a.astype(int) - b).max() <= 1  # grey: exact; RGB(A): PIL keeps the high byte
        difference = (preprocess(a, 32, 32) - preprocess(b, 32, 32)).numpy() * std  # back in 0..1 pixel units
        assert np.abs(difference).max() <= 1 / 255 + 1e-6
    assert np.array_equal(got8.pixels[0], got16.pixels[0])


@pytest.mark.parametrize(("mode", "dtype"), [("I;16", "<u2"), ("I;16B", ">u2"), ("I;16L", "<u2"), ("I", "<i4")])
def test_16_bit_modes_are_scaled_not_clipped(mode, dtype):
    values = [0, 128, 129, 257 * 200, 65535] + ([-5, 70_000] if mode == "I" else [0, 0])
    image = Image.frombytes(mode, (7, 1), np.array(values, dtype=dtype).tobytes())
    assert image.mode == mode
    assert rgb8(image)[0].tolist() == [[v] * 3 for v in (0, 0, 1, 200, 255, 0, 255 if mode == "I" else 0)]


def test_a_16_bit_copy_scores_as_the_8_bit_data(fashion_export, test_images, tmp_path, capsys):
    rng = np.random.default_rng(1)
    eight, sixteen = tmp_path / "eight", tmp_path / "sixteen"
    for folder in test_images.iterdir():
        for path in sorted(folder.iterdir())[:4]:
            (eight / folder.name).mkdir(parents=True, exist_ok=True)
            (sixteen / folder.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, eight / folder.name / path.name)
            with Image.open(path) as image:
                Image.fromarray(sixteen_bit(np.asarray(image), rng)).save(sixteen / folder.name / path.name)
    reports = []
    for data in (eight, sixteen):
        out = tmp_path / f"{data.name}.json"
        assert main([str(fashion_export[0]), "--data", str(data), "--quiet", "--json", str(out)]) == 0
        reports.append(json.loads(out.read_text()))
    capsys.readouterr()
    assert reports[0]["images"] == reports[1]["images"] == 40 and reports[1]["skipped"] == 0
    for row8, row16 in zip(reports[0]["rows"], reports[1]["rows"], strict=True):
        row8.pop("seconds", None), row16.pop("seconds", None)
        assert row8 == row16  # the same top-1, top-5 and agreement


@pytest.mark.arm64
def test_on_arm64_the_artifact_runs_in_the_emulated_cpu(fashion_export, test_images, tmp_path, capsys, monkeypatch):
    """--on arm64: the outputs come from one guest run (ONNX Runtime's aarch64 kernels), and the report
    says where."""
    from cloformer.runtime_bench.platforms.arm64 import guest

    inputs, run = [], guest.run
    monkeypatch.setattr(guest, "run", lambda *args: inputs.append(len(args[5])) or run(*args))
    out_json = tmp_path / "eval.json"
    assert main([str(fashion_export[0]), "--data", str(test_images), "--limit", "4", "--on", "arm64", "--quiet",
                 "--json", str(out_json)]) == 0
    eager, onnx = json.loads(out_json.read_text())["rows"]
    assert inputs == [4] and onnx["on"].startswith("emulated cortex-a76") and "on" not in eager
    assert onnx["agreement"] == 1.0 and onnx["delta_points"] == 0.0
    assert f"4 images from {test_images} (0 skipped); artifacts run on {onnx['on']}" in capsys.readouterr().out
