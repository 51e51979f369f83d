"""Core ML: torch.export -> coremltools ML program (`.mlpackage`).

Precision: fp32 and fp16 are the program's compute precision; int8 is fp16 compute with int8
weights (per-channel symmetric linear quantization, dequantized at load); `--compress
palettizeN` stores fp16 weights as N-bit indices into k-means tables (coremltools.optimize).

The `torch.jit.trace` route fails on this model (an `int` op from `h*w//ws**2`), so the
converter reads the `torch.export` program. Core ML runs only on Apple platforms
(`MLModel.predict` is macOS-only), so parity reads the saved program back and evaluates it with
the MIL reference evaluator (export/mil_reference.py); latency is the iOS app's to measure.
"""
from __future__ import annotations

import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ....models import describe_model, is_reference, model_config
from ... import parity
from ...errors import UsageError
from ...inputs import preprocessing
from ...options import Options, option
from ..base import TAPS, AppRun, Rows, Target, boundary, inside, missing_modules, op_counts, ops_summary, register
from ..shared.apple import COMPUTE_UNITS, DEPLOYMENT_TARGET, compute_unit, deployment_target
from . import ane, mil_reference, spec

if TYPE_CHECKING:
    from ...diagnose import Probe
    from ...request import ExportRequest

INPUT_NAME, OUTPUT_NAME = "input", "logits"


def _operations(spec):
    """Every op of an ML program spec, nested blocks included."""
    def walk(block):
        for op in block.operations:
            yield op
            for nested in op.blocks:
                yield from walk(nested)

    for function in spec.mlProgram.functions.values():
        for block in function.block_specializations.values():
            yield from walk(block)


def mil_ops(spec) -> list[str]:
    return [op.type for op in _operations(spec)]


def max_tensor_rank(spec) -> int:
    """Largest rank of any op output (the ANE handles rank <= 4 best)."""
    return max((out.type.tensorType.rank for op in _operations(spec) for out in op.outputs
                if out.type.HasField("tensorType")), default=0)


def _program(model: torch.nn.Module, example: torch.Tensor) -> torch.export.ExportedProgram:
    return torch.export.export(model, (example,)).run_decompositions({})


def _in_program(name: str, env: dict) -> str | None:
    """A torch.export node's variable in the MIL program: its own name, or with the suffix the
    fp16 pass gives every variable it casts."""
    return next((n for n in (name, f"{name}_cast_fp16") if n in env), None)


def _identity_input(node) -> str | None:
    """For x (+, -, *, /) a broadcast constant, the node that MIL's no-op elimination keeps in
    its place when the constant is the identity; None for any other op."""
    aten = torch.ops.aten
    if node.target not in (aten.add.Tensor, aten.sub.Tensor, aten.mul.Tensor, aten.div.Tensor):
        return None
    shape = node.meta["val"].shape
    full = [a for a in node.all_input_nodes if getattr(a.meta.get("val"), "shape", None) == shape]
    return full[0].name if len(full) == 1 else None


@dataclass(frozen=True)
class CoreMLOptions(Options):
    compute_units: str = option(**COMPUTE_UNITS)
    deployment_target: str = option(**DEPLOYMENT_TARGET)
    compress: str = option(
        "none", "Core ML weight palettization (default none): palettizeN stores each weight as an N-bit index "
        "into a k-means table (coremltools.optimize.coreml), one per tensor or per --palette-group; with "
        "--precision fp16", choices=("none", "palettize2", "palettize3", "palettize4", "palettize6", "palettize8"))
    palette_group: int = option(
        0, "with --compress palettizeN: one k-means table per N output channels (coremltools' per_grouped_channel) "
        "instead of one per tensor (0, the default)", metavar="N", needs="--compress palettizeN", low=0,
        high=65536)

    def takes(self, precision: str) -> frozenset[str]:
        fields = {"compute_units", "deployment_target", "compress"}
        return frozenset(fields | {"palette_group"} if self.compress != "none" else fields)

    @property
    def weights(self) -> str:
        """The manifest's description of the stored weights, for a palettized program."""
        nbits = self.compress.removeprefix("palettize")
        per = f"per {self.palette_group} output channels" if self.palette_group else "per tensor"
        return f"{nbits}-bit palette (k-means, {per})"


_WEIGHTS = {"fp32": "float32", "fp16": "float16", "int8": "int8 linear symmetric, per output channel"}


