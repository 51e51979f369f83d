"""Slow: every reference converts with pnnx to ncnn at the benchmark's input size, with every layer
known to ncnn, runs there, and has the same convolution / fully connected weights as benchncnn's
.param file of the same name (count of such layers, total of their weight_data_size)."""
import subprocess
import warnings

import numpy as np
import pytest
import torch

from cloformer.models.reference import REFERENCES, list_references

pytestmark = pytest.mark.slow
pnnx = pytest.importorskip("pnnx")
ncnn = pytest.importorskip("ncnn")

# From benchncnn's benchmark/models/<name>.param: (layers, total weight_data_size) over Convolution,
# ConvolutionDepthWise, InnerProduct, Gemm (N*K) and MultiHeadAttention (one projection).
BENCHMARK_WEIGHTS = {
    "squeezenet": (26, 1_231_552), "mobilenet": (28, 4_209_088), "mobilenet_v2": (54, 3_470_784),
    "mobilenet_v3": (64, 5_115_080), "shufflenet": (50, 1_789_998), "shufflenet_v2": (57, 2_261_424),
    "mnasnet": (53, 4_344_392), "proxylessnasnet": (62, 4_046_296), "efficientnet_b0": (82, 5_236_192),
    "regnety_400m": (86, 4_310_784), "blazeface": (33, 86_418), "googlenet": (58, 6_990_272),
    "resnet18": (22, 11_683_008), "alexnet": (8, 60_954_656), "vgg16": (16, 138_344_128),
    "resnet50": (54, 25_502_912), "vision_transformer": (38, 66_828_288),
}
# and the peer benchncnn does not run: the paper's final MobileNetV3-Large (its .param is arXiv v1's)
OURS = dict(BENCHMARK_WEIGHTS, mobilenet_v3_large=(64, 5_451_272))
WEIGHT_KEY = {"Convolution": "6", "ConvolutionDepthWise": "6", "InnerProduct": "2", "MultiHeadAttention": "2"}


def convert(model: torch.nn.Module, size: int, folder) -> tuple[list[tuple[str, dict]], object]:
    x = torch.rand(1, 3, size, size)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecation of tracing, and TracerWarning: shapes are fixed here
        torch.jit.trace(model, (x,)).save(str(folder / "m.pt"))
    run = subprocess.run([pnnx.EXEC_PATH, "m.pt", f"inputshape=[1,3,{size},{size}]f32", "device=cpu", "optlevel=2",
                          "ncnnparam=m.ncnn.param", "ncnnbin=m.ncnn.bin", "pnnxparam=m.pnnx.param",
                          "pnnxbin=m.pnnx.bin", "pnnxpy=m_pnnx.py", "pnnxonnx=m.pnnx.onnx", "ncnnpy=m_ncnn.py", "fp16=1"],
                         cwd=folder, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    layers = []
    for line in (folder / "m.ncnn.param").read_text().splitlines()[2:]:
        fields = line.split()
        n = 4 + int(fields[2]) + int(fields[3])
        layers.append((fields[0], dict(kv.split("=", 1) for kv in fields[n:] if not kv.startswith("-"))))
    net = ncnn.Net()
    net.load_param(str(folder / "m.ncnn.param"))
    net.load_model(str(folder / "m.ncnn.bin"))
    extractor = net.create_extractor()
    extractor.input("in0", ncnn.Mat(x[0].numpy()).clone())
    code, out = extractor.extract("out0")
    assert code == 0
    return layers, np.array(out)


def weights(layers: list[tuple[str, dict]]) -> tuple[int, int]:
    sizes = [int(p["8"]) * int(p["9"]) if kind == "Gemm" else int(p[WEIGHT_KEY[kind]])
             for kind, p in layers if kind in WEIGHT_KEY or kind == "Gemm"]
    return len(sizes), sum(sizes)


@pytest.mark.parametrize("name", list_references())
def test_converts_with_known_layers_only(name, tmp_path):
    reference = REFERENCES[name]
    torch.manual_seed(0)
    layers, out = convert(reference.build(1000).eval(), reference.input_size, tmp_path)
    assert [kind for kind, _ in layers if ncnn.layer_to_index(kind) < 0] == []
    side = reference.input_size // 16
    assert out.shape == ((96, side, side) if name == "blazeface" else (1000,))
    assert weights(layers) == OURS[name]

