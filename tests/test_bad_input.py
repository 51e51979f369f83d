"""The bad-input catalogue: every wrong input a user may give, run as the real command in a temp
folder. Each case asserts its exit code, a substring of its one line, no traceback or Python
exception name, and that nothing was created or changed but what the case allows. docs/bad-input.md
is rendered from this table (CLOFORMER_UPDATE_DOCS=1 rewrites it); the test fails when they differ.
The fault cases (two exports at once, a file-size limit, kill -9) run the command as a process."""
from __future__ import annotations

import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cloformer.export import diagnose_cli
from cloformer.export import cli as export_cli
from cloformer.models import create_model
from cloformer.models import fashion_mnist as fashion
from cloformer.runtime_bench import cli as bench_cli
from cloformer.runtime_bench import evaluate
from cloformer.runtime_bench.platforms.arm64 import calibration

from .conftest import ROOT, WEIGHTS, make_result
from .runtime_bench.platforms.aihub_server import S23, S24, phones

DOCS = ROOT / "docs" / "bad-input.md"
START, END = "<!-- catalogue: rendered from tests/test_bad_input.py -->", "<!-- end of catalogue -->"
MAINS = {"cloformer-export": export_cli.main, "cloformer-bench": bench_cli.main, "cloformer-diagnose": diagnose_cli.main,
         "cloformer-eval": evaluate.main}
EXCEPTION_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback")


@dataclass
class Work:
    """A case's temp folder (its cwd) and what its setup may use."""
    dir: Path
    request: pytest.FixtureRequest
    monkeypatch: pytest.MonkeyPatch

    def fixture(self, name: str):
        return self.request.getfixturevalue(name)

    def copy(self, export: tuple[Path, dict], name: str | None = None, bundle: bool = True) -> Path:
        """An exported artifact copied here with its manifest (and bundle), under `name`."""
        artifact = export[0]
        target = self.dir / (name or artifact.name)
        for suffix in ("", ".json", ".check") if bundle else ("", ".json"):
            source = artifact.with_name(artifact.name + suffix)
            destination = target.with_name(target.name + suffix)
            (shutil.copytree if source.is_dir() else shutil.copy)(source, destination)
        return target

    def edit_manifest(self, artifact: str, edit: Callable[[dict], None]) -> None:
        path = self.dir / f"{artifact}.json"
        record = json.loads(path.read_text())
        edit(record)
        path.write_text(json.dumps(record))


@dataclass(frozen=True)
class Case:
    section: str
    command: str  # as typed, in the case's folder
    wrong: str
    line: str     # a substring of the line the user sees
    code: int
    left: str = "nothing"
    setup: Callable[[Work], None] | None = None
    new: tuple[str, ...] = ()  # globs (in the case's folder) of files the case may create
    needs: str | None = None   # a marker of tests/conftest.py: what the case needs beyond Python


# ---- setups -----------------------------------------------------------------------------------

def onnx(name: str | None = None, bundle: bool = True):
    return lambda w: w.copy(w.fixture("small_onnx_export"), name, bundle)


def coreml(name: str | None = None):
    return lambda w: w.copy(w.fixture("small_coreml_export"), name)


def damaged_coreml(w: Work) -> None:
    weights = next(w.copy(w.fixture("small_coreml_export"), "damaged.mlpackage").rglob("weight.bin"))
    data = bytearray(weights.read_bytes())
    data[200:208] = bytes(8)
    weights.write_bytes(data)


def truncated(w: Work) -> None:
    path = w.copy(w.fixture("small_onnx_export"), "cut.onnx")
    path.write_bytes(path.read_bytes()[:1000])


def truncated_mnn(w: Work) -> None:
    path = w.copy(w.fixture("small_mnn_export"), "cut.mnn")
    path.write_bytes(path.read_bytes()[:1000])


def mixed_ncnn(w: Work) -> None:
    path = w.copy(w.fixture("small_ncnn_export"), "mixed.ncnn") / "model.ncnn.bin"
    path.write_bytes(np.random.default_rng(1).bytes(path.stat().st_size))  # other weights, the same layers


def manifest_edit(name: str, edit: Callable[[dict], None], bundle: bool = True):
    def setup(w: Work) -> None:
        w.copy(w.fixture("small_onnx_export"), name, bundle)
        w.edit_manifest(name, edit)
    return setup


def bundle_damaged(w: Work) -> None:
    artifact = w.copy(w.fixture("small_onnx_export"))
    npy = artifact.with_name(artifact.name + ".check") / "random.expected.npy"
    data = bytearray(npy.read_bytes())
    data[-1] ^= 1
    npy.write_bytes(data)


def other_manifest(w: Work) -> None:
    w.copy(w.fixture("small_coreml_export"), "other.mlpackage")
    shutil.copy(w.fixture("small_onnx_export")[0].with_suffix(".onnx.json"), w.dir / "other.mlpackage.json")


def lonely(w: Work) -> None:
    shutil.copy(w.fixture("small_onnx_export")[0], w.dir / "lonely.onnx")


def checkpoint_of(model: str):
    def setup(w: Work) -> None:
        torch.save(create_model(model).state_dict(), w.dir / f"{model.split('_')[1]}.pth")
    return setup


class _Runs:
    def __reduce__(self):
        return (os.system, ("touch ran",))  # the file `ran` would appear in the case's folder


def evil_pickle(w: Work) -> None:
    torch.save({"model": _Runs()}, w.dir / "evil.pth")


def text_file(name: str, text: str):
    return lambda w: (w.dir / name).write_text(text)


def labels_of_size(w: Work) -> None:
    (w.dir / "huge.txt").write_text("\n".join(f"class {i:04d} " + "x" * 10_000 for i in range(1000)) + "\n")


def images(folder: str, count: int, same: bool = False):
    def setup(w: Work) -> None:
        (w.dir / folder).mkdir()
        rng = np.random.default_rng(0)
        first = rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)
        for i in range(count):
            pixels = first if same else rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(w.dir / folder / f"{i}.png")
    return setup


def existing_export(w: Work) -> None:
    (w.dir / "exports").mkdir()
    w.copy(w.fixture("small_onnx_export"), "exports/" + w.fixture("small_onnx_export")[0].name)


def a_file(name: str, content: str = "not a folder\n"):
    return lambda w: (w.dir / name).write_text(content)


