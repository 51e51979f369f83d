import numpy as np
import pytest
import torch

from cloformer.export import parity
from cloformer.export.errors import ExportError, Unverifiable


class Linear(torch.nn.Module):
    def forward(self, x):
        return x.flatten(1)[:, :10] * 2


INPUTS = {"a": torch.randn(1, 3, 32, 32), "b": torch.randn(1, 3, 32, 32)}


def test_pass():
    result = parity.check(parity.cases(Linear(), INPUTS), lambda: (lambda x: x.reshape(1, -1)[:, :10] * 2), "fake")
    assert result["status"] == "pass" and result["max_abs_diff"] == 0 and result["cosine"] == pytest.approx(1)
    assert set(result["inputs"]) == {"a", "b"}


def test_fail_above_tolerance():
    result = parity.check(parity.cases(Linear(), INPUTS), lambda: (lambda x: x.reshape(1, -1)[:, :10] * 2 + 1e-3), "fake")
    assert result["status"] == "fail" and result["max_abs_diff"] == pytest.approx(1e-3, rel=1e-3)


def test_unverified_is_never_a_pass():
    def cannot_run():
        raise Unverifiable("no runtime here")
    result = parity.check(parity.cases(Linear(), INPUTS), cannot_run, "fake")
    assert result["status"] == "unverified" and result["reason"] == "no runtime here"
    assert result["max_abs_diff"] is None


def test_wrong_output_shape_is_an_error():
    with pytest.raises(ExportError, match="returned shape"):
        parity.check(parity.cases(Linear(), INPUTS), lambda: (lambda x: np.zeros((1, 5))), "fake")


def test_compare_cosine_detects_sign_flip():
    a = np.array([1.0, 2.0, 3.0])
    assert parity.compare(a, -a)["cosine"] == pytest.approx(-1)
