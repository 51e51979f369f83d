"""ncnn: the model traced (TorchScript) and converted by pnnx into a `.ncnn` folder holding
model.ncnn.param and model.ncnn.bin, the pair an app hands to `ncnn::Net`; parity in ncnn's Python
binding (guest.py, which the emulated ARM64 machine also runs with ncnn's aarch64 wheel).

Precisions are ncnn's runtime options (guest.py's OPTIONS, named by the manifest's backend): fp32
turns ncnn's default fp16 storage and arithmetic off; fp16 stores the weights in fp16 and turns them
on (ARMv8.2 CPUs compute in fp16; x86 only stores in it). int8 needs ncnn's ncnn2table and ncnn2int8
tools, which no package reachable here ships.

Deploy form: see `passes` (0.32x the instructions of the ONNX target's graph through pnnx, fp16).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import warnings
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from ...errors import ExportError, Unverifiable, UsageError, shortened
from ...files import sha256
from ...placement import fixes
from ..base import TAPS, Guest, Rows, Runner, Target, by_count, missing_modules, ops_summary, register
from . import guest as binding
from .guest import BIN, INPUT, OUTPUT, PARAM

if TYPE_CHECKING:
    from ...diagnose import Probe
    from ...request import ExportRequest

# ncnn's layers with ARM NEON kernels (Tencent/ncnn src/layer/arm/*_arm.cpp @ a4d2ea1, 2026-07-22):
# the rest run ncnn's generic C++ on unpacked (one float per lane) data, with a repack around them.
ARM_LAYERS = frozenset({
    "AbsVal", "BatchNorm", "Bias", "BinaryOp", "Cast", "Clip", "Concat", "Convolution1D", "Convolution",
    "ConvolutionDepthWise", "Crop", "Deconvolution", "DeconvolutionDepthWise", "Dequantize", "Dropout", "Eltwise",
    "ELU", "Erf", "Flatten", "GELU", "Gemm", "GroupNorm", "GRU", "HardSigmoid", "HardSwish", "InnerProduct",
    "InstanceNorm", "Interp", "LayerNorm", "LRN", "LSTM", "MatMul", "Mish", "MultiHeadAttention", "Packing",
    "Padding", "PixelShuffle", "Pooling", "PReLU", "Quantize", "ReLU", "Requantize", "Reshape", "RMSNorm", "RNN",
    "RotaryEmbed", "Scale", "SDPA", "SELU", "ShuffleChannel", "Sigmoid", "Slice", "Softmax", "Swish", "TanH",
    "UnaryOp",
})
FREE_LAYERS = frozenset({"Input", "MemoryData", "Split", "Noop"})  # no arithmetic: the input, constants, reference counts
ARM_PATH = "ncnn ARM NEON kernels (src/layer/arm)"
CONVERT_TIMEOUT = 600  # s: the whole ncnn export of XXS 224² took 8 s here


def layers(param: Path) -> list[tuple[str, str, list[str], list[str]]]:
    """(type, name, bottoms, tops) of every layer of an ncnn param file, in order."""
    lines = param.read_text().split("\n")
    out = []
    for line in lines[2:]:  # the magic number, then the layer and blob counts
        fields = line.split()
        if len(fields) >= 4:
            n_in, n_out = int(fields[2]), int(fields[3])
            out.append((fields[0], fields[1], fields[4:4 + n_in], fields[4 + n_in:4 + n_in + n_out]))
    return out


class _Tapped(torch.nn.Module):
    """The model as its chain of segments, returning the logits, then each segment's output but the last:
    pnnx names them out0, out1, ... So the artifact carries a named blob at every diagnosis cut
    (`cloformer-diagnose` extracts them); ncnn computes only the blobs a caller extracts."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.chain = torch.nn.ModuleList(module for _, module in model.segments())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        taps = []
        for module in self.chain:
            x = module(x)
            taps.append(x)
        return (taps[-1], *taps[:-1])


def _convert(model: torch.nn.Module, example: torch.Tensor, work: Path, fp16: bool) -> str:
    """Trace and run pnnx's converter into `work`; returns its diagnostics. The converter's own binary is
    called with pnnx.convert's command line: that wrapper drops its exit status and its messages."""
    from pnnx import EXEC_PATH

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarning: the model's loops are static at a fixed input size
        traced = torch.jit.trace(model.eval(), (example,))
    traced.save(str(work / "model.pt"))
    shape = ",".join(map(str, example.shape))
    names = {"pnnxparam": "model.pnnx.param", "pnnxbin": "model.pnnx.bin", "pnnxpy": "model_pnnx.py",
             "pnnxonnx": "model.pnnx.onnx", "ncnnparam": PARAM, "ncnnbin": BIN, "ncnnpy": "model_ncnn.py"}
    command = [EXEC_PATH, "model.pt", f"inputshape=[{shape}]f32", "device=cpu", "optlevel=2",
               *(f"{key}={value}" for key, value in names.items()), f"fp16={int(fp16)}"]
    try:
        done = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=CONVERT_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ExportError(f"pnnx did not finish converting within {CONVERT_TIMEOUT} s") from None
    said = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    if done.returncode or not (work / PARAM).is_file():
        raise ExportError(f"pnnx could not convert the model (exit {done.returncode}): "
                          f"{shortened(said[-1] if said else 'no message')}")
    return done.stderr


