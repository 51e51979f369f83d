import pytest

from cloformer.models import ModelError, check_input_size, create_model, get_config, list_models


def test_list_models():
    assert list_models() == ["cloformer_xxs", "cloformer_xs", "cloformer_s"]


def test_unknown_model_names_the_choices():
    with pytest.raises(ModelError, match=r"unknown model 'cloformer_m'; choose one of: cloformer_xxs, cloformer_xs, cloformer_s"):
        create_model("cloformer_m")


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
