"""`ane.findings` on small ML programs converted the way the Core ML target converts."""
import pytest
import torch.nn as nn

from cloformer.export.targets.coreml import ane
from cloformer.export.targets.coreml import _operations

from .coreml_programs import Fn, convert


def findings(module: nn.Module, shape=(1, 8, 32, 32)) -> dict[str, int]:
    return ane.findings(_operations(convert(module, shape).get_spec()))


def test_listed_ops_within_limits_give_nothing():
    block = Fn(lambda x, conv, pool: sum(t.mean(dim=(2, 3), keepdim=True) for t in
                                         nn.functional.gelu(pool(conv(x))).split(4, dim=1)),
               nn.Conv2d(8, 8, 13, padding=6, groups=8), nn.AvgPool2d(4))
    assert findings(block) == {}


@pytest.mark.parametrize("module, expected", [
    (Fn(lambda x: x[:, 1:5] * 2), {"slice_by_index (not on the list)": 1}),
    (nn.Conv2d(8, 8, 15, padding=7, groups=8), {"conv (kernel 15x15 > 13)": 1}),
    (nn.Conv2d(8, 8, 3, padding=2, dilation=2), {"conv (dilated)": 1}),
    (nn.AvgPool2d(32), {"avg_pool (window > 29)": 1}),
    # the sum's output is rank 4 again: only the ops producing rank 5 are named
    (Fn(lambda x: (x.view(1, 2, 4, 32, 32) * 3).sum(dim=1)), {"mul (rank 5 > 4)": 1, "reshape (rank 5 > 4)": 1}),
])
def test_each_rule_is_reported_by_op_and_reason(module, expected):
    assert findings(module) == expected


def test_const_ops_are_never_findings():
    assert not any(k.startswith("const") for k in findings(nn.Conv2d(8, 8, 15, padding=7)))
