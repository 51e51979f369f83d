import pickle

import pytest
import torch

from cloformer.models import ModelError, create_model


@pytest.fixture(scope="module")
def state():
    return create_model("cloformer_xxs", seed=11).state_dict()


def _loaded_equal(model, state):
    return all(torch.equal(model.state_dict()[k], v) for k, v in state.items())


def test_plain_state_dict(tmp_path, state):
    path = tmp_path / "plain.pth"
    torch.save(state, path)
    assert _loaded_equal(create_model("cloformer_xxs", checkpoint=path), state)


def test_official_training_format(tmp_path, state):
    path = tmp_path / "ckpt_epoch_299.pth"
    torch.save({"model": state, "epoch": 299, "max_accuracy": 77.0}, path)
    assert _loaded_equal(create_model("cloformer_xxs", checkpoint=path), state)


def _error(tmp_path, obj, name="cloformer_xxs", **kwargs) -> str:
    path = tmp_path / "bad.pth"
    if isinstance(obj, bytes):
        path.write_bytes(obj)
    else:
        torch.save(obj, path)
    with pytest.raises(ModelError) as info:
        create_model(name, checkpoint=path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_keys(tmp_path, state):
    partial = {k: v for k, v in state.items() if not k.startswith("layers.3.")}
    assert "missing keys: layers.3.blocks.0.norm1.weight" in _error(tmp_path, partial)


def test_unexpected_keys(tmp_path, state):
    extra = {**state, "aux_head.weight": torch.zeros(3)}
    assert "1 unexpected keys: aux_head.weight" in _error(tmp_path, extra)


def test_shape_mismatch_names_the_variant_that_fits(tmp_path):
    message = _error(tmp_path, create_model("cloformer_xs").state_dict())
    assert "shape mismatches, first patch_embed.conv1.conv.0.weight: checkpoint [24, 3, 3, 3] vs model [16, 3, 3, 3]" in message
    assert "it fits cloformer_xs: pass --model cloformer_xs" in message


def test_different_number_of_classes(tmp_path):
    message = _error(tmp_path, create_model("cloformer_xxs", num_classes=10).state_dict())
    assert "has 10 classes (head.weight [10, 256]) but cloformer_xxs was built with 1000; pass --num-classes 10" in message


def test_not_a_checkpoint(tmp_path):
    assert "is not a PyTorch checkpoint" in _error(tmp_path, b"this is not a checkpoint at all")


def test_corrupt_pickle(tmp_path):
    message = _error(tmp_path, b"\x80\x02garbage that is not a checkpoint")
    assert "is not a plain state_dict pickle (Unsupported operand" in message


class Payload:  # unpickling this would need to import and run project code
    def __reduce__(self):
        return (print, ("arbitrary code ran",))


def test_pickle_needing_arbitrary_code_is_refused(tmp_path, capsys):
    path = tmp_path / "evil.pth"
    with path.open("wb") as f:
        pickle.dump({"model": Payload()}, f, protocol=2)
    message = _error(tmp_path, path.read_bytes())
    assert "refused: unpickling it would run arbitrary code (Unsupported global: GLOBAL print was not an allowed global by default)" in message
    assert "arbitrary code ran" not in capsys.readouterr().out


@pytest.mark.parametrize("obj", [[1, 2, 3], {}, {"model": {"a": 1}}, {"weights": "x"}])
def test_no_state_dict_inside(tmp_path, obj):
    assert "holds no state_dict" in _error(tmp_path, obj)


def test_missing_file(tmp_path):
    with pytest.raises(ModelError, match="does not exist or is not a file"):
        create_model("cloformer_xxs", checkpoint=tmp_path / "nope.pth")
