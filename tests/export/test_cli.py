"""Every wrong input: one line naming the problem and the fix, exit 2, nothing written."""
import pytest
import torch

from cloformer.export.cli import main, parse_size
from cloformer.export.errors import UsageError
from cloformer.models import create_model

from ..conftest import ROOT


def run(capsys, tmp_path, *args):
    code = main(["--output", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize("args, message", [
    (["--input-size", "230"], "input size 230 is not a positive multiple of 32 (4x stem + three 2x downsamples); nearest valid: 224 or 256"),
    (["--input-size", "256x300"], "input width 300 is not a positive multiple of 32"),
    (["--input-size", "big"], "--input-size 'big' is not N or HxW (e.g. 224 or 256x320)"),
    (["--model", "cloformer_m"], "argument --model: invalid choice: 'cloformer_m'"),
    (["--target", "tflite"], "argument --target: invalid choice: 'tflite'"),
    (["--target", "coreml", "--opset", "17"], "--opset does not apply to --target coreml; it applies to --target onnx"),
    (["--target", "onnx", "--backend", "portable"], "--backend does not apply to --target onnx; it applies to --target executorch"),
    (["--target", "executorch", "--compute-units", "cpu_only"],
     "--compute-units does not apply to --target executorch with --backend xnnpack; it applies to --target coreml or executorch"),
    (["--target", "executorch", "--backend", "qnn"],
     "--backend qnn needs the Qualcomm AI Engine Direct (QNN) SDK; use --backend xnnpack, coreml or portable"),
    (["--batch", "0"], "argument --batch: 0 is out of range; pass an integer from 1 to 256"),
    (["--target", "executorch", "--backend", "portable", "--precision", "fp16"],
     "--precision fp16 is not available for --target executorch with --backend portable: fp16 and int8 are lowered "
     "for --backend xnnpack; --backend portable takes fp32"),
    (["--target", "executorch", "--backend", "portable", "--precision", "int8"],
     "--precision int8 is not available for --target executorch with --backend portable: fp16 and int8 are lowered "
     "for --backend xnnpack; --backend portable takes fp32"),
    (["--target", "coreml", "--compress", "palettize4"],
     "--precision fp32 is not available for --target coreml: --compress palettize4 stores fp16 "
     "palettes; use --precision fp16"),
    (["--target", "onnx", "--quantization", "dynamic"],
     "--quantization does not apply to --target onnx; it applies to --target onnx with --precision int8"),
    (["--target", "onnx", "--compress", "palettize4"], "--compress does not apply to --target onnx; it applies to --target coreml"),
    (["--target", "coreml", "--palette-group", "16"],
     "--palette-group does not apply to --target coreml; it applies to --target coreml with --compress palettizeN"),
    (["--target", "coreml", "--precision", "fp16", "--compress", "palettize4", "--palette-group", "-2"],
     "argument --palette-group: -2 is out of range; pass an integer from 0 to 65,536"),
    (["--target", "coreml", "--precision", "fp16", "--compress", "palettize4", "--palette-group", "16"],
     "--palette-group needs --deployment-target iOS18 (a Core ML 8 feature), not iOS17"),
    (["--target", "coreml", "--precision", "fp16", "--compress", "palettize3"],
     "--compress palettize3 needs --deployment-target iOS18 (a Core ML 8 feature), not iOS17"),
    (["--target", "onnx", "--min-sqnr", "30"], "--min-sqnr applies to --precision fp16 or int8"),
    (["--target", "onnx", "--precision", "int8", "--calibration-dir", "/nonexistent"],
     "--calibration-dir /nonexistent is not a directory; pass a directory of images"),
    (["--precision", "int4"], "argument --precision: invalid choice: 'int4'"),
    (["--checkpoint", "/nonexistent/ckpt.pth"], "checkpoint /nonexistent/ckpt.pth does not exist or is not a file"),
    (["--labels", "/nonexistent/labels.txt"],
     "--labels /nonexistent/labels.txt: cannot read it (No such file or directory); pass a text file, one class name "
     "per line"),
    (["--labels", "models/weights/cloformer_xxs_fashion_mnist.labels.txt"],
     "--labels models/weights/cloformer_xxs_fashion_mnist.labels.txt names 10 classes but the model has 1000; pass "
     "one name per class (--num-classes 1000)"),
])
def test_usage_errors(capsys, tmp_path, args, message, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, err = run(capsys, tmp_path, *args)
    assert code == 2
    assert err.count("\n") == 0 and "Traceback" not in err
    assert err.startswith("cloformer-export: error: ") and message in err
    assert not (tmp_path / "out").exists()


def test_output_is_a_file(capsys, tmp_path):
    (tmp_path / "file").write_text("x")
    code = main(["--output", str(tmp_path / "file")])
    assert code == 2
    assert f"argument --output: {tmp_path / 'file'} is a file, not a folder; pass a folder" in capsys.readouterr().err


def test_bad_input_creates_no_output_directory(capsys, tmp_path):
    code, _ = run(capsys, tmp_path, "--checkpoint", str(tmp_path / "missing.pth"))
    assert code == 2 and not (tmp_path / "out").exists()


def test_output_cannot_be_created(capsys, tmp_path):
    (tmp_path / "file").write_text("x")
    code = main(["--output", str(tmp_path / "file" / "sub")])
    assert code == 2
    assert f"argument --output: {tmp_path / 'file'} is a file, not a folder; pass a folder" in capsys.readouterr().err


def test_existing_artifact_needs_overwrite(capsys, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    existing = out / "cloformer_xxs_224x224_coreml_fp32.mlpackage"
    existing.mkdir()
    code, err = run(capsys, tmp_path, "--target", "coreml")
    assert code == 2
    assert f"{existing} already exists; pass --overwrite to replace it or choose another --output" in err


def test_checkpoint_for_another_variant(capsys, tmp_path):
    path = tmp_path / "xs.pth"
    torch.save(create_model("cloformer_xs").state_dict(), path)
    code, err = run(capsys, tmp_path, "--checkpoint", str(path))
    assert code == 2 and "\n" not in err
    assert "does not match cloformer_xxs" in err and "pass --model cloformer_xs" in err
    assert not (tmp_path / "out").exists()


def test_parse_size():
    assert parse_size("224") == (224, 224)
    assert parse_size("256x320") == (256, 320)
    with pytest.raises(UsageError):
        parse_size("1x2x3")


def test_help_lists_targets_and_sdk_backends(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for word in ("onnx", "coreml", "executorch", "xnnpack", "portable", "qnn", "mps", "--overwrite", "--quiet"):
        assert word in out
