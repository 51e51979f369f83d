"""Published reference architectures, written in plain torch.nn, for calibrating cost models.

Each entry matches, as closely as the paper allows, the topology of the model of the same name in
the `benchncnn` benchmark (its benchmark/models/<name>.param): layer kinds, widths, kernels, strides, groups,
activations, pooling and input size. Weights are PyTorch's random init (seeded). Classification
networks return logits (N, num_classes): the benchmark files end in a Softmax, these do not.
Family files hold the definitions and say where they differ from the .param or the paper.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from ..errors import ModelError
from . import alexnet, blazeface, efficientnet, googlenet, mobilenet, regnet, resnet, shufflenet, squeezenet, vgg, vit


@dataclass(frozen=True)
class Reference:
    name: str
    build: Callable[[int], nn.Module]  # num_classes -> model
    input_size: int  # benchncnn's input side (square)
    paper: str


# benchncnn's row order, then the peers it does not benchmark
_ROWS = (
    Reference("squeezenet", squeezenet.squeezenet1_1, 227, "SqueezeNet v1.1, Iandola et al., arXiv:1602.07360"),
    Reference("mobilenet", mobilenet.mobilenet, 224, "MobileNet v1 1.0, Howard et al., arXiv:1704.04861"),
    Reference("mobilenet_v2", mobilenet.mobilenet_v2, 224, "MobileNetV2 1.0, Sandler et al., CVPR 2018, arXiv:1801.04381"),
    # benchncnn's file: a port of the paper's first arXiv version (12 % more MACs than the final network)
    Reference("mobilenet_v3", mobilenet.mobilenet_v3_large_benchmark, 224,
              "MobileNetV3-Large 1.0 as in arXiv:1905.02244v1, Howard et al."),
    Reference("shufflenet", shufflenet.shufflenet, 224, "ShuffleNet v1 1x g=3, Zhang et al., CVPR 2018, arXiv:1707.01083"),
    Reference("shufflenet_v2", shufflenet.shufflenet_v2, 224, "ShuffleNet V2 1.0x, Ma et al., ECCV 2018, arXiv:1807.11164"),
    Reference("mnasnet", efficientnet.mnasnet, 224, "MnasNet-B1 1.0, Tan et al., CVPR 2019, arXiv:1807.11626"),
    Reference("proxylessnasnet", efficientnet.proxylessnasnet, 224,
              "ProxylessNAS-Mobile, Cai et al., ICLR 2019, arXiv:1812.00332"),
    Reference("efficientnet_b0", efficientnet.efficientnet_b0, 224, "EfficientNet-B0, Tan & Le, ICML 2019, arXiv:1905.11946"),
    Reference("regnety_400m", regnet.regnety_400m, 224, "RegNetY-400MF, Radosavovic et al., CVPR 2020, arXiv:2003.13678"),
    Reference("blazeface", blazeface.blazeface, 128, "BlazeFace (front backbone), Bazarevsky et al., arXiv:1907.05047"),
    Reference("googlenet", googlenet.googlenet, 224, "GoogLeNet (Inception v1), Szegedy et al., CVPR 2015, arXiv:1409.4842"),
    Reference("resnet18", resnet.resnet18, 224, "ResNet-18, He et al., CVPR 2016, arXiv:1512.03385"),
    Reference("alexnet", alexnet.alexnet, 227, "AlexNet (caffe bvlc_alexnet), Krizhevsky et al., NIPS 2012"),
    Reference("vgg16", vgg.vgg16, 224, "VGG-16 (D), Simonyan & Zisserman, ICLR 2015, arXiv:1409.1556"),
    Reference("resnet50", resnet.resnet50, 224, "ResNet-50, He et al., CVPR 2016, arXiv:1512.03385"),
    Reference("vision_transformer", vit.vision_transformer, 384, "ViT-B/32 at 384, Dosovitskiy et al., ICLR 2021, arXiv:2010.11929"),
    # not benchmarked by benchncnn: the paper's final network, a peer a user would compare CloFormer with
    Reference("mobilenet_v3_large", mobilenet.mobilenet_v3_large, 224,
              "MobileNetV3-Large 1.0, Howard et al., ICCV 2019, arXiv:1905.02244"),
)
REFERENCES: dict[str, Reference] = {r.name: r for r in _ROWS}


def list_references() -> list[str]:
    """Reference names, in benchncnn's row order, then the rest."""
    return list(REFERENCES)


def create_reference(name: str, num_classes: int = 1000, seed: int = 0) -> nn.Module:
    """Build a reference network with seeded random weights, in eval mode."""
    if name not in REFERENCES:
        raise ModelError(f"unknown reference model {name!r}; choose one of: {', '.join(REFERENCES)}")
    if num_classes < 1:
        raise ModelError(f"num_classes must be at least 1, got {num_classes}")
    torch.manual_seed(seed)
    return build_reference(name, num_classes)


def build_reference(name: str, num_classes: int) -> nn.Module:
    """A registered reference network with `initialize`'s weights, from the current random state."""
    return initialize(REFERENCES[name].build(num_classes), REFERENCES[name].input_size)


def initialize(model: nn.Module, size: int = 224) -> nn.Module:
    """Weights as torchvision initialises these families (kaiming-normal fan-out convolutions, N(0, 0.01)
    linears), then batch-norm statistics from two seeded random images, as a trained network has its own.
    Without them an eval-mode batch norm does not normalise and activations shrink block after block
    (EfficientNet-B0's last features at 1e-14), leaving output checks and int8 calibration nothing to measure."""
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            else:
                nn.init.normal_(m.weight, 0, 0.01)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    if norms:
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # a plain average over the batches seen
        with torch.no_grad():
            model.train()(torch.randn(2, 3, size, size))
        for m in norms:
            m.momentum = 0.1
    return model.eval()