def _refuse_unconverted(found: Counter, diagnostics: str, applied: tuple[str, ...]) -> None:
    """One line naming each op pnnx left as a torch op (ncnn has no layer for it) and the pass that removes it."""
    import ncnn

    missing = {op: n for op, n in found.items() if ncnn.layer_to_index(op) < 0}
    if not missing:
        return
    parts = []
    for op, n in sorted(missing.items(), key=lambda kv: -kv[1]):
        short = op.rsplit(".", 1)[-1].lower()
        rank = re.search(rf"{re.escape(short)}\b.*rank (\d+)", diagnostics)
        fix = fixes(f"{op} (rank {rank.group(1)})" if rank else op, applied)
        which = f"pass {fix[0]} removes" if len(fix) == 1 else f"passes {', '.join(fix)} remove"
        parts.append(f"{op} x{n}" + (f" (the deploy-form {which} it)" if fix else ""))
    reasons = sorted({line.strip() for line in diagnostics.splitlines() if "support" in line})
    why = f" (pnnx: {'; '.join(reasons)})" if reasons else ""
    advice = ("export without --no-rewrite" if any("deploy-form pass" in p for p in parts)
              else "no deploy-form pass removes them yet")
    raise ExportError(f"ncnn has no layer for {', '.join(parts)}{why}; {advice}")


def _pin_input(param: Path, shape: torch.Size) -> None:
    """Give the Input layer its size (0=w 1=h 2=c): ncnn plans with it, and the artifact says how to feed it."""
    text = param.read_text().split("\n")
    for i, line in enumerate(text):
        fields = line.split()
        if fields[:1] == ["Input"]:
            text[i] = f"{line.rstrip()} 0={shape[3]} 1={shape[2]} 2={shape[1]}"
            break
    param.write_text("\n".join(text))


def _placement(found: list[tuple[str, str, list[str], list[str]]]) -> list[dict]:
    working = [(kind, name) for kind, name, _, _ in found if kind not in FREE_LAYERS]
    return [{"path": ARM_PATH, "partitions": None, "ops": len(working),
             "ops_on_path": sum(kind in ARM_LAYERS for kind, _ in working),
             "off": [(f"{kind} (generic C++)", "") for kind, _ in working if kind not in ARM_LAYERS]}]


