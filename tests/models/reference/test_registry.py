"""The registry of reference architectures: names, order, errors, seeding, shapes and sizes."""
import pytest
import torch

from cloformer.models.errors import ModelError
from cloformer.models.reference import REFERENCES, Reference, create_reference, list_references
from cloformer.models.reference.vit import vision_transformer

BENCHMARK_ROWS = ["squeezenet", "mobilenet", "mobilenet_v2", "mobilenet_v3", "shufflenet", "shufflenet_v2", "mnasnet",
                  "proxylessnasnet", "efficientnet_b0", "regnety_400m", "blazeface", "googlenet", "resnet18", "alexnet",
                  "vgg16", "resnet50", "vision_transformer"]

# Exact parameter counts of these definitions at 1000 classes (and their benchmark input size).
PARAMETERS = {
    "squeezenet": 1_235_496, "mobilenet": 4_231_976, "mobilenet_v2": 3_505_960, "mobilenet_v3": 5_145_318,
    "shufflenet": 1_814_734, "shufflenet_v2": 2_278_604, "mnasnet": 4_383_312, "proxylessnasnet": 4_081_824,
    "efficientnet_b0": 5_288_548, "regnety_400m": 4_344_144, "blazeface": 88_470, "googlenet": 6_998_552,
    "resnet18": 11_693_736, "alexnet": 60_965_224, "vgg16": 138_357_544, "resnet50": 25_557_032,
    "vision_transformer": 88_297_192, "mobilenet_v3_large": 5_483_032,
}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small convolutions run faster on one thread, and do not stall on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_rows_are_the_benchmarks_in_its_order_then_the_peers():
    assert list_references() == [*BENCHMARK_ROWS, "mobilenet_v3_large"]
    assert all(isinstance(r, Reference) and r.name == name for name, r in REFERENCES.items())


def test_input_sizes_are_the_benchmarks():
    sizes = {name: r.input_size for name, r in REFERENCES.items()}
    assert {n for n, s in sizes.items() if s != 224} == {"squeezenet", "alexnet", "blazeface", "vision_transformer"}
    assert (sizes["squeezenet"], sizes["alexnet"], sizes["blazeface"], sizes["vision_transformer"]) == (227, 227, 128, 384)


def test_reference_is_frozen():
    with pytest.raises(AttributeError):
        REFERENCES["resnet18"].input_size = 256


def test_unknown_name_lists_the_choices():
    with pytest.raises(ModelError, match=r"unknown reference model 'resnet101'; choose one of: squeezenet, mobilenet, "
                                         r"mobilenet_v2, .*, vision_transformer, mobilenet_v3_large$"):
        create_reference("resnet101")


def test_num_classes_must_be_positive():
    with pytest.raises(ModelError, match="num_classes must be at least 1"):
        create_reference("mobilenet", num_classes=0)


def test_seeded_builds_are_reproducible():
    a, b, c = (create_reference("mobilenet_v3", seed=s) for s in (3, 3, 4))
    assert not a.training
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)
    assert not torch.equal(a.classifier[0].weight, c.classifier[0].weight)


@pytest.mark.parametrize("name", list(PARAMETERS))
def test_parameter_counts_are_pinned(name):
    with torch.device("meta"):  # shapes only: no memory, no init
        model = REFERENCES[name].build(1000)
    assert count(model) == PARAMETERS[name]


@pytest.mark.parametrize("name", list(PARAMETERS))
def test_small_input_and_ten_classes(name):
    size = 64
    model = vision_transformer(10, image_size=size).eval() if name == "vision_transformer" else create_reference(name, 10)
    with torch.no_grad():
        out = model(torch.rand(1, 3, size, size))
    assert out.shape == ((1, 96, size // 16, size // 16) if name == "blazeface" else (1, 10))
    assert torch.isfinite(out).all()
