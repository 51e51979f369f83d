"""Every target for the larger variants and a non-square input (slow: ~3-6 min each)."""
import json

import pytest

from cloformer.export.cli import main


@pytest.mark.slow
@pytest.mark.parametrize("model, size", [("cloformer_xs", "224"), ("cloformer_s", "224"), ("cloformer_xxs", "256x320")])
def test_all_targets(tmp_path, capsys, model, size):
    assert main(["--model", model, "--input-size", size, "--target", "all", "--output", str(tmp_path), "--quiet"]) == 0
    artifacts = capsys.readouterr().out.split()
    assert [a.rsplit(".", 1)[-1] for a in artifacts] == ["onnx", "mlpackage", "tflite", "pte"]
    height, width = (int(v) for v in (size.split("x") * 2)[:2])
    for artifact in artifacts:
        manifest = json.loads(open(artifact + ".json").read())
        assert manifest["model"] == model and manifest["input_shape"] == [1, 3, height, width]
        assert manifest["parity"]["status"] == "pass"  # Core ML too: the MIL reference evaluator
