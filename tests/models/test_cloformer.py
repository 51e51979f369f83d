import json
from pathlib import Path

import pytest
import torch

from cloformer.models import CONFIGS, create_model

from .official_reference import SIZES, fill_state_dict, reference_input

GOLDEN = json.loads((Path(__file__).parent / "data" / "official_golden.json").read_text())


@pytest.mark.parametrize("name, millions", [("cloformer_xxs", 4.17), ("cloformer_xs", 7.17), ("cloformer_s", 12.35)])
def test_parameter_counts(name, millions):
    count = sum(p.numel() for p in create_model(name).parameters())
    assert abs(count / 1e6 - millions) <= 0.01


@pytest.mark.parametrize("name", list(CONFIGS))
def test_state_dict_layout_is_the_official_one(name):
    ours = {k: list(v.shape) for k, v in create_model(name).state_dict().items()}
    assert ours == GOLDEN["models"][name]["state_dict"]


@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize("height, width", SIZES)
def test_logits_match_the_official_implementation(name, height, width):
    model = create_model(name)
    model.load_state_dict(fill_state_dict(model.state_dict()), strict=True)
    with torch.no_grad():
        logits = model(reference_input(height, width))[0]
    expected = torch.tensor(GOLDEN["models"][name]["logits"][f"{height}x{width}"])
    assert logits.shape == expected.shape
    assert (logits - expected).abs().max().item() <= 1e-5


def test_eval_mode_and_seeded_init_are_reproducible():
    a, b = create_model("cloformer_xxs", seed=5), create_model("cloformer_xxs", seed=5)
    assert not a.training
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    c = create_model("cloformer_xxs", seed=6)
    assert not torch.equal(a.head.weight, c.head.weight)


def test_num_classes_and_batch():
    model = create_model("cloformer_xxs", num_classes=10)
    with torch.no_grad():
        assert model(torch.randn(2, 3, 64, 96)).shape == (2, 10)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_segments_chain_to_the_forward_pass(name):
    model = create_model(name)
    names, modules = zip(*model.segments())
    depth = sum(model.config.depths)
    assert names == ("patch_embed", *(f"layers.{i}.blocks.{j}" for i, d in enumerate(model.config.depths)
                                      for j in range(d)), "head")
    assert len(modules) == depth + 2
    for path in names[:-1]:  # every segment but the head is the module at its path
        assert model.get_submodule(path) is dict(zip(names, modules))[path]
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        expected, y = model(x), x
        for segment in modules:
            y = segment(y)
    assert torch.equal(y, expected)
    assert set(model.state_dict()) == set(create_model(name).state_dict())  # the head wrapper registers nothing
