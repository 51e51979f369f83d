"""How MNN runs an artifact: its Python binding's Module API on the `.mnn` file, with the CPU precision
the artifact's backend names. The host runner imports it; the emulated ARM64 machine (`cloformer-bench
arm64`) loads this file in its python3.11 with MNN's aarch64 wheel, where nothing of cloformer is
importable."""
INPUT, OUTPUT = "input", "logits"  # the names the shared ONNX graph gives its input and output

# Backend -> MNN's CPU precision: "high" computes in fp32 everywhere; "low" computes in fp16 where the
# CPU has fp16 arithmetic (ARMv8.2 on), in fp32 elsewhere.
PRECISION = {"cpu": "high", "cpu-fp16": "low"}


def module(path: str, backend: str = "cpu", threads: int = 1, outputs=(OUTPUT,)):
    """An MNN Module computing `outputs` (tensor names) from the input."""
    import MNN.nn as nn

    config = {"backend": "CPU", "precision": PRECISION[backend], "numThread": threads}
    runtime = nn.create_runtime_manager((config,))
    return nn.load_module_from_file(path, [INPUT], list(outputs), runtime_manager=runtime)


def run(net, x):
    """The module's outputs (NCHW float32 arrays) for the NCHW float32 input `x`."""
    import MNN.expr as F
    import numpy as np

    x = np.ascontiguousarray(x, dtype=np.float32)
    values = net.forward([F.const(x, list(x.shape), F.NCHW)])
    return [np.array(F.convert(v, F.NCHW).read()).copy() for v in values]


def input_shape(path: str) -> list:
    """The input's shape as the file declares it."""
    import MNN.expr as F

    return [int(d) for d in F.load_as_dict(path)[INPUT].shape]


def load(path: str, backend=None):
    """(input shape, run): run takes the float32 input array and returns the logits."""
    net = module(path, backend or "cpu")
    return input_shape(path), lambda x: run(net, x)[0]
