"""`cloformer-eval` on the trained XXS (models/weights) and Fashion-MNIST's real test split."""
import json
import shutil

import pytest

from cloformer.models import fashion_mnist as fashion_mnist_module
from cloformer.runtime_bench.evaluate import main


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
    assert captured.err == "skipped 2 unreadable file(s) (first: 0-broken.png: UnidentifiedImageError)\n"
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
    assert f"--data {nine} has 9 class folders but the model has 10 classes" in bad([artifact, "--data", str(nine)],
                                                                                      capsys)
    blank = tmp_path / "blank"
    for i in range(10):
        (blank / f"c{i}").mkdir(parents=True)
    (blank / "c0" / "x.png").write_bytes(b"no")
    assert f"--data {blank} has no readable images in its 10 class folders" in bad([artifact, "--data", str(blank)],
                                                                                    capsys)
    lonely = tmp_path / "m.onnx"
    lonely.write_bytes(fashion_export[0].read_bytes())
    assert "has no manifest beside it" in bad([str(lonely), "--data", str(test_images)], capsys)
    assert "has other classes than" in bad([artifact, str(small_onnx_export[0]), "--data", str(test_images)], capsys)
    assert "--limit must be at least 1" in bad([artifact, "--data", str(test_images), "--limit", "0"], capsys)
    taken = tmp_path / "taken.json"
    taken.write_text("{}")
    assert "--json" in bad([artifact, "--data", str(test_images), "--json", str(taken)], capsys)
    assert "is not a directory" in bad([artifact, "--data", str(taken)], capsys)
