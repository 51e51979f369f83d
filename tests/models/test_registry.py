import pytest

import torch

from cloformer.models import (ModelError, check_input_size, create_model, describe_model, get_config, is_reference,
                              list_models, model_config)
from cloformer.models.reference import create_reference


def test_list_models():
    assert list_models() == ["cloformer_xxs", "cloformer_xs", "cloformer_s", "efficientnet_b0", "mobilenet_v3_large"]
    assert [is_reference(name) for name in list_models()] == [False, False, False, True, True]


def test_unknown_model_names_the_choices():
    with pytest.raises(ModelError, match=r"unknown model 'cloformer_m'; choose one of: cloformer_xxs, cloformer_xs, "
                                         r"cloformer_s, efficientnet_b0, mobilenet_v3_large"):
        create_model("cloformer_m")


@pytest.mark.parametrize("name", ["efficientnet_b0", "mobilenet_v3_large"])
def test_a_peer_is_the_reference_network_its_config_names(name):
    model = create_model(name, num_classes=10, seed=3)
    same = create_reference(name, num_classes=10, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), same.state_dict().values()))
    assert model_config(name)["architecture"] in describe_model(name)
    with pytest.raises(ModelError, match=rf"{name} is a reference model, not a CloFormer variant"):
        get_config(name)


@pytest.mark.parametrize("name", ["efficientnet_b0", "mobilenet_v3_large"])
def test_a_peers_segments_chain_to_its_logits(name):
    """cloformer-diagnose cuts a peer where it cuts CloFormer: along its segments."""
    model, x = create_model(name, num_classes=10), torch.randn(1, 3, 64, 64)
    y = x
    for _, segment in model.segments():
        y = segment(y)
    assert torch.equal(y, model(x)) and model.segments()[-1][0] == "head"
    assert set(model.state_dict()) == set(create_reference(name, num_classes=10).state_dict())  # no head registered


def test_official_configs():
    s = get_config("cloformer_s")
    assert s.embed_dims == (64, 128, 224, 448) and s.num_heads == (4, 8, 14, 28)
    assert s.group_splits == ((3, 1), (4, 4), (7, 7), (7, 21))
    assert get_config("cloformer_xs").group_splits[-1] == (7, 15)


@pytest.mark.parametrize("height, width", [(224, 224), (256, 320), (32, 64)])
def test_valid_sizes(height, width):
    check_input_size(height, width)


@pytest.mark.parametrize("height, width, message", [
    (230, 224, r"input height 230 is not a positive multiple of 32 .*nearest valid: 224 or 256"),
    (224, 300, r"input width 300 .*nearest valid: 288 or 320"),
    (16, 224, r"input height 16 .*nearest valid: 32"),
    (0, 224, r"input height 0 .*nearest valid: 32"),
    (250, 250, r"input size 250 .*nearest valid: 224 or 256"),
])
def test_invalid_sizes_name_the_nearest_valid_ones(height, width, message):
    with pytest.raises(ModelError, match=message):
        check_input_size(height, width)
