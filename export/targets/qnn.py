"""Qualcomm Snapdragon NPU (Hexagon HTP) through ONNX Runtime's QNN execution provider
(onnxruntime-qnn, QNN SDK 2.51): its deploy form as the shared ONNX graph (shared/onnx_graph.py),
compiled for one SoC into an EP-context model, an .onnx that embeds the QNN context binary. Parity runs it in the HTP
emulator that the package's libQnnHtp.so provides on x86_64: numerics only, since emulated
time is no latency. Emulation is slow (XXS deploy form for SM8650 on this 2-core host, one
inference: 0.6 s fp16 / 1.6 s int8 at 64x64, 4 s / 10 s at 224x224; the InstanceNormalization
form the ONNX target keeps takes 16x longer), so the target is asked for by name and its fidelity
runs over 4 photos. Nor does the emulator give a performance figure: its profiler's "cycles"
follow the host's clock (1.2-1.3 G per 224x224 inference, a steady ~295 per microsecond of
emulation; one op's count differs by 17-25 % median between consecutive runs), so what the
target reports is compile-time: QNN ops by type, HTP placement, the context binary's size.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ..console import native_output_silenced
from ..errors import ExportError, Unverifiable, shortened
from ..options import Options, option
from .base import AppRun, HostedRun, Rows, Target, missing_modules, op_counts, ops_summary, register
from .shared.onnx_graph import INPUT_NAME, calibration_reader, io_shapes, quantize_convolutions, write_graph

if TYPE_CHECKING:
    from ..request import ExportRequest


@dataclass(frozen=True)
class Soc:
    model: int  # QNN's soc_model id (the EP maps only 13 chip names itself: ids are unambiguous)
    arch: int   # Hexagon HTP architecture (v69, v73, ...)
    name: str
    fp16: bool = True  # False: the HTP computes int8 only and refuses any float op


# QNN's soc_model ids and HTP architectures (QnnTypes.h's QNN_SOC_MODEL_*, as ExecuTorch's QNN
# backend tables them; the fp16 ones probed by compiling for each with libQnnHtp.so 2.51).
SOCS = {
    "SM8450": Soc(36, 69, "Snapdragon 8 Gen 1"),
    "SM8475": Soc(42, 69, "Snapdragon 8+ Gen 1"),
    "SM8550": Soc(43, 73, "Snapdragon 8 Gen 2"),
    "SM8650": Soc(57, 75, "Snapdragon 8 Gen 3"),
    "SM8750": Soc(69, 79, "Snapdragon 8 Elite"),
    "SM8850": Soc(87, 81, "Snapdragon 8 Elite Gen 5"),
    "SM8635": Soc(68, 73, "Snapdragon 8s Gen 3", fp16=False),
    "SM8735": Soc(85, 79, "Snapdragon 8s Gen 4", fp16=False),
    "SM7450": Soc(41, 69, "Snapdragon 7 Gen 1"),
    "SM7675": Soc(70, 73, "Snapdragon 7+ Gen 3", fp16=False),
}
HTP_PATH = "QNN HTP (Hexagon NPU)"
COMPATIBILITY_KEY = "ep_compatibility_info.QNNExecutionProvider"  # model metadata the EP writes when it compiles


def compiled_for(compatibility: str) -> tuple[int, int]:
    """(htp_arch, soc_model) a context was compiled for, from the EP's compatibility string
    `v2:<backend>:<sdk>:<backend api>:<htp arch>:<soc model>:<vtcm MB>:<user driver>`."""
    fields = compatibility.split(":")
    if len(fields) != 8 or fields[0] != "v2":  # another onnxruntime-qnn's format: a user's file, not a bug here
        raise ExportError(f"the QNN context's compatibility record {shortened(compatibility)!r} is not the v2 format "
                          "onnxruntime-qnn 2.7 writes: re-export it with this cloformer")
    return int(fields[4]), int(fields[5])


@dataclass(frozen=True)
class QnnOptions(Options):
    soc: str = option("SM8650", "Snapdragon SoC the QNN context is compiled for (default SM8650, 8 Gen 3)",
                      choices=tuple(SOCS))

    def context(self) -> str:
        return f" with --soc {self.soc}"


def _provider_options(soc: Soc, precision: str) -> dict[str, str]:
    options = {"soc_model": str(soc.model), "htp_arch": str(soc.arch)}
    if precision == "fp16":
        options["enable_htp_fp16_precision"] = "1"
    return options


def _session(model: str | bytes, soc: Soc, precision: str, compile_to: Path | None = None):
    """An ORT session whose QNN EP targets `soc` (the HTP emulator on x86); `compile_to`: only
    compile, writing the EP-context model there and the QNN graph as JSON beside it (see `_graph_ops`)."""
    import onnxruntime as ort
    import onnxruntime_qnn as qnn

    if "QNNExecutionProvider" not in {d.ep_name for d in ort.get_ep_devices()}:
        ort.register_execution_provider_library("QNNExecutionProvider", qnn.get_library_path())
    devices = [d for d in ort.get_ep_devices() if d.ep_name == "QNNExecutionProvider"]
    so = ort.SessionOptions()
    so.log_severity_level = 4  # its errors come back as exceptions, which callers turn into one line
    so.add_session_config_entry("session.record_ep_graph_assignment_info", "1")
    options = {"backend_path": qnn.get_qnn_htp_path(), **_provider_options(soc, precision)}
    if compile_to is not None:
        for key, value in (("ep.context_enable", "1"), ("ep.context_file_path", str(compile_to)),
                           ("ep.context_embed_mode", "1")):
            so.add_session_config_entry(key, value)
        options.update(enable_htp_prepare_only="1", dump_json_qnn_graph="1",
                       json_qnn_graph_dir=str(_dump_dir(compile_to)))
    so.add_provider_for_devices(devices, options)
    with native_output_silenced(stdout=True):  # libQnnHtp's own notices (its errors come back as exceptions)
        return ort.InferenceSession(model, sess_options=so)


def _quantize_every_op(path: Path, request: ExportRequest) -> None:
    """int8 in place, every op, for an NPU that runs nothing in float: ONNX Runtime's QNN recipe,
    GELU fused into one op first (its Erf form would stay on the CPU), activations calibrated by
    min/max on the calibration images, per-channel weights, uint8 throughout. (16-bit activations,
    which the EP also takes, computed noise in the emulator: -0.3 dB for XXS on SM8635.)"""
    from onnxruntime.quantization import quantize
    from onnxruntime.quantization.execution_providers.qnn import get_qnn_qdq_config, qnn_preprocess_model

    qnn_preprocess_model(str(path), str(path))
    quantize(str(path), str(path), get_qnn_qdq_config(str(path), calibration_reader(request), per_channel=True))


def _dump_dir(compiled: Path) -> Path:
    return compiled.with_name(compiled.name + ".qnn-graph")


def _graph_ops(compiled: Path) -> dict[str, int]:
    """QNN op type -> count of the graph the EP handed the HTP compiler (its JSON dump): the
    emulator times nothing a phone would (see the module docstring), so these are the target's
    graph figures, layout Transposes included."""
    graphs = [json.loads(f.read_text())["graph"]["nodes"] for f in _dump_dir(compiled).glob("*.json")
              if not f.name.endswith("_tensor_log.json")]
    return op_counts(node["type"] for nodes in graphs for node in nodes.values())


def _placement(session) -> tuple[list[dict], int]:
    """QNN vs CPU nodes of a compiling session (the graph before it became one EPContext node)."""
    on, off, partitions = 0, [], 0
    for assignment in session.get_provider_graph_assignment_info():
        nodes = assignment.get_nodes()
        if assignment.ep_name == "QNNExecutionProvider":
            on += len(nodes)
            partitions += 1
        else:
            off += [(node.op_type, node.name.rsplit("/", 1)[0].strip("/").replace("/", ".")) for node in nodes]
    return [{"path": HTP_PATH, "partitions": partitions, "ops_on_path": on, "ops": on + len(off), "off": off}], on


@register
class QnnTarget(Target):
    name = "qnn"
    order = 50
    suffix = ".onnx"
    runtime = "QNN HTP emulator (onnxruntime-qnn)"
    summary = "Snapdragon NPU: ONNX compiled into a QNN EP-context model for one SoC; parity in QNN's HTP emulator"
    precision_summary = ("fp16: the fp32 graph run in fp16 on the HTP; int8: the ONNX target's QDQ graph, every op "
                         "quantized for an int8-only NPU")
    Options = QnnOptions
    measures_latency = False  # the emulator's time says nothing about a phone
    in_all = False  # a minute or more of emulation per export (module docstring)
    fidelity_images = 4
    apps = {"android": AppRun("onnxruntime", backend="qnn")}  # ONNX Runtime's QNN EP: it runs nowhere else
    hosted = {"aihub": HostedRun(("npu",))}
    section = {
        "soc_name": {"type": "string"}, "soc_model": {"type": "integer"},
        "htp_arch": {"type": "integer"}, "ep_sdk_version": {"type": "string", "description": "of the EPContext node"},
        "qnn_version": {"type": "string"},
        "compatibility": {"type": "string", "description": "the EP's compatibility string (apps hand it back)"},
        "nodes": {"type": "integer", "minimum": 1}, "graph_ops": {
            "type": "object", "additionalProperties": {"type": "integer", "minimum": 1},
            "description": "QNN op type -> count of the graph the HTP compiler got"},
        "quantized": {"enum": [None, "every op", "convolutions and head"]}, "input": {"type": "string"}}
    result_runtime = "onnxruntime-qnn"
    runtime_package = "onnxruntime-qnn"
    packages = ("onnxruntime", "onnxruntime-qnn")
    # Chosen on the compiled graph (XXS 224x224 fp16, SM8650; docs/targets/qnn.md): GroupNorm as means instead of
    # the ONNX target's InstanceNormalization form takes 25 of 185 layout Transposes and 1.9 MB off the
    # context and compiles 5x faster; fold_batchnorm changes nothing here, separate_qkv and split_depthwise
    # only add ops.
    passes = ("groupnorm_as_mean", "fold_norm_affine", "local_qkv_slices", "global_attention_bmm")

    def precisions(self, request: ExportRequest) -> tuple[str, ...]:
        return ("fp16", "int8") if SOCS[self.settings(request).soc].fp16 else ("int8",)

    def precision_note(self, request: ExportRequest) -> str:
        name = self.settings(request).soc
        if not SOCS[name].fp16:
            return f"the NPU of {name} ({SOCS[name].name}) computes int8 only: use --precision int8"
        return "it takes fp16 (the fp32 graph in fp16 on the NPU) or int8"

    def unavailable(self) -> str | None:
        return missing_modules("onnxruntime_qnn") and (
            "needs onnxruntime-qnn (x86_64 Linux wheels: its HTP emulator), not installed here; "
            "pip install 'cloformer[qnn]'")

    def tag(self, request: ExportRequest) -> str:
        return f"qnn_{self.settings(request).soc.lower()}"

    def backend(self, request: ExportRequest) -> str | None:
        return self.settings(request).soc

    def export(self, model: torch.nn.Module, example: torch.Tensor, request: ExportRequest, path: Path) -> dict:
        import onnx
        import onnxruntime_qnn as qnn

        soc = SOCS[self.settings(request).soc]
        source = path.with_name(path.stem + ".source.onnx")
        # fp16 starts from the fp32 graph (the HTP computes it in fp16); int8 is the QDQ graph with
        # convolutions and head quantized, or on an int8-only NPU the fp32 graph quantized whole
        whole = request.precision == "int8" and not soc.fp16
        try:
            write_graph(model, example, source)
            if whole:
                _quantize_every_op(source, request)
            elif request.precision == "int8":
                quantize_convolutions(source, request)
            proto = onnx.load(str(source))
            path.unlink(missing_ok=True)  # the EP refuses to overwrite
            placement, on = _placement(_session(str(source), soc, request.precision, compile_to=path))
            graph_ops = _graph_ops(path)
        finally:
            source.unlink(missing_ok=True)
            shutil.rmtree(_dump_dir(path), ignore_errors=True)
        if not on:
            raise ExportError(f"QNN took no node of the graph for {self.settings(request).soc}")
        compiled = onnx.load(str(path))
        context = next(n for n in compiled.graph.node if n.op_type == "EPContext")
        sdk = next(a.s.decode() for a in context.attribute if a.name == "ep_sdk_version")
        compatibility = next(p.value for p in compiled.metadata_props if p.key == COMPATIBILITY_KEY)
        quantized = {"fp16": None, "int8": "every op" if whole else "convolutions and head"}[request.precision]
        return {"ops": op_counts(node.op_type for node in proto.graph.node), "placement": placement,
                "qnn": {"soc": self.settings(request).soc, "soc_name": soc.name, "soc_model": soc.model,
                        "htp_arch": soc.arch, "ep_sdk_version": sdk,
                        "qnn_version": qnn.build_and_package_info.qnn_version, "compatibility": compatibility,
                        "nodes": len(proto.graph.node), "graph_ops": graph_ops, "quantized": quantized,
                        "input": INPUT_NAME}}

    def device_problem(self, manifest: dict, soc: str) -> str | None:
        # The Android app's words (android_app core/Qnn.java), so a phone and a device cloud refuse alike.
        qnn = manifest["qnn"]
        maker, _, model = soc.strip().rpartition(" ")
        if not maker:  # one word names no SoC model (Android's Build.HARDWARE): the runtime's own check decides
            return None
        qualcomm = maker == "QTI" or maker.startswith("Qualcomm")
        if qualcomm and model.upper() == qnn["soc"]:
            return None
        return (f"the QNN context was compiled for {qnn['soc']} ({qnn['soc_name']}); this phone's SoC is {soc.strip()}"
                + (f": re-export it for this phone with cloformer-export --target qnn --soc {model.upper()}" if qualcomm
                   else ", not a Snapdragon: QNN context models run on Snapdragon phones only"))

    def report_rows(self, tag: str, naive: dict, deploy: dict) -> Rows:
        def ops(m: dict) -> str:
            graph = m["qnn"]["graph_ops"]
            return f"{sum(graph.values())}: {ops_summary(dict(list(graph.items())[:6]))}"

        def placed(m: dict) -> str:
            p = m["placement"][0]
            return f"{p['ops_on_path']}/{p['ops']} nodes, {p['partitions']} partition(s)"
        return [(f"{tag}: ONNX nodes", str(naive["qnn"]["nodes"]), str(deploy["qnn"]["nodes"])),
                (f"{tag}: QNN graph ops (most frequent)", ops(naive), ops(deploy)),
                (f"{tag}: {HTP_PATH}", placed(naive), placed(deploy)),
                (f"{tag}: context MB", f"{naive['size_bytes'] / 1e6:.1f}", f"{deploy['size_bytes'] / 1e6:.1f}")]

    def runner(self, path: Path, backend: str | None, threads: int | None = None):
        if self.unavailable():
            raise Unverifiable(f"QNN: {self.unavailable()}")
        name = backend or QnnOptions().soc
        soc = SOCS[name]
        import onnx

        model = onnx.load(str(path))
        metadata = {p.key: p.value for p in model.metadata_props}
        if COMPATIBILITY_KEY not in metadata:
            raise ExportError(f"{path} is not a QNN context model (no {COMPATIBILITY_KEY}): export it with --target qnn")
        # The emulator runs any context under any SoC's options; a phone of another SoC would not
        # run the binary as compiled, so neither does this.
        arch, model_id = compiled_for(metadata[COMPATIBILITY_KEY])
        if (arch, model_id) != (soc.arch, soc.model):
            built = next((n for n, s in SOCS.items() if (s.arch, s.model) == (arch, model_id)), f"soc_model {model_id}")
            raise ExportError(f"{path.name} was compiled for {built} (HTP v{arch}), not {name} ({soc.name}): "
                              f"re-export it with --target qnn --soc {name}")
        precision = "int8" if any(n.op_type == "QuantizeLinear" for n in model.graph.node) else "fp16"
        try:
            session = _session(str(path), soc, precision)
        except Exception as e:  # ORT raises its own exception types, one per status code
            raise ExportError(f"{path.name}: QNN cannot load its context binary ({str(e).split(' : ')[-1]}); "
                              "the file is damaged: re-export it") from None
        return lambda x: session.run(None, {INPUT_NAME: x})[0]

    def io_shapes(self, path: Path) -> tuple[list[int], list[int]]:
        return io_shapes(path)
