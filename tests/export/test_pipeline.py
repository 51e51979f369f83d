"""The pipeline's guarantees, checked with a fake target so no real exporter runs."""
import json

import pytest
import torch

from cloformer.export import rewrites
from cloformer.export.api import ExportRequest, export
from cloformer.export.errors import ExportError, UsageError
from cloformer.export.targets import TARGETS, Target


class FakeTarget(Target):
    name = "fake"
    order = 99
    suffix = ".bin"
    runtime = "eager-copy"
    summary = "test double"
    result_runtime = runtime_package = "torch"

    def __init__(self, offset=0.0, crash=None):
        self.offset, self.crash = offset, crash
        self.model = None

    def export(self, model, example, request, path):
        path.write_bytes(b"artifact")
        if self.crash:
            raise self.crash
        self.model = model
        return {"ops": {"fake_op": 1}}

    def runner(self, path, backend, threads=None):
        assert path.read_bytes() == b"artifact"
        return lambda x: self.model(torch.from_numpy(x)).detach().numpy() + self.offset

    def io_shapes(self, path):
        return [1, 3, 224, 224], [1, 1000]


@pytest.fixture
def fake(monkeypatch):
    def install(**kwargs):
        target = FakeTarget(**kwargs)
        monkeypatch.setitem(TARGETS, "fake", target)
        return target
    return install


def request(tmp_path, **kwargs):
    return ExportRequest(targets=("fake",), output=tmp_path, quiet=True, **kwargs)


def test_success_writes_artifact_and_manifest(fake, tmp_path):
    fake()
    [path] = export(request(tmp_path))
    assert path.name == "cloformer_xxs_224x224_fake_fp32.bin"
    manifest = json.loads((tmp_path / (path.name + ".json")).read_text())
    assert manifest["parity"]["status"] == "pass" and manifest["parity"]["max_abs_diff"] == 0
    assert set(manifest["parity"]["inputs"]) == {"astronaut", "random"}
    for key in ("model", "config", "input_shape", "target", "backend", "precision", "versions", "size_bytes",
                "sha256", "export_seconds", "ops", "parity", "preprocessing"):
        assert key in manifest
    assert manifest["size_bytes"] == 8 and manifest["input_shape"] == [1, 3, 224, 224]
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name, path.name + ".check", path.name + ".json"]


def test_parity_failure_leaves_nothing(fake, tmp_path):
    fake(offset=1e-3)
    with pytest.raises(ExportError, match="fake parity failed: max abs diff 0.001 .*--diagnose names the module "
                                          "where it diverges; no artifact written"):
        export(request(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_parity_failure_with_diagnose_names_the_module(fake, tmp_path, monkeypatch, capsys):
    """A deploy pass that breaks one block: the export fails and says which block."""
    def faulty(model):
        with torch.no_grad():
            model.get_submodule("layers.2.blocks.3.attn.proj").weight.mul_(1.01)
        return 1

    monkeypatch.setitem(rewrites.PASSES, "faulty", faulty)
    fake().passes = ("faulty",)
    with pytest.raises(ExportError, match="first diverging module: layers.2.blocks.3; no artifact written"):
        export(request(tmp_path, diagnose=True))
    table = capsys.readouterr().err
    assert "fake (each module exported alone): diverges first at layers.2.blocks.3" in table
    assert "1 of 14 modules below" in table
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("crash", [RuntimeError("exporter crashed"), KeyboardInterrupt()])
def test_crash_or_interrupt_leaves_nothing(fake, tmp_path, crash):
    fake(crash=crash)
    with pytest.raises(type(crash)):
        export(request(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_overwrite(fake, tmp_path):
    fake()
    [path] = export(request(tmp_path))
    with pytest.raises(UsageError, match="already exists; pass --overwrite"):
        export(request(tmp_path))
    export(request(tmp_path, overwrite=True, batch=1))
    assert path.exists()


def test_batch_and_size_in_name_and_shape(fake, tmp_path):
    fake()
    [path] = export(request(tmp_path, batch=2, height=256, width=320))
    manifest = json.loads((tmp_path / (path.name + ".json")).read_text())
    assert path.name == "cloformer_xxs_256x320_b2_fake_fp32.bin"
    assert manifest["input_shape"] == [2, 3, 256, 320] and manifest["preprocessing"]["size"] == [256, 320]


def test_labels_travel_in_the_manifest(fashion_export):
    assert fashion_export[1]["labels"][0] == "T-shirt/top" and len(fashion_export[1]["labels"]) == 10
    assert fashion_export[1]["weights"]["checkpoint"].endswith("cloformer_xxs_fashion_mnist.pth")
