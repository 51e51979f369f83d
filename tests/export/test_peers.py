"""The reference peers through the same pipeline as CloFormer: marked in the manifest, checked the same
way, cut for cloformer-diagnose along their segments. Every target at 64x64 is slow (~4 min)."""
import json

import pytest

from cloformer.export.cli import main
from cloformer.export.diagnose_cli import main as diagnose


@pytest.fixture(scope="module")
def peer_ncnn(small_export):
    return small_export("ncnn", model="efficientnet_b0")


def test_a_peer_is_exported_checked_and_marked_as_a_reference(peer_ncnn):
    _, manifest = peer_ncnn
    assert manifest["model"] == "efficientnet_b0" and manifest["reference"] is True
    assert manifest["config"] == {"architecture": "EfficientNet-B0, Tan & Le, ICML 2019, arXiv:1905.11946"}
    assert manifest["parity"]["status"] == "pass"
    # the CloFormer passes find nothing; nothing else is skipped
    assert all(n == 0 for p, n in manifest["rewrite_counts"].items() if p != "fold_batchnorm")


def test_diagnose_cuts_a_peer_along_its_segments(peer_ncnn, capsys):
    artifact, _ = peer_ncnn
    assert diagnose([str(artifact)]) == 0
    said = "".join(capsys.readouterr())
    assert "features.0 " in said and "features.17 " in said and "every module within tolerance" in said


@pytest.mark.slow
@pytest.mark.parametrize("model", ["efficientnet_b0", "mobilenet_v3_large"])
@pytest.mark.parametrize("precision", ["fp32", "fp16", "int8"])
def test_every_target_takes_a_peer(tmp_path, capsys, model, precision):
    targets = {"fp32": "onnx,coreml,litert,executorch,ncnn,mnn", "fp16": "onnx,coreml,litert,executorch,ncnn,mnn,qnn",
               "int8": "onnx,coreml,litert,executorch,mnn,qnn"}[precision]
    for target in targets.split(","):  # --target takes one target (or all)
        assert main(["--model", model, "--input-size", "64", "--target", target, "--precision", precision,
                     "--output", str(tmp_path), "--quiet"]) == 0, (target, capsys.readouterr().err)
    artifacts = capsys.readouterr().out.split()
    assert len(artifacts) == len(targets.split(","))
    for artifact in artifacts:
        manifest = json.loads(open(artifact + ".json").read())
        assert manifest["reference"] is True and manifest["parity"]["status"] == "pass", artifact