def on_arm64_linux(*modules: str):
    """An ARM64 Linux board, simulated: the converters' modules report as not installed."""
    def setup(w: Work) -> None:
        real = importlib.util.find_spec
        w.monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in modules else real(name, *a))
        w.monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    return setup


def calibration_copy(name: str, cpu: str, cut: int | None = None):
    """The committed calibration of `cpu` copied here (its first `cut` characters only, if given)."""
    def setup(w: Work) -> None:
        text = calibration.committed(cpu).read_text()
        (w.dir / name).write_text(text[:cut] if cut else text)
    return setup


def both(*setups):
    return lambda w: [s(w) for s in setups]


def trained_and_calibration(w: Work) -> None:
    shutil.copy(WEIGHTS.with_suffix(".pth"), w.dir / "W.pth")
    (w.dir / "calib").mkdir()
    for i in range(8):  # grey images: few calibrate int8 ranges that do not fit the model's real inputs
        Image.fromarray(np.full((32, 32, 3), 16 * i + 40, np.uint8)).save(w.dir / "calib" / f"{i}.png")


def result(name: str, edit: Callable[[dict], None] | None = None, text: str | None = None):
    def setup(w: Work) -> None:
        (w.dir / "results").mkdir(exist_ok=True)
        record = make_result()
        if edit:
            edit(record)
        (w.dir / "results" / name).write_text(text if text is not None else json.dumps(record))
    return setup


def big_result(w: Work) -> None:
    (w.dir / "results").mkdir()
    with (w.dir / "results" / "big.json").open("wb") as f:
        f.truncate(100 * 2**20)


def fashion_data(folders: dict[str, str] | None = None, sixteen_bit: bool = False, drop: str | None = None,
                 junk: bool = False):
    """An ImageFolder of 20 Fashion-MNIST test images: its folders renamed per `folders`, one dropped,
    its images 16-bit or each replaced by text."""
    def setup(w: Work) -> None:
        data = w.dir / "data"
        fashion.write_imagefolder("test", data, limit=20, data_dir=w.fixture("fashion_mnist"))
        for old, new in (folders or {}).items():
            (data / old).rename(data / new)
        if drop:
            shutil.rmtree(data / drop)
        for png in data.rglob("*.png") if junk else ():
            png.write_text("not a PNG")
        for png in data.rglob("*.png") if sixteen_bit else ():
            grey = np.asarray(Image.open(png).convert("L"), np.uint16) * 257
            Image.fromarray(grey).save(png)  # PIL writes uint16 as a 16-bit grey PNG
        w.copy(w.fixture("fashion_export"), "m.onnx")
    return setup


def adb(devices: str):
    def setup(w: Work) -> None:
        w.fixture("fake_adb")(devices)
        w.copy(w.fixture("small_onnx_export"), "m.onnx")
    return setup


def no_adb(w: Work) -> None:
    w.monkeypatch.setenv("PATH", str(w.dir / "empty-bin"))
    w.copy(w.fixture("small_onnx_export"), "m.onnx")


def qnn(w: Work) -> None:
    w.copy(w.fixture("small_qnn_export"), "q.onnx")


def hub(artifact: Callable[[Work], None] = onnx("m.onnx"), token: str | None = None, **behaviours: str):
    """A local AI Hub (tests/runtime_bench/platforms/aihub_server.py) the client is configured for
    (with `token`: a stale one), and the artifact."""
    def setup(w: Work) -> None:
        started = w.fixture("aihub")(phones(**behaviours))
        if token:
            w.monkeypatch.setenv("QAIHUB_CLIENT_INI", str(started.write_ini(w.dir.parent / "stale.ini", token)))
        artifact(w)
    return setup


def no_client(w: Work) -> None:
    w.monkeypatch.setitem(sys.modules, "qai_hub", None)  # `import qai_hub` raises ImportError, as when not installed
    w.copy(w.fixture("small_onnx_export"), "m.onnx")


def hub_config(text: str | None):
    """The client's configuration: an ini with `text` (None: no file at all)."""
    def setup(w: Work) -> None:
        ini = w.dir.parent / "client.ini"
        if text is not None:
            ini.write_text(text)
        w.monkeypatch.setenv("QAIHUB_CLIENT_INI", str(ini))
        w.copy(w.fixture("small_onnx_export"), "m.onnx")
    return setup


def damaged_onnx(w: Work) -> None:
    path = w.copy(w.fixture("small_onnx_export"), "m.onnx")
    data = bytearray(path.read_bytes())
    data[-100] ^= 1
    path.write_bytes(data)


# ---- the catalogue ----------------------------------------------------------------------------

EXPORT, READERS, EVAL, BENCH, COMPARE = ("cloformer-export", "Readers: cloformer-bench, cloformer-diagnose",
                                         "cloformer-eval", "cloformer-bench: flags and devices", "cloformer-bench compare")
