"""Shared fixtures. Exports are slow (ExecuTorch lowering ~1 min for XXS), so each artifact
is exported once per test session and reused by every test that inspects it."""
from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import torch

from cloformer.export.cli import main
from cloformer.models import create_model


def export(output: Path, *args: str) -> tuple[Path, dict]:
    """Run the CLI as a user would; return the artifact and its manifest."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["--output", str(output), "--quiet", *args])
    assert code == 0, f"cloformer-export {' '.join(args)} exited {code}"
    artifact = Path(buffer.getvalue().split()[-1])
    return artifact, json.loads(artifact.with_name(artifact.name + ".json").read_text())


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory) -> Path:
    """An XXS checkpoint in the official training script's format (state_dict under 'model')."""
    path = tmp_path_factory.mktemp("ckpt") / "xxs_seed123.pth"
    torch.save({"model": create_model("cloformer_xxs", seed=123).state_dict(), "epoch": 3}, path)
    return path


@pytest.fixture(scope="session")
def onnx_export(tmp_path_factory, checkpoint):
    return export(tmp_path_factory.mktemp("onnx"), "--target", "onnx", "--checkpoint", str(checkpoint))


@pytest.fixture(scope="session")
def coreml_export(tmp_path_factory):
    return export(tmp_path_factory.mktemp("coreml"), "--target", "coreml")


@pytest.fixture(scope="session")
def executorch_export(tmp_path_factory):
    return export(tmp_path_factory.mktemp("et"), "--target", "executorch")


@pytest.fixture(scope="session")
def executorch_portable_export(tmp_path_factory):
    return export(tmp_path_factory.mktemp("et_portable"), "--target", "executorch", "--backend", "portable")


@pytest.fixture(scope="session")
def executorch_coreml_export(tmp_path_factory):
    return export(tmp_path_factory.mktemp("et_coreml"), "--target", "executorch", "--backend", "coreml")
