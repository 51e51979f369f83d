"""cloformer-diagnose on wrong input: one line naming the problem and the fix, exit 2."""
import json
import shutil

import pytest
import torch

from cloformer.export.diagnose_cli import main
from cloformer.export.manifest import manifest_path


def diagnose(capsys, *args):
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err.strip()


def test_missing_artifact_and_manifest(capsys, tmp_path):
    assert diagnose(capsys, tmp_path / "no.onnx") == (2, f"cloformer-diagnose: error: {tmp_path / 'no.onnx'} does "
                                                         "not exist; pass an artifact written by cloformer-export")
    (tmp_path / "a.onnx").write_bytes(b"x")
    code, err = diagnose(capsys, tmp_path / "a.onnx")
    assert code == 2 and err.endswith("has no manifest beside it (a.onnx.json); pass an artifact written by "
                                      "cloformer-export, with its .json beside it")
    manifest_path(tmp_path / "a.onnx").write_text("{not json")
    code, err = diagnose(capsys, tmp_path / "a.onnx")
    assert code == 2 and err.endswith("a.onnx.json: not JSON (Expecting property name enclosed in double quotes: "
                                      "line 1 column 2 (char 1)); re-export the artifact")
    manifest_path(tmp_path / "a.onnx").write_text('{"model": "cloformer_xxs"}')
    code, err = diagnose(capsys, tmp_path / "a.onnx")
    assert code == 2 and err.endswith("a.onnx.json: field (top level): 'schema_version' is a required property")


def test_usage(capsys):
    code, err = diagnose(capsys)
    assert code == 2 and err.startswith("cloformer-diagnose: error: the following arguments are required: ARTIFACT")


def copy(artifact, directory, **changes):
    directory.mkdir()
    target = directory / artifact.name
    shutil.copy(artifact, target)
    record = json.loads(manifest_path(artifact).read_text())
    manifest_path(target).write_text(json.dumps({**record, **changes}))
    return target


def test_artifacts_of_different_models_are_refused(capsys, onnx_export, executorch_export, tmp_path):
    code, err = diagnose(capsys, onnx_export[0], executorch_export[0])  # checkpoint vs random init
    assert (code, err) == (2, "cloformer-diagnose: error: the artifacts are of different models, sizes or "
                              "weights; diagnose them in separate runs")


def test_checkpoint_must_be_the_one_exported_from(capsys, onnx_export, tmp_path):
    weights = onnx_export[1]["weights"]
    moved = copy(onnx_export[0], tmp_path / "moved", weights={**weights, "checkpoint": str(tmp_path / "gone.pth")})
    code, err = diagnose(capsys, moved)
    assert (code, err) == (2, f"cloformer-diagnose: error: {moved.name} was exported from checkpoint "
                              f"{tmp_path / 'gone.pth'}, which is not there; pass --checkpoint PATH")
    other = tmp_path / "other.pth"
    torch.save({"model": {}}, other)
    code, err = diagnose(capsys, moved, "--checkpoint", other)
    assert (code, err) == (2, f"cloformer-diagnose: error: checkpoint {other} is not the one {moved.name} was "
                              "exported from (sha256 differs); pass that checkpoint")


def test_checkpoint_given_for_a_random_init_artifact(capsys, executorch_export, tmp_path):
    code, err = diagnose(capsys, executorch_export[0], "--checkpoint", tmp_path)
    assert (code, err) == (2, f"cloformer-diagnose: error: {executorch_export[0].name} was exported from random "
                              "init (seed 0), not a checkpoint; drop --checkpoint")


@pytest.mark.parametrize("flag", [["--input", "cat"], ["--min-sqnr", "high"]])
def test_bad_flags(capsys, onnx_export, flag):
    code, err = diagnose(capsys, onnx_export[0], *flag)
    assert code == 2 and err.startswith("cloformer-diagnose: error: argument")
    assert err.endswith("(see cloformer-diagnose --help)")