@register
class NcnnTarget(Target):
    name = "ncnn"
    order = 35
    suffix = ".ncnn"
    runtime = "ncnn (Python binding, CPU)"
    summary = "ncnn folder (model.ncnn.param + .bin) converted by pnnx; parity in ncnn's Python binding"
    precision_summary = ("fp16: fp16 weights, ncnn's fp16 storage and arithmetic on (ARMv8.2); "
                         "fp32 turns them off (runtime options, in the manifest)")
    result_runtime, runtime_package = "ncnn", "ncnn"
    guest = Guest("ncnn", loader=resources.files(__package__) / "guest.py", wheels=("ncnn",))
    section = {"layers": {"type": "integer", "minimum": 1, "description": "layers in the param file"},
               "input": {"type": "string", "description": "the input blob's name"},
               "output": {"type": "string", "description": "the output blob's name"},
               "options": {"type": "object", "additionalProperties": {"type": "boolean"},
                           "description": "ncnn Option flags to set before loading (the backend's)"},
               "files": {"type": "object", "additionalProperties": {"$ref": "#/$defs/sha256"},
                         "description": "sha256 of each file in the folder"}}
    packages = ("pnnx", "ncnn")
    # Measured on XXS 224², emulated Cortex-A76, one thread, M instructions per inference (cloformer-bench
    # arm64; fp16 = backend cpu-fp16):                                        fp16     fp32
    #   ONNX-like: fold_batchnorm, groupnorm_as_mean, fold_norm_affine,
    #              local_qkv_slices, global_attention_bmm, separate_qkv       456.9
    #   local_qkv_slices, global_attention_bmm (ncnn's own GroupNorm)         448.5    588.8
    #     + groupnorm_as_mean, fold_norm_affine                               456.4
    #     + separate_qkv                                                      449.0
    #     + split_depthwise                                                   438.5
    #   local_qkv_slices, global_attention_conv                               157.4    300.9
    #     + split_depthwise                                                   147.4    283.0   <- taken
    # Per layer (each layer's top blob extracted in turn): the 48 Reshape of the full-size q and output were
    # 58 % of the instructions; global_attention_conv reshapes only the pooled keys and values.
    # fold_norm_affine is left out: pnnx cannot convert a GroupNorm without affine parameters.
    passes = ("local_qkv_slices", "global_attention_conv", "split_depthwise")

    def precisions(self, request: ExportRequest) -> tuple[str, ...]:
        return ("fp32", "fp16")

    def precision_note(self, request: ExportRequest) -> str:
        return ("ncnn int8 needs ncnn's calibration tools (ncnn2table, ncnn2int8), which neither the ncnn nor the "
                "pnnx wheel ships (nor Debian); it takes fp32, fp16")

    def unavailable(self) -> str | None:
        missing = missing_modules("pnnx", "ncnn")
        return missing and f"needs {missing}, not installed here; pip install 'cloformer[ncnn]'"

    def validate(self, request: ExportRequest) -> None:
        super().validate(request)
        if request.batch != 1:
            raise UsageError(f"--target ncnn runs one image per call (ncnn's Mat has no batch axis), not "
                             f"--batch {request.batch}; pass --batch 1")

    def backend(self, request: ExportRequest) -> str:
        return "cpu-fp16" if request.precision == "fp16" else "cpu"

    def export(self, model: torch.nn.Module, example: torch.Tensor, request: ExportRequest, path: Path) -> dict:
        applied = self.rewrites(request) if request.rewrite else ()
        with tempfile.TemporaryDirectory(prefix="cloformer-pnnx-") as tmp:
            work = Path(tmp)
            tapped = _Tapped(model) if hasattr(model, "segments") else model  # a segment alone has no cuts
            diagnostics = _convert(tapped, example, work, fp16=request.precision == "fp16")
            found = layers(work / PARAM)
            counts = Counter(kind for kind, *_ in found)
            _refuse_unconverted(counts, diagnostics, applied)
            _pin_input(work / PARAM, example.shape)
            path.mkdir()
            for name in (PARAM, BIN):
                shutil.move(work / name, path / name)  # the temp folder may be on another file system
        return {"ops": by_count(counts), "placement": _placement(found),
                "ncnn": {"layers": len(found), "input": INPUT, "output": OUTPUT,
                         "options": binding.OPTIONS[self.backend(request)],
                         "files": {name: sha256(path / name) for name in (PARAM, BIN)}}}

    def damaged(self, artifact: Path, record: dict) -> str | None:
        for name, digest in record["ncnn"]["files"].items():
            if not (artifact / name).is_file():
                return f"{artifact} lacks {name} (an ncnn model is the param and its bin together); re-export it"
            if sha256(artifact / name) != digest:
                return (f"{artifact}/{name} is not the one exported with {record['artifact']} (sha256 differs): "
                        "its param and bin come from different exports; re-export it")
        return None

    def intermediates(self, artifact: Path, probe: Probe) -> tuple[str, dict]:
        """The blob at each cut, extracted from the artifact itself: out1... (the export named them)."""
        if missing_modules("ncnn"):
            raise Unverifiable("ncnn's runtime is not installed here: pip install 'cloformer[ncnn]'")
        blobs = {name: f"out{i + 1}" for i, name in enumerate(probe.names[:-1])} | {probe.names[-1]: OUTPUT}
        named = {top for *_, tops in layers(artifact / PARAM) for top in tops}
        taps = {name: blob for name, blob in blobs.items() if blob in named}
        net = binding.net(str(artifact), self.backend(probe.request), light=False)
        return TAPS, dict(zip(taps, binding.run(net, probe.inputs[0], tuple(taps.values()))))

    def runner(self, path: Path, backend: str | None, threads: int | None = None) -> Runner:
        if missing_modules("ncnn"):
            raise Unverifiable("ncnn's runtime is not installed here: pip install 'cloformer[ncnn]'")
        try:
            net = binding.net(str(path), backend or "cpu", threads or 1)
        except RuntimeError as e:
            raise ExportError(f"{path}: {e}; re-export it") from None
        return lambda x: binding.run(net, x)[0]

    def io_shapes(self, path: Path) -> tuple[list[int], list[int]]:
        shape = binding.input_shape(str(path))
        if missing_modules("ncnn"):
            raise Unverifiable("ncnn's runtime is not installed here: pip install 'cloformer[ncnn]'")
        logits = self.runner(path, "cpu")(np.zeros(shape, dtype=np.float32))
        return shape, list(logits.shape)

    def result_backend(self, manifest: dict) -> str:
        return manifest["backend"]

    def report_rows(self, tag: str, naive: dict, deploy: dict) -> Rows:
        def off(manifest: dict) -> str:
            return ops_summary({item["op"]: item["count"] for item in manifest["placement"][0]["off"]})

        return [(f"{tag}: layers", str(naive["ncnn"]["layers"]), str(deploy["ncnn"]["layers"])),
                (f"{tag}: layers without ARM kernels", off(naive), off(deploy))]