SMALL = "--input-size 64"
SMALL_ONNX = "cloformer_xxs_64x64_onnx_fp32.onnx"  # the small_onnx_export fixture's name
ET_COREML = "cloformer_xxs_224x224_executorch_coreml_fp32.pte"  # executorch_coreml_export's
CASES = [
    # cloformer-export: flags, files and outputs
    Case(EXPORT, "cloformer-export --input-size 230", "size not a multiple of 32",
         "input size 230 is not a positive multiple of 32 (4x stem + three 2x downsamples); nearest valid: 224 or 256", 2),
    Case(EXPORT, "cloformer-export --model cloformer_m", "an unknown model",
         "argument --model: invalid choice: 'cloformer_m' (choose from", 2),
    Case(EXPORT, "cloformer-export --target tflite", "an unknown target", "argument --target: invalid choice: 'tflite'", 2),
    Case(EXPORT, "cloformer-export --checkpoint xs.pth", "an XS checkpoint for the default XXS",
         "checkpoint xs.pth does not match cloformer_xxs: 343 shape mismatches, first patch_embed.conv1.conv.0.weight: "
         "checkpoint [24, 3, 3, 3] vs model [16, 3, 3, 3]; it fits cloformer_xs: pass --model cloformer_xs", 2,
         setup=checkpoint_of("cloformer_xs")),
    Case(EXPORT, "cloformer-export --checkpoint notes.pth", "a checkpoint that is not a pickle",
         "checkpoint notes.pth is not a plain state_dict pickle (", 2, setup=text_file("notes.pth", "not a checkpoint\n")),
    Case(EXPORT, "cloformer-export --checkpoint evil.pth", "a pickle that runs code when loaded (never run)",
         "checkpoint evil.pth is not a plain state_dict pickle (Weights only load failed): it is corrupt or needs "
         "arbitrary code to load, which is refused", 2, setup=evil_pickle),
    Case(EXPORT, "cloformer-export --target executorch --backend qnn", "a backend that needs a vendor SDK",
         "--backend qnn needs the Qualcomm AI Engine Direct (QNN) SDK; use --backend xnnpack, coreml or portable", 2),
    Case(EXPORT, "cloformer-export --target litert --precision int8 --quantization dynamic", "a flag of another target",
         "--quantization does not apply to --target litert; it applies to --target onnx with --precision int8", 2),
    Case(EXPORT, "cloformer-export --target coreml --opset 17", "a flag no selected target takes",
         "--opset does not apply to --target coreml; it applies to --target onnx", 2),
    Case(EXPORT, "cloformer-export --target onnx --opset 5", "an opset the exporter does not write",
         "argument --opset: 5 is out of range; pass an integer from 9 to 20", 2),
    Case(EXPORT, "cloformer-export --target litert --precision int4", "an unknown choice",
         "argument --precision: invalid choice: 'int4' (choose from 'fp32', 'fp16', 'int8')", 2),
    Case(EXPORT, "cloformer-export --target qnn", "qnn at the default fp32",
         "--precision fp32 is not available for --target qnn with --soc SM8650: it takes fp16 (the fp32 graph in fp16 "
         "on the NPU) or int8", 2),
    Case(EXPORT, "cloformer-export --target qnn --soc SM8635 --precision fp16", "fp16 on an int8-only NPU",
         "--precision fp16 is not available for --target qnn with --soc SM8635: the NPU of SM8635 (Snapdragon 8s Gen 3) "
         "computes int8 only: use --precision int8", 2),
    Case(EXPORT, "cloformer-export --batch 0", "a batch below 1", "argument --batch: 0 is out of range; pass an integer "
         "from 1 to 256", 2),
    Case(EXPORT, "cloformer-export --num-classes nan", "a count that is not an integer",
         "argument --num-classes: 'nan' is not an integer from 1 to 100,000", 2),
    Case(EXPORT, "cloformer-export --seed -1", "a negative seed", "argument --seed: -1 is out of range", 2),
    Case(EXPORT, "cloformer-export --target onnx --precision fp16 --min-sqnr nan", "a gate that can never fail",
         "argument --min-sqnr: nan is not a finite number; pass a number of dB from 0 to 300", 2),
    Case(EXPORT, "cloformer-export --target onnx --precision fp16 --min-sqnr inf", "a gate that always fails",
         "argument --min-sqnr: inf is not a finite number", 2),
    Case(EXPORT, "cloformer-export --target onnx --precision fp16 --min-sqnr=-inf", "a gate that can never fail",
         "argument --min-sqnr: -inf is not a finite number", 2),
    Case(EXPORT, "cloformer-export --target onnx --min-sqnr 30", "a fidelity gate at fp32",
         "--min-sqnr applies to --precision fp16 or int8 (fidelity is measured against fp32)", 2),
    Case(EXPORT, "cloformer-export --target onnx --precision int8 --calibration-dir notes", "no images in the folder",
         "--calibration-dir notes has 0 readable image(s) (.jpg, .jpeg, .png, .bmp, .tif, .tiff, .webp); at least 8 are "
         "needed", 2, setup=lambda w: (w.dir / "notes").mkdir()),
    Case(EXPORT, f"cloformer-export --target onnx --precision int8 --calibration-dir copies {SMALL}",
         "8 copies of one image (a judgement call: refused)",
         "--calibration-dir copies has 8 images but only 1 different one(s); at least 8 different images are needed", 2,
         setup=images("copies", 8, same=True)),
    Case(EXPORT, "cloformer-export --labels nowhere.txt", "a labels file that is not there",
         "--labels nowhere.txt: cannot read it (No such file or directory); pass a text file, one class name per line", 2),
    Case(EXPORT, "cloformer-export --num-classes 3 --labels blank.txt", "a blank line among the labels",
         "--labels blank.txt: line 2 is blank (each line names the class of its index)", 2,
         setup=text_file("blank.txt", "cat\n\ndog\nbird\n")),
    Case(EXPORT, "cloformer-export --num-classes 3 --labels twice.txt", "a label twice (a judgement call: refused)",
         "--labels twice.txt: 'cat' is on lines 1 and 3 (each class needs its own name)", 2,
         setup=text_file("twice.txt", "cat\ndog\ncat\n")),
    Case(EXPORT, "cloformer-export --labels huge.txt", "a 10 MB labels file (a judgement call: refused)",
         "--labels huge.txt: 9.5 MiB is more than a labels file holds (1 MiB at most)", 2, setup=labels_of_size),
    Case(EXPORT, f"cloformer-export --target onnx {SMALL}", "the artifact exists",
         "already exists; pass --overwrite to replace it or choose another --output", 2,
         "the existing artifact, unchanged", setup=existing_export),
    Case(EXPORT, "cloformer-export --output taken", "an output folder that is a file",
         "argument --output: taken is a file, not a folder; pass a folder", 2, setup=a_file("taken")),
    Case(EXPORT, "cloformer-export --output $'out\\xff'", "an output path that is not UTF-8",
         "argument --output: b'out\\xff' is not UTF-8; the runtimes and converters take UTF-8 paths only: rename it", 2),
    Case(EXPORT, "cloformer-export --target coreml", "coremltools has no build here (an ARM64 Linux board, simulated)",
         "--target coreml needs coremltools, which has no build for this platform (macOS and x86_64 Linux only); "
         "export Core ML on one of those", 2, setup=on_arm64_linux("coremltools")),
    Case(EXPORT, "cloformer-export --target litert", "litert-torch has no build here (an ARM64 Linux board, simulated)",
         "--target litert needs litert-torch, whose converter has no build for this platform", 2,
         setup=on_arm64_linux("litert_torch")),
    Case(EXPORT, f"cloformer-export --target litert --no-rewrite {SMALL}", "the artifact's own runtime refuses to load it",
         "litert export: LiteRT cannot prepare this graph:", 1),
    Case(EXPORT, "cloformer-export --target litert --precision int8 --input-size 32 --num-classes 10 --checkpoint W.pth "
         "--calibration-dir calib", "parity fails (the trained XXS, 8 grey calibration images)",
         "litert parity failed: max abs diff", 1, setup=trained_and_calibration),
    Case(EXPORT, "cloformer-export --target onnx --input-size 32 --precision fp16 --min-sqnr 99",
         "fidelity below --min-sqnr", "dB is below --min-sqnr 99; no artifact written", 1),
    Case(EXPORT, f"cloformer-export --target ncnn --no-rewrite {SMALL}", "an op ncnn has no layer for (the model as written)",
         "ncnn export: ncnn has no layer for torch.unbind x24 (the deploy-form pass local_qkv_slices removes it)", 1),
    Case(EXPORT, "cloformer-export --target ncnn --precision int8", "int8 without ncnn's calibration tools",
         "--precision int8 is not available for --target ncnn: ncnn int8 needs ncnn's calibration tools (ncnn2table, "
         "ncnn2int8), which neither the ncnn nor the pnnx wheel ships (nor Debian); it takes fp32, fp16", 2),
    Case(EXPORT, "cloformer-export --target ncnn --batch 2", "a batch for a runtime without one",
         "--target ncnn runs one image per call (ncnn's Mat has no batch axis), not --batch 2; pass --batch 1", 2),
    Case(EXPORT, "cloformer-export --target mnn --precision int8 --calibration-dir notes", "no calibration images",
         "--calibration-dir notes has 0 readable image(s)", 2, setup=lambda w: (w.dir / "notes").mkdir()),
    # the readers: an artifact and the manifest beside it
    Case(READERS, "cloformer-bench host cut.onnx", "a truncated artifact, its manifest beside it",
         "cut.onnx does not match its manifest: sha256", 2, setup=truncated),
    Case(READERS, "cloformer-bench host nobin.ncnn", "an ncnn param without its bin",
         "nobin.ncnn lacks model.ncnn.bin (an ncnn model is the param and its bin together); re-export it", 2,
         setup=lambda w: (w.copy(w.fixture("small_ncnn_export"), "nobin.ncnn") / "model.ncnn.bin").unlink()),
    Case(READERS, "cloformer-bench host mixed.ncnn", "an ncnn bin from another export",
         "mixed.ncnn/model.ncnn.bin is not the one exported with cloformer_xxs_64x64_ncnn_fp32.ncnn (sha256 differs): "
         "its param and bin come from different exports; re-export it", 2, setup=mixed_ncnn),
    Case(READERS, "cloformer-bench host cut.mnn", "a truncated .mnn",
         "cut.mnn does not match its manifest: sha256", 2, setup=truncated_mnn),
    Case(READERS, "cloformer-diagnose damaged.mlpackage", "8 bytes of weight.bin zeroed",
         "damaged.mlpackage does not match its manifest: sha256", 2, setup=damaged_coreml),
    Case(READERS, "cloformer-bench host notarget.onnx", "a manifest without target",
         "notarget.onnx.json: field (top level): 'target' is a required property", 2,
         setup=manifest_edit("notarget.onnx", lambda r: r.pop("target"))),
    Case(READERS, "cloformer-bench host old.onnx", "a manifest an older cloformer wrote (schema_version 1)",
         "old.onnx.json: field schema_version: 1 is not 2, the version this cloformer reads; re-export the artifact "
         "with this cloformer", 2, setup=manifest_edit("old.onnx", lambda r: r.update(schema_version=1))),
    Case(READERS, "cloformer-bench host posing.onnx", "a CloFormer artifact's manifest marked as a reference peer's",
         "posing.onnx.json: field reference: cloformer_xxs is not a reference model; re-export the artifact", 2,
         setup=manifest_edit("posing.onnx", lambda r: r.update(reference=True))),
    Case(READERS, "cloformer-bench host renamed.onnx", "a CloFormer artifact's manifest naming a peer as its model",
         "renamed.onnx.json: field reference: efficientnet_b0 is a reference model; re-export the artifact", 2,
         setup=manifest_edit("renamed.onnx", lambda r: r.update(model="efficientnet_b0"))),
    Case(READERS, "cloformer-diagnose empty.onnx", "a manifest of {}",
         "empty.onnx.json: field (top level): 'schema_version' is a required property", 2,
         setup=manifest_edit("empty.onnx", lambda r: r.clear())),
    Case(READERS, "cloformer-bench host huge.onnx", "a number in the manifest too large for a float",
         "huge.onnx.json: 1e400 is out of range", 2,
         setup=lambda w: (onnx("huge.onnx")(w), (w.dir / "huge.onnx.json").write_text(
             (w.dir / "huge.onnx.json").read_text().replace('"num_classes": 1000', '"num_classes": 1e400')))),
    Case(READERS, "cloformer-bench host escape.onnx", "a manifest whose artifact leaves its folder (..)",
         "escape.onnx.json: field artifact: '..' does not match", 2,
         setup=manifest_edit("escape.onnx", lambda r: r.update(artifact=".."))),
    Case(READERS, "cloformer-bench host absolute.onnx", "a manifest whose artifact is an absolute path",
         "absolute.onnx.json: field artifact: '/tmp/m.onnx' does not match", 2,
         setup=manifest_edit("absolute.onnx", lambda r: r.update(artifact="/tmp/m.onnx"))),
    Case(READERS, "cloformer-bench host outside.onnx", "a manifest whose check bundle leaves its folder",
         "outside.onnx.json: field check.bundle: '../outside.onnx.check' does not match", 2,
         setup=manifest_edit("outside.onnx", lambda r: r["check"].update(bundle="../outside.onnx.check"))),
    Case(READERS, "cloformer-diagnose other.mlpackage", "an .onnx's manifest beside a .mlpackage",
         "other.mlpackage does not fit its manifest, which describes a --target onnx artifact", 2, setup=other_manifest),
    Case(READERS, "cloformer-bench host lonely.onnx", "no manifest beside the artifact",
         "lonely.onnx has no manifest beside it (lonely.onnx.json); pass an artifact written by cloformer-export, with "
         "its .json beside it", 2, setup=lonely),
    Case(READERS, "cloformer-bench host missing.onnx", "an artifact that is not there",
         "missing.onnx does not exist; pass an artifact written by cloformer-export", 2),
    Case(READERS, f"cloformer-bench host {SMALL_ONNX}", "its check bundle damaged (one byte changed)",
         f"the check bundle {SMALL_ONNX}.check is damaged: random.expected.npy does not match its manifest's sha256; re-export "
         "the artifact, or copy its .check folder again", 2, setup=bundle_damaged),
    Case(READERS, "cloformer-bench host model.mlpackage", "only Core ML artifacts, which are not timed on the host",
         "nothing could be measured on this machine (the lines above say why)", 2, setup=coreml("model.mlpackage")),
    Case(READERS, "cloformer-diagnose a.onnx b.onnx", "artifacts of different models or sizes",
         "the artifacts are of different models, sizes or weights; diagnose them in separate runs", 2,
         setup=lambda w: (w.copy(w.fixture("small_onnx_export"), "a.onnx"), w.copy(w.fixture("fashion_export"), "b.onnx"))),
    Case(READERS, "cloformer-diagnose m.onnx", "its checkpoint moved",
         "which is not there; pass --checkpoint PATH", 2,
         setup=manifest_edit("m.onnx", lambda r: r.update(weights={"checkpoint": "/nowhere/w.pth", "sha256": "0" * 64}))),
    Case(READERS, "cloformer-diagnose m.onnx --checkpoint other.pth", "a different checkpoint",
         "(sha256 differs); pass that checkpoint", 2,
         setup=both(manifest_edit("m.onnx", lambda r: r.update(weights={"checkpoint": "/nowhere/w.pth",
                                                                        "sha256": "0" * 64})),
                    lambda w: torch.save(create_model("cloformer_xxs").state_dict(), w.dir / "other.pth"))),
    Case(READERS, "cloformer-diagnose m.onnx --min-sqnr nan", "a gate that can never fail",
         "argument --min-sqnr: nan is not a finite number", 2, setup=onnx("m.onnx")),
    # cloformer-bench: flags, devices and outputs
    Case(BENCH, f"cloformer-bench arm64 {SMALL_ONNX}", "its check bundle damaged (one byte changed)",
         f"the check bundle {SMALL_ONNX}.check is damaged: random.expected.npy does not match its manifest's sha256", 2,
         setup=bundle_damaged),
    Case(BENCH, "cloformer-bench arm64 model.mlpackage", "Core ML has no ARM64 CPU runtime",
         "model.mlpackage: --target coreml does not run on an ARM64 CPU here; cloformer-bench arm64 runs --target onnx (.onnx)",
         2, setup=coreml("model.mlpackage")),
    Case(BENCH, f"cloformer-bench arm64 {ET_COREML}", "a .pte for another backend",
         f"{ET_COREML}: --target executorch with --backend coreml does not run on an ARM64 CPU here", 2,
         setup=lambda w: w.copy(w.fixture("executorch_coreml_export"))),
    Case(BENCH, "cloformer-bench arm64 q.onnx", "a QNN context (it runs on the NPU only)",
         "q.onnx: --target qnn with --soc SM8650 does not run on an ARM64 CPU here; cloformer-bench arm64 runs", 2,
         setup=qnn),
    Case(BENCH, "cloformer-bench arm64 m.onnx --output taken", "an output folder that is a file",
         "argument --output: taken is a file, not a folder; pass a folder", 2, setup=both(onnx("m.onnx"), a_file("taken"))),
    Case(BENCH, "cloformer-bench arm64 m.onnx --timeout nan", "a timeout that is not a number",
         "argument --timeout: nan is not a finite number; pass a number of seconds above 0, at most 604,800", 2),
    Case(BENCH, "cloformer-bench android m.onnx --timeout inf", "an endless timeout",
         "argument --timeout: inf is not a finite number", 2),
    Case(BENCH, "cloformer-bench android m.onnx --timeout 0", "no time at all", "argument --timeout: 0 is out of range", 2),
    Case(BENCH, "cloformer-bench android m.onnx --timeout=-5", "a negative timeout",
         "argument --timeout: -5 is out of range", 2),
    Case(BENCH, "cloformer-bench host --threads 0", "no threads", "argument --threads: 0 is out of range; pass an "
         "integer from 1 to 256", 2),
    Case(BENCH, "cloformer-bench host --warmup=-1", "a negative count", "argument --warmup: -1 is out of range", 2),
    Case(BENCH, "cloformer-bench host --sustained nan", "a duration that is not a number",
         "argument --sustained: nan is not a finite number", 2),
    Case(BENCH, "cloformer-bench host --cooldown 1e400", "a duration too large for a float",
         "argument --cooldown: 1e400 is not a finite number", 2),
    Case(BENCH, "cloformer-bench host m.onnx --output $'out\\xff'", "an output path that is not UTF-8",
         "argument --output: b'out\\xff' is not UTF-8", 2, setup=onnx("m.onnx")),
    Case(BENCH, "cloformer-bench android model.mlpackage", "a file type the Android app does not run",
         "the Android app runs", 2, setup=coreml("model.mlpackage")),
    Case(BENCH, "cloformer-bench android m.onnx", "no adb on PATH",
         "adb not found on PATH; install Android platform-tools (apt install adb) and retry", 2, setup=no_adb),
    Case(BENCH, "cloformer-bench android m.onnx", "no device attached",
         "no Android device attached (adb devices lists none ready); connect one with USB debugging on, or skip the "
         "android step", 2, setup=adb("")),
    Case(BENCH, "cloformer-bench android m.onnx", "the app is not installed on one of two devices",
         "1 device(s) failed (lines above); 1 result(s) written", 1, "the other device's result",
         setup=adb("good:ok,bare:noapp"), new=("results", "results/*.json")),
    Case(BENCH, "cloformer-bench android m.onnx --timeout 2", "a device writes no result in time",
         "1 device(s) failed (lines above)", 1, "the other device's result",
         setup=adb("good:ok,slow:timeout"), new=("results", "results/*.json")),
    Case(BENCH, "cloformer-bench android m.onnx", "the app's result breaks the schema",
         "1 device(s) failed (lines above)", 1, "the other device's result",
         setup=adb("good:ok,odd:badschema"), new=("results", "results/*.json")),
    Case(BENCH, "cloformer-bench ios results/host.json", "a result whose device kind is not ios",
         "device.kind is 'host', not 'ios'", 2,
         setup=result("host.json", lambda r: r["device"].update(kind="host", model="ci-box"))),
    Case(BENCH, f"cloformer-bench arm64 {SMALL_ONNX}", "no check bundle beside the artifact (accepted)",
         "", 0, "the result, whose check.reference is eager", setup=onnx(bundle=False),
         new=("results", "results/*.json"), needs="arm64"),
    # cloformer-bench arm64's estimates and arm64-calibrate (refused before the userland is prepared)
    Case(BENCH, "cloformer-bench arm64 m.onnx --cpu m1", "an unknown emulated CPU",
         "argument --cpu: invalid choice: 'm1' (choose from 'cortex-a76', 'cortex-a72', 'armv9')", 2),
    Case(BENCH, "cloformer-bench arm64 m.onnx --calibration a72.json", "a calibration made on another CPU",
         "calibration a72.json was made on emulated cortex-a72, not --cpu cortex-a76: its instruction costs are that "
         "core's; pass --cpu cortex-a72 or a calibration of cortex-a76", 2,
         setup=both(onnx("m.onnx"), calibration_copy("a72.json", "cortex-a72"))),
    Case(BENCH, "cloformer-bench arm64 m.onnx --calibration cut.json", "a damaged calibration (cut short)",
         "calibration cut.json cannot be read (", 2,
         setup=both(onnx("m.onnx"), calibration_copy("cut.json", "cortex-a76", cut=400))),
    Case(BENCH, "cloformer-bench arm64 m.onnx --calibration raspberry-pi-4", "a reference device of another core",
         "--calibration raspberry-pi-4: no calibration of emulated cortex-a76 against raspberry-pi-4 is committed; "
         "those of cortex-a76: raspberry-pi-5, oneplus-7t", 2, setup=onnx("m.onnx")),
    Case(BENCH, "cloformer-bench arm64 m.onnx --calibration pixel9", "neither a file nor a reference device",
         "--calibration pixel9 is neither a calibration file nor a reference device (raspberry-pi-5, raspberry-pi-4, "
         "oneplus-7t); pass one, or none", 2, setup=onnx("m.onnx")),
    Case(BENCH, "cloformer-bench arm64-calibrate --reference raspberry-pi-4 --output c.json",
         "published figures of another core than --cpu", "--reference raspberry-pi-4: no published latencies on a "
         "cortex-a76 core; for --cpu cortex-a76 choose one of: raspberry-pi-5, oneplus-7t", 2),
    Case(BENCH, "cloformer-bench arm64-calibrate --nets lenet5,resnet18 --output c.json", "an unknown net",
         "--nets: lenet5 is not a reference net with a published figure on raspberry-pi-5; choose from: squeezenet,", 2),
    Case(BENCH, "cloformer-bench arm64-calibrate --nets resnet18,resnet18 --output c.json", "one net (no leave-one-out)",
         "--nets: a calibration needs at least 2 different nets (leave-one-out), got 1", 2),
    Case(BENCH, "cloformer-bench arm64-calibrate --output c.json", "an output file that exists",
         "argument --output: c.json already exists; choose another file", 2, "c.json as it was",
         setup=a_file("c.json", "{}\n")),
    Case(BENCH, "cloformer-bench arm64-calibrate --output c.json --timeout nan", "a timeout that is not a number",
         "argument --timeout: nan is not a finite number", 2),
    # cloformer-bench aihub (a local AI Hub stands in for the service)
    Case(BENCH, f"cloformer-bench aihub m.onnx --device '{S24}'", "the qai-hub client is not installed",
         "cloformer-bench aihub needs Qualcomm's qai-hub client, not installed here: pip install 'cloformer[aihub]'", 2,
         setup=no_client),
    Case(BENCH, f"cloformer-bench aihub m.tflite --device '{S24}'", "a .tflite without LiteRT's runtime here, which "
         "reads its input name (simulated)", "m.tflite: LiteRT's runtime (ai-edge-litert) is not installed here: pip "
         "install 'cloformer[litert]' (to read the input name AI Hub's data is keyed by)", 2,
         setup=both(hub(lambda w: w.copy(w.fixture("small_litert_export"), "m.tflite")), on_arm64_linux("ai_edge_litert"))),
    Case(BENCH, f"cloformer-bench aihub m.onnx --device '{S24}'", "no AI Hub token (no client.ini)",
         "no AI Hub token: ", 2, setup=hub_config(None)),
    Case(BENCH, f"cloformer-bench aihub m.onnx --device '{S24}'", "a client.ini without a token",
         "no AI Hub token in ", 2, setup=hub_config("[api]\napi_url = https://workbench.aihub.qualcomm.com\n")),
    Case(BENCH, f"cloformer-bench aihub m.onnx --device '{S24}'", "a stale token",
         "AI Hub refused the token (a bad or expired API token); run qai-hub configure --api_token <your token>", 2,
         setup=hub(token="stale-token")),
    Case(BENCH, f"cloformer-bench aihub m.onnx --device '{S24}'", "no network (nothing listens at the API URL)",
         "cannot reach AI Hub at http://127.0.0.1:9 (Connection refused); check the network", 1,
         setup=hub_config("[api]\napi_token = t0ken\napi_url = http://127.0.0.1:9\nweb_url = http://127.0.0.1:9\n")),
    Case(BENCH, "cloformer-bench aihub m.onnx --device 'Galaxy S99'", "an unknown device",
         "--device 'Galaxy S99': AI Hub has no such device; `cloformer-bench aihub --list-devices` lists AI Hub's "
         "device names", 2, setup=hub()),
    Case(BENCH, f"cloformer-bench aihub q.onnx --device '{S23}'", "a QNN context compiled for another SoC",
         f"q.onnx on {S23}: the QNN context was compiled for SM8650 (Snapdragon 8 Gen 3); this phone's SoC is QTI "
         "SM8550: re-export it for this phone with cloformer-export --target qnn --soc SM8550", 2, setup=hub(qnn)),
    Case(BENCH, f"cloformer-bench aihub model.mlpackage --device '{S24}'", "a file type AI Hub does not run",
         "model.mlpackage: AI Hub runs .onnx / .tflite artifacts of --target onnx, litert, qnn, not --target coreml "
         "(run it with cloformer-bench ios)", 2, setup=hub(coreml("model.mlpackage"))),
    Case(BENCH, f"cloformer-bench aihub m.onnx --device '{S24}'", "the artifact changed after export (sha256)",
         "m.onnx does not match its manifest: sha256", 2, "the damaged file, unchanged", setup=hub(damaged_onnx)),
    Case(BENCH, f"cloformer-bench aihub m.onnx --device '{S24}' --compute-unit onnx=gpu", "a compute unit the "
         "runtime lacks there", "--compute-unit onnx=gpu: AI Hub runs --target onnx artifacts on cpu, npu", 2,
         setup=onnx("m.onnx")),
    Case(BENCH, f"cloformer-bench aihub m.onnx --device '{S24}' --sustained 60", "a flag that does not apply (AI Hub's "
         "profiler runs a count, not a time)", "unrecognized arguments: --sustained 60", 2, setup=onnx("m.onnx")),
    Case(BENCH, "cloformer-bench aihub m.onnx", "no device named",
         "no device: pass --device NAME (repeatable) or --device-attr ATTR", 2, setup=onnx("m.onnx")),
    Case(BENCH, "cloformer-bench aihub m.onnx --list-devices", "--list-devices with an artifact",
         "--list-devices takes no ARTIFACT, --device or --compute-unit (only --device-attr)", 2, setup=onnx("m.onnx")),
    Case(BENCH, f"cloformer-bench aihub m.onnx --device '{S24}' --device '{S23}'", "the job fails on one device",
         "1 job(s) failed (lines above); 1 result(s) written", 1, "the other device's result",
         setup=hub(s23="fail"), new=("results", "results/*.json")),
    Case(BENCH, f"cloformer-bench aihub m.onnx --device '{S24}' --device '{S23}' --timeout 1",
         "a job does not finish in time", "1 job(s) failed (lines above); 1 result(s) written", 1,
         "the other device's result", setup=hub(s23="timeout"), new=("results", "results/*.json")),
    Case(BENCH, f"cloformer-bench aihub m.onnx --device '{S24}'", "the account's job quota is reached",
         "1 job(s) failed (lines above); 0 result(s) written", 1, setup=hub(s24="quota")),
    # cloformer-eval
    Case(EVAL, "cloformer-eval m.onnx --data data", "a misspelled class folder",
         "--data data: folder 'Sandl' is not a class name and class 'Sandal' has no folder; rename the folder 'Sandl' "
         "to 'Sandal'", 2, setup=fashion_data({"Sandal": "Sandl"})),
    Case(EVAL, "cloformer-eval m.onnx --data data --json nowhere/eval.json", "--json into a missing folder",
         "argument --json: the folder nowhere does not exist; create it or choose another file", 2,
         setup=fashion_data()),
    Case(EVAL, "cloformer-eval m.onnx --data data --json eval.json", "the JSON file exists",
         "argument --json: eval.json already exists; choose another file", 2, "the existing file, unchanged",
         setup=both(fashion_data(), a_file("eval.json", "{}"))),
    Case(EVAL, "cloformer-eval m.onnx --data data --limit 0", "a limit below 1",
         "argument --limit: 0 is out of range", 2, setup=fashion_data()),
    Case(EVAL, "cloformer-eval m.onnx --data data", "9 class folders for a 10-class model",
         "class 'Bag' has no folder", 2, setup=fashion_data(drop="Bag")),
    Case(EVAL, "cloformer-eval m.onnx --data data", "no readable images", "--data data has no readable images in its 10 "
         "class folders (20 unreadable files)", 2, setup=fashion_data(junk=True)),
    Case(EVAL, "cloformer-eval m.onnx --data data", "some files are not images (accepted, counted)",
         "skipped 1 unreadable file(s) (first: 0-broken.png: not an image file)", 0, "nothing (the report is printed)",
         setup=both(fashion_data(), a_file("data/Bag/0-broken.png", "not a PNG"))),
    Case(EVAL, "cloformer-eval m.onnx --data empty", "no class folders",
         "--data empty has no class folders; pass an ImageFolder: one folder of images per class", 2,
         setup=both(fashion_data(), lambda w: (w.dir / "empty").mkdir())),
    Case(EVAL, "cloformer-eval m.onnx --data nodir", "not a directory",
         "--data nodir is not a directory; pass an ImageFolder: one folder of images per class", 2,
         setup=fashion_data()),
    Case(EVAL, "cloformer-eval lonely.onnx --data data", "no manifest beside the artifact",
         "lonely.onnx has no manifest beside it (lonely.onnx.json)", 2, setup=both(fashion_data(), lonely)),
    Case(EVAL, "cloformer-eval model.mlpackage --data data --on arm64", "an artifact with no ARM64 CPU runtime",
         "model.mlpackage: --target coreml does not run on an ARM64 CPU here; cloformer-bench arm64 runs --target onnx "
         "(.onnx)", 2, setup=both(fashion_data(), coreml("model.mlpackage"))),
    Case(EVAL, "cloformer-eval m.onnx --data data --on android", "a platform that computes no outputs for it",
         "argument --on: invalid choice: 'android' (choose from 'host', 'arm64')", 2, setup=fashion_data()),
    Case(EVAL, "cloformer-eval m.onnx --data data", "16-bit PNGs (accepted: scaled to 8 bits, not clipped)",
         "", 0, "nothing (the report is printed)", setup=fashion_data(sixteen_bit=True)),
    # cloformer-bench compare
    Case(COMPARE, "cloformer-bench compare results/inf.json", "a number too large for a float",
         "results/inf.json: 1e400 is out of range (not a finite number)", 2,
         setup=result("inf.json", text=json.dumps(make_result()).replace('"cores": 9', '"cores": 1e400'))),
    Case(COMPARE, "cloformer-bench compare results/big.json", "a 100 MB result file",
         "more than a result file holds (at most 64 MiB)", 2, setup=big_result),
    Case(COMPARE, "cloformer-bench compare results/broken.json", "a result that breaks the schema",
         "results/broken.json: field stats.median: 'fast' is not of type 'number'", 2,
         setup=result("broken.json", lambda r: r["stats"].update(median="fast"))),
    Case(COMPARE, "cloformer-bench compare results/a.json results/a.json results", "the same file three times (accepted)",
         "", 0, "the comparison, one row", setup=result("a.json"),
         new=("comparison", "comparison/*")),
    Case(COMPARE, "cloformer-bench compare results --output mine", "an output folder holding other files",
         "--output mine holds files compare did not write (first: notes.txt); choose a new or empty folder", 2,
         "the folder, unchanged", setup=both(result("a.json"), lambda w: (w.dir / "mine").mkdir(),
                                            a_file("mine/notes.txt"))),
    Case(COMPARE, "cloformer-bench compare results --output taken", "an output folder that is a file",
         "argument --output: taken is a file, not a folder; pass a folder", 2, setup=both(result("a.json"),
                                                                                        a_file("taken"))),
]


