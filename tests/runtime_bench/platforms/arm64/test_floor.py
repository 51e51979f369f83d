"""The floor: MACs as torch counts them, divided by the lanes of one NEON instruction at the precision."""
import pytest
import torch

from cloformer.models import create_model
from cloformer.runtime_bench.platforms.arm64.floor import LANES, floor, macs


def test_macs_of_a_convolution_and_a_linear_are_exact():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.Flatten(), torch.nn.Linear(8 * 4 * 4, 10))
    example = torch.randn(2, 3, 4, 4)
    assert macs(model, example) == 2 * (8 * 4 * 4 * 3 * 9 + 8 * 4 * 4 * 10)  # the whole batch


@pytest.mark.parametrize("precision", ["fp32", "fp16", "int8"])
def test_the_floor_divides_by_the_lanes_and_rounds_up(precision):
    model = torch.nn.Linear(5, 1, bias=False)  # 5 MACs
    found = floor(model, torch.randn(1, 5), precision, instructions=100)
    least = -(-5 // LANES[precision])
    assert found == {"macs": 5, "lanes": LANES[precision], "instructions": least, "ratio": round(100 / least, 3)}


def test_cloformer_xxs_at_224_has_the_papers_macs():
    # the paper gives 0.6 GMACs for XXS at 224x224; torch's counter also counts the attention's matmuls
    found = macs(create_model("cloformer_xxs"), torch.randn(1, 3, 224, 224))
    assert 0.6e9 < found < 0.7e9
