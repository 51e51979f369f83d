"""Where a definition is the published network, its parameter count is the published one
(torchvision's or timm's model of the same architecture, or the original caffe model)."""
import pytest
import torch
from torch import nn

from cloformer.models.reference import REFERENCES
from cloformer.models.reference.mobilenet import MobileNetV2, mobilenet_v2_paper
from cloformer.models.reference.resnet import BasicBlock, Bottleneck, ResNet


def count(build) -> int:
    with torch.device("meta"):
        return sum(p.numel() for p in build().parameters())


@pytest.mark.parametrize("name, published, source", [
    ("squeezenet", 1_235_496, "torchvision squeezenet1_1"),
    ("mobilenet_v3_large", 5_483_032, "torchvision mobilenet_v3_large"),
    ("shufflenet_v2", 2_278_604, "torchvision shufflenet_v2_x1_0"),
    ("mnasnet", 4_383_312, "torchvision mnasnet1_0"),
    ("efficientnet_b0", 5_288_548, "torchvision efficientnet_b0"),
    ("regnety_400m", 4_344_144, "torchvision regnet_y_400mf"),
    ("vgg16", 138_357_544, "torchvision vgg16"),
    ("resnet50", 25_557_032, "torchvision resnet50 (stride placement does not change the count)"),
    ("alexnet", 60_965_224, "caffe bvlc_alexnet (torchvision's single-tower alexnet has 61,100,840)"),
    ("vision_transformer", 88_297_192, "timm vit_base_patch32_384"),
])
def test_reference_has_the_published_count(name, published, source):
    assert count(lambda: REFERENCES[name].build(1000)) == published, source


def test_mobilenet_v2_paper_variant_is_torchvisions():
    assert count(mobilenet_v2_paper) == 3_504_872
    # the benchmark's variant adds the first block's 32x32 expansion conv and its BatchNorm
    assert count(lambda: REFERENCES["mobilenet_v2"].build(1000)) == 3_504_872 + 32 * 32 + 2 * 32
    assert count(lambda: MobileNetV2(act=nn.ReLU6)) == count(lambda: MobileNetV2())


def test_resnet_torchvision_variants():
    assert count(lambda: ResNet(BasicBlock, (2, 2, 2, 2), stride_in_1x1=False, project_first_stage=False)) == 11_689_512
    # benchmark's resnet18 projects the first block's shortcut: one 1x1 conv (64x64) and a BatchNorm more
    assert count(lambda: REFERENCES["resnet18"].build(1000)) == 11_689_512 + 64 * 64 + 2 * 64
    assert count(lambda: ResNet(Bottleneck, (3, 4, 6, 3), stride_in_1x1=False)) == 25_557_032