def _fixed(case: Case) -> list[str]:
    return shlex.split(case.command.replace("$'out\\xff'", "out\udcff"))


# ---- running a case ---------------------------------------------------------------------------

def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")
            if not p.is_symlink()}


def _allowed(name: str, globs: tuple[str, ...]) -> bool:
    return any(Path(name).match(g) for g in globs)


@pytest.mark.parametrize("case", [pytest.param(c, marks=[getattr(pytest.mark, c.needs)] if c.needs else [],
                                              id=f"{c.command.split()[0]}-{c.wrong}") for c in CASES])
def test_case(case: Case, tmp_path, request, monkeypatch, capfd):
    work = Work(tmp_path / "work", request, monkeypatch)
    work.dir.mkdir()
    if case.setup:
        case.setup(work)
    monkeypatch.chdir(work.dir)
    before = _snapshot(work.dir)
    argv = _fixed(case)
    capfd.readouterr()
    code = MAINS[argv[0]](argv[1:])
    out, err = capfd.readouterr()
    assert code == case.code, f"exit {code}, not {case.code}: {err}"
    assert case.line in err, err
    assert not EXCEPTION_NAME.search(err + out), err + out
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == (1 if case.code else 0), err
    after = _snapshot(work.dir)
    changed = sorted(name for name in after if before.get(name) != after[name] and not _allowed(name, case.new))
    gone = sorted(set(before) - set(after))
    assert not changed and not gone, f"created or changed: {changed}; removed: {gone}"


