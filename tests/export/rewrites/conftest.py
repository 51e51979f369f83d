"""Trained-like weights (BN statistics, norm affines away from 1/0), so folding passes are
exercised for real, and a helper listing what torch.export sees."""
import pytest
import torch

from cloformer.export.inputs import random_input, real_image
from cloformer.models import create_model

from ...models.official_reference import fill_state_dict

SIZES = ((224, 224), (256, 320))


@pytest.fixture(scope="session")
def trained_like():
    cache = {}

    def get(name: str) -> torch.nn.Module:
        if name not in cache:
            model = create_model(name)
            model.load_state_dict(fill_state_dict(model.state_dict()))
            cache[name] = model
        return cache[name]
    return get


def inputs(height: int, width: int) -> list[torch.Tensor]:
    return [real_image(height, width), random_input(height, width, batch=2, seed=3)]


def exported_nodes(model: torch.nn.Module, height: int = 224, width: int = 224) -> list[torch.fx.Node]:
    program = torch.export.export(model, (torch.randn(1, 3, height, width),))
    return [n for n in program.graph.nodes if n.op == "call_function"]


def op_names(nodes) -> list[str]:
    return [str(n.target) for n in nodes]


def max_rank(nodes) -> int:
    ranks = [v.ndim for n in nodes for v in (n.meta.get("val"),) if isinstance(v, torch.Tensor)]
    return max(ranks)
