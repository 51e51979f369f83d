"""Per-module bisection: clean artifacts pass every cut; a fault injected into one block of one
backend's artifact (or of its deploy recipe) is named, and nothing before it is."""
import json
import shutil
from pathlib import Path

import coremltools as ct
import numpy as np
import onnx
import pytest
import torch

from cloformer.export import files, rewrites
from cloformer.export.diagnose import diagnose, probe, table
from cloformer.export.diagnose_cli import main, run
from cloformer.export.manifest import manifest_path
from cloformer.export.targets.base import PER_MODULE, TAPS, boundary, inside
from cloformer.export.targets.coreml import _program
from cloformer.models import create_model

from ..conftest import export
from ..models.official_reference import fill_state_dict

FAULTY = "layers.2.blocks.3"
BEFORE = ["patch_embed", "layers.0.blocks.0", "layers.0.blocks.1", "layers.1.blocks.0", "layers.1.blocks.1",
          "layers.2.blocks.0", "layers.2.blocks.1", "layers.2.blocks.2"]


def copy(artifact: Path, directory: Path) -> Path:
    """The artifact and its manifest, copied for a test to corrupt."""
    directory.mkdir(exist_ok=True)
    target = directory / artifact.name
    (shutil.copytree if artifact.is_dir() else shutil.copy)(artifact, target)
    shutil.copy(manifest_path(artifact), manifest_path(target))
    return target


def as_exported(artifact: Path) -> None:
    """The manifest made to describe the corrupted artifact, as if the exporter had written it so
    (readers refuse an artifact whose digest is not its manifest's)."""
    record = json.loads(manifest_path(artifact).read_text())
    manifest_path(artifact).write_text(json.dumps({**record, "sha256": files.sha256(artifact)}))


def test_boundary_is_the_last_value_made_inside_and_used_outside():
    nodes = [(False, ["x"], ["a"]), (True, ["a"], ["b"]), (True, ["b"], ["c"]), (True, ["b", "c"], ["d"]),
             (False, ["d", "a"], ["e"])]
    assert boundary(nodes, ["e"]) == "d"
    assert boundary(nodes[:4], ["d"]) == "d"  # a graph output counts as used outside
    assert boundary([(False, ["x"], ["y"])], ["y"]) is None


def test_clean_onnx_and_coreml_pass_every_module(onnx_export, coreml_export, tmp_path):
    _, onnx_result = run([onnx_export[0]], quiet=True)
    text, coreml_result = run([coreml_export[0]], quiet=True)
    for (result,) in (onnx_result, coreml_result):
        assert result.how == TAPS and result.reason is None
        assert len(result.rows) == 14, "every cut found in the artifact's graph"
        assert result.first is None and min(r["sqnr_db"] for r in result.rows.values()) > 100
    assert "coreml (taps in the artifact): every module within tolerance (SQNR >= 80 dB)" in text


def test_coreml_cuts_are_found_with_trained_like_weights(tmp_path):
    """Norm affines away from 1/0: no op of the stem's norm is dropped by MIL as a no-op."""
    checkpoint = tmp_path / "trained_like.pth"
    torch.save(fill_state_dict(create_model("cloformer_xxs").state_dict()), checkpoint)
    artifact, _ = export(tmp_path, "--target", "coreml", "--checkpoint", str(checkpoint))
    _, (result,) = run([artifact], quiet=True)
    assert len(result.rows) == 14 and result.first is None