# ---- the docs ----------------------------------------------------------------------------------

def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    parts = []
    for section in dict.fromkeys(c.section for c in CASES):
        parts += [f"### {section}", "", "| command | what is wrong | the line the user sees (substring) | exit code | "
                  "left on disk |", "|---|---|---|---|---|"]
        parts += [f"| `{_cell(c.command)}` | {_cell(c.wrong)} | `{_cell(c.line)}` | {c.code} | {_cell(c.left)} |"
                  for c in CASES if c.section == section]
        parts.append("")
    parts += ["### Faults (tests/test_bad_input.py, the command as a process)", "",
              "| what happens | what the user sees | left on disk |", "|---|---|---|"]
    parts += [f"| {_cell(what)} | {_cell(seen)} | {_cell(left)} |" for what, seen, left in FAULTS]
    return "\n".join(parts) + "\n"


def test_the_docs_hold_the_catalogue():
    text = DOCS.read_text()
    assert START in text and END in text, f"{DOCS} lacks the catalogue markers"
    head, rest = text.split(START)
    _, tail = rest.split(END)
    fresh = f"{head}{START}\n\n{render()}\n{END}{tail}"
    if os.environ.get("CLOFORMER_UPDATE_DOCS"):
        DOCS.write_text(fresh)
    assert text == fresh, "docs/bad-input.md differs from the table: CLOFORMER_UPDATE_DOCS=1 pytest tests/test_bad_input.py"


