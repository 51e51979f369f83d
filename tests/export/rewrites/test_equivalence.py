"""Every pass, alone and as each target's list, computes what the eager model computes."""
import pytest
import torch

from cloformer.export import rewrites
from cloformer.export.parity import TOLERANCE as PARITY
from cloformer.export.targets import TARGETS
from cloformer.export.request import ExportRequest
from cloformer.models import CONFIGS, PEERS, create_model

from .conftest import SIZES, inputs

TOLERANCE = 1e-5
# A pass that approximates (rewrites.APPROXIMATE) is listed only for fp16 arithmetic: its whole-model
# difference must stay a tenth of what the fp16 check allows.
APPROXIMATE = PARITY["fp16"].max_abs_diff / 10
# Passes that are not CloFormer's: they find work in any CNN.
GENERIC = ("fold_batchnorm", "means_as_avg_pool", "silu_as_sigmoid")


def _tolerance(passes) -> float:
    return APPROXIMATE if any(p in rewrites.APPROXIMATE for p in passes) else TOLERANCE


def _max_diff(model, rewritten, height, width) -> float:
    with torch.no_grad():
        return max((model(x) - rewritten(x)).abs().max().item() for x in inputs(height, width))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize("pass_name", list(rewrites.PASSES))
def test_each_pass_is_equivalent(trained_like, pass_name, name, size):
    model = trained_like(name)
    rewritten, counts = rewrites.apply(model, [pass_name])
    assert counts[pass_name] > 0, f"{pass_name} found nothing to rewrite in {name}"
    assert _max_diff(model, rewritten, *size) <= _tolerance([pass_name])


def _target_lists():
    """Every target's pass list under each value of each of its options, at each precision."""
    lists = {}
    for target in TARGETS.values():
        variants = [target.Options()] + [target.Options(**{flag.dest: choice}) for flag in target.Options.flags()
                                         for choice in flag.choices or ()]
        for options in variants:
            request = ExportRequest(targets=(target.name,), options={target.name: options})
            for precision in target.precisions(request):
                request.precision = precision
                lists[f"{target.tag(request)}_{precision}"] = target.rewrites(request)
    return lists


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize("tag, passes", list(_target_lists().items()))
def test_each_target_list_is_equivalent(trained_like, tag, passes, name, size):
    model = trained_like(name)
    rewritten, _ = rewrites.apply(model, passes)
    assert _max_diff(model, rewritten, *size) <= _tolerance(passes)


@pytest.mark.parametrize("name", PEERS)
@pytest.mark.parametrize("tag, passes", list(_target_lists().items()))
def test_each_target_list_is_equivalent_on_the_peers(tag, passes, name):
    """A reference peer takes each target's list too: what is CloFormer's finds nothing, the rest
    (GENERIC) rewrites for real."""
    model = create_model(name)
    rewritten, counts = rewrites.apply(model, passes)
    assert _max_diff(model, rewritten, 64, 64) <= _tolerance(passes)
    assert all(n == 0 for p, n in counts.items() if p not in GENERIC)


def test_apply_leaves_the_original_alone(trained_like):
    model = trained_like("cloformer_xxs")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rewrites.apply(model, list(rewrites.PASSES))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_unknown_pass():
    with pytest.raises(KeyError, match="unknown rewrite pass"):
        rewrites.apply(torch.nn.Identity(), ["nope"])
