"""models/train.py as a script, on a few synthetic images (the default run never trains the real
checkpoint: it is committed, models/weights/). And the committed checkpoint: it loads, and scores
on Fashion-MNIST's real test split what its record says."""
import json

import numpy as np
import torch

from cloformer.models import create_model, fashion_mnist
from cloformer.models.fashion_mnist import load
from cloformer.models.preprocess import preprocess
from cloformer.models.train import accuracy, main

from ..conftest import WEIGHTS
from .test_fashion_mnist import idx_split


def test_the_script_writes_a_loadable_checkpoint_its_labels_and_facts(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for prefix in ("train", "t10k"):
        idx_split(tmp_path / "data", prefix, rng.integers(0, 256, (64, 28, 28), dtype=np.uint8),
                  rng.integers(0, 10, 64, dtype=np.uint8))
    out = tmp_path / "w" / "m.pth"
    assert main(["--data", str(tmp_path / "data"), "--epochs", "1", "--batch", "32", "--output", str(out)]) == 0
    assert "trained in " in capsys.readouterr().out
    assert all(v.dtype in (torch.float16, torch.int64) for v in torch.load(out, weights_only=True).values())
    create_model("cloformer_xxs", num_classes=10, checkpoint=out)  # strict load into fp32
    assert out.with_suffix(".labels.txt").read_text().splitlines() == list(fashion_mnist.LABELS)
    facts = json.loads(out.with_suffix(".json").read_text())
    assert facts["train_images"] == 64 and facts["epochs"] == 1 and facts["input_size"] == 32
    assert main(["--data", str(tmp_path / "nowhere"), "--output", str(out)]) == 2
    assert "install Debian's dataset-fashion-mnist" in capsys.readouterr().err


def test_the_committed_checkpoint_scores_what_its_record_says(fashion_mnist):
    """All 10,000 test images: the figure the README and docs/commands/cloformer-eval.md quote (89.5 %)."""
    facts = json.loads(WEIGHTS.with_suffix(".json").read_text())
    model = create_model("cloformer_xxs", num_classes=10, checkpoint=WEIGHTS.with_suffix(".pth"))
    images, labels = load("test", fashion_mnist)
    x = preprocess(images, facts["input_size"], facts["input_size"])
    assert accuracy(model, x, torch.from_numpy(labels.astype("int64"))) == facts["test_top1_fp16_weights"]
