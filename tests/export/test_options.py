"""Each target's options: flags generated from its dataclass, shared flags defined alike, values
checked, and a round trip through the manifest section that `cloformer-diagnose` reads back."""
import dataclasses

import pytest

from cloformer.export.errors import UsageError
from cloformer.export.options import Options
from cloformer.export.targets import TARGETS, flags, users


@pytest.mark.parametrize("name", list(TARGETS))
def test_options_round_trip_through_the_manifest(name):
    cls = TARGETS[name].Options
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen and issubclass(cls, Options)
    variants = [cls()] + [cls(**{f.dest: choice}) for f in cls.flags() for choice in f.choices or ()]
    for options in variants:
        options.validate()
        assert cls.from_manifest(options.to_manifest()) == options
    assert cls.from_manifest({}) == cls()  # a section without options: the defaults


def test_a_wrong_value_names_its_field():
    cls = TARGETS["onnx"].Options
    with pytest.raises(ValueError, match="opset: '18' is not of type int"):
        cls.from_manifest({"opset": "18"})
    with pytest.raises(ValueError, match="quantization: 'sometimes' is not one of static, dynamic"):
        cls.from_manifest({"quantization": "sometimes"})
    with pytest.raises(UsageError, match="--opset: True is not of type int"):
        cls(opset=True).validate()


def test_flags_come_from_the_dataclasses_and_shared_ones_are_alike():
    every = flags()
    assert {"--opset", "--backend", "--compute-units", "--deployment-target", "--compress",
            "--quantization"} <= set(every)
    assert every["--opset"].type is int and every["--backend"].default == "xnnpack"
    assert users("compute_units") == ["coreml", "executorch"]  # one flag, two targets, one definition