def _compressed(mlmodel, precision: str, options: CoreMLOptions):
    """int8 weights or palettes, on the fp16 program (coremltools.optimize.coreml); weights
    smaller than coremltools' default threshold (2048 elements: biases, norms) stay fp16."""
    import coremltools.optimize.coreml as cto

    if options.compress != "none":
        nbits = int(options.compress.removeprefix("palettize"))
        grouped = dict(granularity="per_grouped_channel", group_size=options.palette_group) if options.palette_group else {}
        config = cto.OptimizationConfig(global_config=cto.OpPalettizerConfig(mode="kmeans", nbits=nbits, **grouped))
        return cto.palettize_weights(mlmodel, config)
    if precision == "int8":
        config = cto.OptimizationConfig(global_config=cto.OpLinearQuantizerConfig(mode="linear_symmetric"))
        return cto.linear_quantize_weights(mlmodel, config)
    return mlmodel


@register
class CoreMLTarget(Target):
    name = "coreml"
    order = 20
    suffix = ".mlpackage"
    runtime = "mil-reference"
    measures_latency = False
    summary = "Core ML ML program; runs on Apple platforms, parity here in the MIL reference evaluator"
    Options = CoreMLOptions
    default = True  # the README's first command
    result_runtime, runtime_package = "coreml", "coremltools"
    apps = {"ios": AppRun("coreml")}
    section = {
        "compute_precision": {"enum": ["float32", "float16"]},
        "weights": {"type": "string", "description": "how the weights are stored"},
        "mil_ops": {"type": "integer", "minimum": 0}, "transposes": {"type": "integer", "minimum": 0},
        "max_tensor_rank": {"type": "integer", "minimum": 0},
        "off_ane_list": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1},
                         "description": "reason -> ops of the program outside the ANE op list (ane.py)"},
        "input": {"type": "string"}, "output": {"type": "string"}}
    packages = ("coremltools",)
    loggers = ("coremltools",)
    precision_summary = ("fp16: fp16 compute precision; int8: fp16 compute, int8 weights; "
                         "--compress palettizeN (with fp16): N-bit weight palettes")
    # XXS MIL program naive -> rewritten: 36 -> 0 transposes, max tensor rank 5 -> 4.
    passes = ("fold_batchnorm", "groupnorm_as_mean", "fold_norm_affine", "local_qkv_slices", "global_attention_bmm")

    def unavailable(self) -> str | None:
        # coremltools 9.0 ships wheels for macOS and x86_64 Linux only; pyproject skips it elsewhere.
        return missing_modules("coremltools") and ("needs coremltools, which has no build for this platform "
                                                   "(macOS and x86_64 Linux only); export Core ML on one of those")

    def precisions(self, request: ExportRequest) -> tuple[str, ...]:
        return ("fp16",) if self.settings(request).compress != "none" else ("fp32", "fp16", "int8")

    def precision_note(self, request: ExportRequest) -> str:
        return f"--compress {self.settings(request).compress} stores fp16 palettes; use --precision fp16"

    def tolerance(self, request: ExportRequest) -> parity.Tolerance:
        return parity.LOSSY if self.settings(request).compress != "none" else super().tolerance(request)

    def tag(self, request: ExportRequest) -> str:
        options = self.settings(request)
        group = f"g{options.palette_group}" if options.palette_group else ""
        return self.name if options.compress == "none" else f"{self.name}_{options.compress}{group}"

    def validate(self, request: ExportRequest) -> None:
        super().validate(request)
        options = self.settings(request)
        # Core ML 8 (iOS 18) features: grouped palettes, and 3-bit tables (iOS 17 takes 1, 2, 4, 6 or 8 bits).
        grouped = options.palette_group and options.compress != "none"  # else: "does not apply" (request.py)
        for needs, flag in ((grouped, "--palette-group"), (options.compress == "palettize3", "--compress palettize3")):
            if needs and options.deployment_target < "iOS18":
                raise UsageError(f"{flag} needs --deployment-target iOS18 (a Core ML 8 feature), not "
                                 f"{options.deployment_target}")

    def export(self, model: torch.nn.Module, example: torch.Tensor, request: ExportRequest, path: Path) -> dict:
        import coremltools as ct

        logging.getLogger("coremltools").setLevel(logging.ERROR)
        options = self.settings(request)
        program = _program(model, example)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "torch 2.13 has not been tested with coremltools"
            mlmodel = ct.convert(
                program, convert_to="mlprogram",
                inputs=[ct.TensorType(name=INPUT_NAME, shape=tuple(example.shape))],
                outputs=[ct.TensorType(name=OUTPUT_NAME)],
                minimum_deployment_target=deployment_target(options.deployment_target),
                compute_precision=ct.precision.FLOAT32 if request.precision == "fp32" else ct.precision.FLOAT16,
                compute_units=compute_unit(options.compute_units),
                skip_model_load=True,  # loading compiles the model: macOS only
            )
            mlmodel = _compressed(mlmodel, request.precision, options)
        self._describe(mlmodel, request, options.compute_units, example)
        mlmodel.save(str(path))
        spec = mlmodel.get_spec()
        ops = mil_ops(spec)
        off_ane = ane.off_list(_operations(spec))
        compute = [op for op in ops if op != "const"]
        return {"ops": op_counts(ops),
                "coreml": {"compute_precision": "float32" if request.precision == "fp32" else "float16",
                           "weights": options.weights if options.compress != "none" else _WEIGHTS[request.precision],
                           "mil_ops": len(ops), "transposes": ops.count("transpose"),
                           "max_tensor_rank": max_tensor_rank(spec),
                           "off_ane_list": ane.counts(off_ane),
                           "input": INPUT_NAME, "output": OUTPUT_NAME},
                # modules here are MIL op names: Core ML keeps no module paths
                "placement": [{"path": "Apple Neural Engine (op list, export/targets/coreml/ane.py)", "partitions": None,
                               "ops_on_path": len(compute) - len({name for _, name in off_ane}),
                               "ops": len(compute), "off": off_ane}]}

    @staticmethod
    def _describe(mlmodel, request: ExportRequest, compute_units: str, example: torch.Tensor) -> None:
        from importlib.metadata import version

        b, c, h, w = example.shape
        mlmodel.author = "cloformer-export"
        mlmodel.license = ("" if is_reference(request.model) else "MIT (CloFormer architecture); ") + "weights: " + (
            f"checkpoint {Path(request.checkpoint).name}" if request.checkpoint else "random init, untrained")
        mlmodel.version = version("cloformer")
        mlmodel.short_description = (f"{describe_model(request.model)}: image classifier, "
                                     f"{request.num_classes} classes, input {h}x{w}")
        mlmodel.input_description[INPUT_NAME] = (
            f"float32 NCHW ({b}, {c}, {h}, {w}): RGB scaled to [0, 1], normalized with ImageNet mean/std")
        mlmodel.output_description[OUTPUT_NAME] = f"float32 ({b}, {request.num_classes}) class logits"
        mlmodel.user_defined_metadata.update({
            "com.cloformer.model": request.model,
            "com.cloformer.config": json.dumps(model_config(request.model)),
            "com.cloformer.preprocessing": json.dumps(preprocessing(h, w)),
            "com.cloformer.compute_units": compute_units,
        })

    def runner(self, path: Path, backend: str | None, threads: int | None = None):
        return mil_reference.evaluator(path)

    def io_shapes(self, path: Path) -> tuple[list[int], list[int]]:
        description = spec.load(path).description
        return tuple([int(d) for d in feature.type.multiArrayType.shape]  # type: ignore[return-value]
                     for feature in (description.input[0], description.output[0]))

    def report_rows(self, tag: str, naive: dict, deploy: dict) -> Rows:
        a, b = naive["coreml"], deploy["coreml"]
        changed = sorted(set(naive["ops"]) | set(deploy["ops"]))
        diff = ", ".join(f"{op} {naive['ops'].get(op, 0)}->{deploy['ops'].get(op, 0)}" for op in changed
                         if op != "const" and naive["ops"].get(op, 0) != deploy["ops"].get(op, 0))
        return [(f"{tag}: MIL ops (non-const)", str(a["mil_ops"] - naive["ops"].get("const", 0)),
                 str(b["mil_ops"] - deploy["ops"].get("const", 0))),
                (f"{tag}: transposes", str(a["transposes"]), str(b["transposes"])),
                (f"{tag}: max tensor rank", str(a["max_tensor_rank"]), str(b["max_tensor_rank"])),
                (f"{tag}: ops off the ANE list (targets/coreml/ane.py)", ops_summary(a["off_ane_list"]),
                 ops_summary(b["off_ane_list"])),
                (f"{tag}: op types that changed", diff, "")]

    def intermediates(self, artifact: Path, probe: Probe) -> tuple[str, dict]:
        """Each segment's output read from the MIL evaluator's variables, which keep the node
        names of the `torch.export` program the converter read (re-exported here from the
        same deploy form; the names are deterministic)."""
        output, run = mil_reference.environment(artifact)
        env = run(probe.inputs[0])
        graph = _program(probe.model, torch.from_numpy(probe.inputs[0])).graph
        nodes = {node.name: node for node in graph.nodes}
        taps = {probe.names[-1]: output}
        for name in probe.names[:-1]:
            value = boundary(((inside(node, name), [a.name for a in node.all_input_nodes], [node.name])
                              for node in graph.nodes), [])
            # MIL drops ops that compute nothing (x * 1, x + 0: an untrained norm's affine);
            # such a value lives on in the op's input.
            while value is not None and _in_program(value, env) is None:
                value = _identity_input(nodes[value])
            if value is not None:
                taps[name] = _in_program(value, env)
        return TAPS, {name: env[value] for name, value in taps.items()}

