"""How ncnn runs an artifact: its Python binding's `Net` on the folder's param and bin, with the
runtime options the artifact's backend names. The host runner imports it; the emulated ARM64 machine
(`cloformer-bench arm64`) loads this file in its python3.11 with ncnn's aarch64 wheel, where nothing of
cloformer is importable."""
import os

PARAM, BIN = "model.ncnn.param", "model.ncnn.bin"
INPUT, OUTPUT = "in0", "out0"  # the blob names pnnx gives a single-input, single-output model

# Backend -> ncnn's `Option` flags. ncnn turns fp16 storage and arithmetic on by default wherever the CPU
# has them (ARMv8.2 on); an fp32 artifact turns them off, so that it computes in fp32 on every CPU.
OPTIONS = {
    "cpu": {"use_fp16_storage": False, "use_fp16_packed": False, "use_fp16_arithmetic": False,
            "use_bf16_storage": False},
    "cpu-fp16": {"use_fp16_storage": True, "use_fp16_packed": True, "use_fp16_arithmetic": True,
                 "use_bf16_storage": False},
}


def net(folder: str, backend: str = "cpu", threads: int = 1, light: bool = True):
    """An ncnn `Net` loaded from the artifact folder (raises RuntimeError when ncnn refuses a file)."""
    import ncnn

    model = ncnn.Net()
    model.opt.num_threads = threads
    for name, value in OPTIONS[backend].items():
        setattr(model.opt, name, value)
    model.opt.lightmode = light
    for load, name in ((model.load_param, PARAM), (model.load_model, BIN)):
        if load(os.path.join(folder, name)) != 0:
            raise RuntimeError(f"ncnn cannot load {name}")
    return model


def run(model, x, blobs=(OUTPUT,)):
    """The named blobs' values for the NCHW float32 input `x` (batch 1), each with a leading batch axis."""
    import ncnn
    import numpy as np

    extractor = model.create_extractor()
    extractor.input(INPUT, ncnn.Mat(np.ascontiguousarray(x[0], dtype=np.float32)).clone())
    values = []
    for blob in blobs:
        status, mat = extractor.extract(blob)
        if status != 0:
            raise RuntimeError(f"ncnn could not compute blob {blob} (status {status})")
        values.append(np.array(mat)[None].copy())
    return values


def input_shape(folder: str) -> list:
    """[1, C, H, W] from the param's Input layer (0=w 1=h 2=c: the export writes them, pnnx does not)."""
    with open(os.path.join(folder, PARAM)) as f:
        for line in f:
            fields = line.split()
            if fields and fields[0] == "Input":
                size = dict(field.split("=", 1) for field in fields[4:] if "=" in field)
                return [1, int(size.get("2", 0)), int(size.get("1", 0)), int(size.get("0", 0))]
    raise RuntimeError(f"{PARAM} has no Input layer")


def load(folder: str, backend=None):
    """(input shape, run): run takes the float32 input array and returns the logits."""
    model = net(folder, backend or "cpu")
    return input_shape(folder), lambda x: run(model, x)[0]