# ---- faults: the command as a process ---------------------------------------------------------

EXPORT_SMALL = [sys.executable, "-m", "cloformer.export", "--target", "onnx", "--input-size", "32", "--quiet"]
FAULTS = [
    ("two `cloformer-export --target onnx --output out` at once", "one writes the artifact; the other finds it there "
     "(`already exists`, exit 2) or replaces nothing", "one complete artifact, manifest and bundle"),
    ("`ulimit -f 500; cloformer-export --target onnx`", "`File too large (a file-size limit (ulimit -f) stopped the write: "
     "raise it); nothing half-written was left behind`, exit 1",
     "nothing"),
    ("`kill -9` of `cloformer-export` while it writes", "(no line: the process is gone)",
     "no artifact under its final name; the next export removes the orphaned temp files"),
    ("`cloformer-export --output ro` into a folder the user may not write", "`argument --output: ro is not writable; pass a "
     "folder you can write to`, exit 2", "nothing"),
]


def _final(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) if out.exists() else []


def _whole(out: Path) -> None:
    """The artifact under its final name is complete: its manifest's sha256 is the file's."""
    from cloformer.export.api import load_manifest
    [artifact] = out.glob("*.onnx")
    load_manifest(artifact)  # raises if the digest or anything else does not match
    assert _final(out) == [artifact.name, artifact.name + ".check", artifact.name + ".json"]