def test_onnx_fault_in_one_block_is_named(onnx_export, tmp_path, capsys):
    artifact = copy(onnx_export[0], tmp_path / "faulty")
    proto = onnx.load(str(artifact))
    (node,) = [n for n in proto.graph.node if n.name == f"/{FAULTY.replace('.blocks', '/blocks')}/attn/Tanh"]
    node.op_type = "Sigmoid"  # a backend computing the wrong gate in that block only
    onnx.save(proto, str(artifact))
    as_exported(artifact)
    code = main([str(artifact), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"onnx (taps in the artifact): diverges first at {FAULTY}" in out
    assert err.strip() == f"cloformer-diagnose: error: diverges: onnx at {FAULTY} (table above)"
    _, (result,) = run([artifact], quiet=True)
    assert result.first == FAULTY and all(result.rows[m]["sqnr_db"] > 100 for m in BEFORE)


def test_coreml_fault_in_one_block_is_named(coreml_export, tmp_path):
    artifact = copy(coreml_export[0], tmp_path / "faulty")
    record = coreml_export[1]
    model, _ = rewrites.apply(create_model(record["model"], seed=record["weights"]["seed"]), record["rewrites"])
    graph = _program(model, torch.randn(record["input_shape"])).graph
    (tanh,) = [n.name for n in graph.nodes if inside(n, FAULTY) and n.target == torch.ops.aten.tanh.default]
    spec_path = artifact / "Data" / "com.apple.CoreML" / "model.mlmodel"
    spec = ct.utils.load_spec(str(artifact))
    (block,) = spec.mlProgram.functions["main"].block_specializations.values()
    (op,) = [op for op in block.operations if op.outputs[0].name == tanh]
    op.type = "sigmoid"
    spec_path.write_bytes(spec.SerializeToString())
    as_exported(artifact)
    _, (result,) = run([artifact], quiet=True)
    assert result.first == FAULTY and all(result.rows[m]["sqnr_db"] > 100 for m in BEFORE)


@pytest.mark.slow
def test_executorch_fault_in_one_block_of_the_recipe_is_named(executorch_export, tmp_path, monkeypatch):
    """ExecuTorch is diagnosed by exporting each module alone: a deploy pass that breaks one
    block (here: scales its projection by 1 %) shows in that module and in no other. Slow (about
    2 minutes: 14 lowerings); CI runs the per-module path through QNN."""
    def faulty(model):
        with torch.no_grad():
            model.get_submodule(f"{FAULTY}.attn.proj").weight.mul_(1.01)
        return 1

    monkeypatch.setitem(rewrites.PASSES, "faulty", faulty)
    artifact = copy(executorch_export[0], tmp_path / "faulty")
    manifest_path(artifact).write_text(manifest_path(artifact).read_text().replace(
        '"rewrites": [', '"rewrites": ["faulty", ', 1))
    _, (result,) = run([artifact], quiet=True)
    assert result.how == PER_MODULE and len(result.rows) == 14
    assert result.diverged == [FAULTY], "per-module errors do not accumulate"
    assert min(r["sqnr_db"] for m, r in result.rows.items() if m != FAULTY) > 100


def test_an_artifact_that_cannot_run_here_is_unverified_not_passed(executorch_coreml_export, capsys):
    code = main([str(executorch_coreml_export[0]), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    assert "executorch_coreml (-): unverified: this executorch runtime has no CoreMLBackend" in out
    assert "dB" not in out


def test_a_stricter_tolerance_is_honoured(onnx_export):
    _, (result,) = run([onnx_export[0]], min_sqnr=np.inf, quiet=True)
    assert result.first == "patch_embed" and result.min_sqnr == np.inf


def test_a_cut_missing_from_the_artifact_is_reported_not_guessed():
    class Partial:
        def intermediates(self, artifact, probe):  # one cut absent, one of another size
            values = dict(zip(probe.names, probe.expected))
            del values["layers.0.blocks.0"]
            values["head"] = values["head"][:, :10]
            return TAPS, values

    model = create_model("cloformer_xxs")
    probed = probe(model, (), None, torch.randn(1, 3, 64, 64))
    result = diagnose(Partial(), Path("artifact"), probed, "partial", 80.0)
    assert result.missing == ["layers.0.blocks.0", "head"] and len(result.rows) == 12
    assert result.first is None and all(r["sqnr_db"] == np.inf for r in result.rows.values())
    assert table(probed, [result]).endswith("partial (taps in the artifact): every module within tolerance "
                                            "(SQNR >= 80 dB); not found in the artifact's graph: "
                                            "layers.0.blocks.0, head\n")


def test_worst_modules_are_the_largest_drops_for_taps_and_the_lowest_for_per_module():
    from cloformer.export.diagnose import Diagnosis, worst

    rows = {name: {"sqnr_db": v, "max_abs_diff": 0.0} for name, v in
            [("stem", 40.0), ("b0", 38.0), ("b1", 30.0), ("b2", 29.5), ("head", 25.0)]}
    assert worst(Diagnosis("x", TAPS, 0.0, rows), 2) == "b1 (30.0 dB), head (25.0 dB)"
    assert worst(Diagnosis("x", PER_MODULE, 0.0, rows), 2) == "b2 (29.5 dB), head (25.0 dB)"