def test_two_exports_into_one_folder_at_once(tmp_path):
    runs = [subprocess.Popen([*EXPORT_SMALL, "--output", "out"], cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    ends = [(run.wait(300), run.stderr.read()) for run in runs]
    assert sorted(code for code, _ in ends) in ([0, 0], [0, 2]), ends
    for code, err in ends:
        assert not EXCEPTION_NAME.search(err) and (code == 0 or "already exists" in err), err
    _whole(tmp_path / "out")
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_a_file_size_limit_leaves_nothing(tmp_path):
    # bash sets the limit (in KiB) for the command it execs: no fork from this multithreaded process
    run = subprocess.run(["bash", "-c", 'ulimit -f 488 && exec "$@"', "bash", *EXPORT_SMALL, "--output", "out"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1 and "File too large (a file-size limit (ulimit -f) stopped the write: raise it)" in \
        run.stderr, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and not EXCEPTION_NAME.search(run.stderr), run.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_kill_9_while_writing_leaves_no_partial_artifact(tmp_path):
    out = tmp_path / "out"
    run = subprocess.Popen([*EXPORT_SMALL, "--output", "out"], cwd=tmp_path, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while run.poll() is None and time.monotonic() < deadline and not (out.exists() and any(out.iterdir())):
        time.sleep(0.01)
    run.send_signal(signal.SIGKILL)
    run.wait()
    if _final(out):  # it finished before the kill landed: then it is whole
        _whole(out)
        return
    assert [p for p in out.iterdir() if p.name.startswith(".")], "killed before it wrote: nothing to test"
    done = subprocess.run([*EXPORT_SMALL, "--output", "out"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    _whole(out)
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "the orphaned temp files are still there"


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="runs the command as another user: needs root and setpriv")
def test_a_folder_the_user_may_not_write(tmp_path):
    work = Path(tempfile.mkdtemp(dir="/tmp"))  # pytest's own temp root is private to root
    try:
        work.chmod(0o777)
        (work / "ro").mkdir(mode=0o755)  # root's: another user may not write into it
        run = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *EXPORT_SMALL,
                              "--output", "ro"], cwd=work, capture_output=True, text=True, timeout=300,
                             env={**os.environ, "HOME": str(work)})
        assert run.returncode == 2 and "argument --output: ro is not writable; pass a folder you can write to" in run.stderr, \
            run.stderr
        assert not list((work / "ro").iterdir())
    finally:
        shutil.rmtree(work)
