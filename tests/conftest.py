"""Shared fixtures. Exports are slow (ExecuTorch lowering ~1 min for XXS), so each artifact is
exported once per test session and reused by every test that inspects it. Result files as the host
bench and the apps write them, and a fake `adb` on PATH. The app tests' markers: each says what it
needs, and a run without it skips them naming the missing tool (CI fails instead)."""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import pytest
import torch

from cloformer.export.api import CHECK_FAILED
from cloformer.export.cli import main
from cloformer.models import create_model
from cloformer.runtime_bench.platforms import android
from cloformer.runtime_bench.platforms.arm64.userland import HOST_TOOLS, debian_mirror
from cloformer.runtime_bench import result as results
from cloformer.export.contracts.protocol import Protocol, intervals, invalid_reasons, summarize

ROOT = Path(__file__).parents[1]
CACHE = Path(os.environ.get("CLOFORMER_CACHE", Path.home() / ".cache" / "cloformer"))


# ---- exports -------------------------------------------------------------------------------------

def export(output: Path, *args: str) -> tuple[Path, dict]:
    """Run the CLI as a user would; return the artifact and its manifest."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["--output", str(output), "--quiet", *args])
    assert code == 0, f"cloformer-export {' '.join(args)} exited {code}"
    artifact = Path(buffer.getvalue().split()[-1])
    return artifact, json.loads(artifact.with_name(artifact.name + ".json").read_text())


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory) -> Path:
    """An XXS checkpoint in the official training script's format (state_dict under 'model')."""
    path = tmp_path_factory.mktemp("ckpt") / "xxs_seed123.pth"
    torch.save({"model": create_model("cloformer_xxs", seed=123).state_dict(), "epoch": 3}, path)
    return path


@pytest.fixture(scope="session")
def onnx_export(tmp_path_factory, checkpoint):
    return export(tmp_path_factory.mktemp("onnx"), "--target", "onnx", "--checkpoint", str(checkpoint))


@pytest.fixture(scope="session")
def small_export(tmp_path_factory):
    """small_export(target, precision="fp32", model="cloformer_xxs"): that artifact at 64x64, exported
    once per session, whichever tests ask for it first: (artifact, manifest)."""
    made: dict[tuple[str, str, str], tuple[Path, dict]] = {}

    def get(target: str, precision: str = "fp32", model: str = "cloformer_xxs") -> tuple[Path, dict]:
        key = (target, precision, model)
        if key not in made:
            made[key] = export(tmp_path_factory.mktemp(f"{target}64"), "--model", model, "--target", target,
                               "--precision", precision, "--input-size", "64")
        return made[key]
    return get


@pytest.fixture(scope="session")
def small_onnx_export(small_export):
    """XXS at 64x64: the quickest real artifact (a few seconds), for readers and drivers."""
    return small_export("onnx")


@pytest.fixture(scope="session")
def small_executorch_export(small_export):
    """XXS at 64x64 for ExecuTorch: the Android app's fixture (tests/fixtures/manifests)."""
    return small_export("executorch")


@pytest.fixture(scope="session")
def small_coreml_export(tmp_path_factory):
    """XXS at 64x64 for Core ML: the iOS app's fixture (tests/fixtures/manifests)."""
    return export(tmp_path_factory.mktemp("coreml64"), "--target", "coreml", "--input-size", "64")


@pytest.fixture(scope="session")
def small_qnn_export(tmp_path_factory):
    """XXS at 64x64 compiled for the default SoC's NPU in fp16 (the HTP emulator checks it)."""
    return export(tmp_path_factory.mktemp("qnn64"), "--target", "qnn", "--precision", "fp16", "--input-size", "64")


@pytest.fixture(scope="session")
def small_litert_export(small_export):
    """XXS at 64x64 for LiteRT (a few seconds)."""
    return small_export("litert")


@pytest.fixture(scope="session")
def ncnn_export(tmp_path_factory):
    return export(tmp_path_factory.mktemp("ncnn"), "--target", "ncnn")


@pytest.fixture(scope="session")
def mnn_export(tmp_path_factory):
    return export(tmp_path_factory.mktemp("mnn"), "--target", "mnn")


@pytest.fixture(scope="session")
def small_ncnn_export(small_export):
    return small_export("ncnn")


@pytest.fixture(scope="session")
def small_ncnn_fp16_export(small_export):
    return small_export("ncnn", "fp16")


@pytest.fixture(scope="session")
def small_mnn_export(small_export):
    return small_export("mnn")


@pytest.fixture(scope="session")
def small_mnn_fp16_export(small_export):
    return small_export("mnn", "fp16")


@pytest.fixture(scope="session")
def small_mnn_int8_export(small_export):
    return small_export("mnn", "int8")


@pytest.fixture(scope="session")
def coreml_export(tmp_path_factory):
    return export(tmp_path_factory.mktemp("coreml"), "--target", "coreml")


@pytest.fixture(scope="session")
def executorch_export(tmp_path_factory):
    return export(tmp_path_factory.mktemp("et"), "--target", "executorch")


@pytest.fixture(scope="session")
def executorch_portable_export(tmp_path_factory):
    return export(tmp_path_factory.mktemp("et_portable"), "--target", "executorch", "--backend", "portable")


@pytest.fixture(scope="session")
def executorch_coreml_export(tmp_path_factory):
    return export(tmp_path_factory.mktemp("et_coreml"), "--target", "executorch", "--backend", "coreml")


@pytest.fixture(scope="session")
def litert_export(tmp_path_factory):
    return export(tmp_path_factory.mktemp("litert"), "--target", "litert")


@pytest.fixture(scope="session")
def fashion_mnist() -> Path:
    """Debian's dataset-fashion-mnist: installed, or its .deb fetched with apt-get download and
    unpacked into the cache (no root needed), as the app tests fetch theirs."""
    for root in (Path("/"), CACHE / "fashion-mnist"):
        data = root / "usr/share/datasets/fashion-mnist"
        if (data / "t10k-labels-idx1-ubyte.gz").is_file():
            return data
    work = CACHE / "fashion-mnist.download"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    got = subprocess.run(["apt-get", "download", "dataset-fashion-mnist"], cwd=work, capture_output=True, text=True)
    assert got.returncode == 0, f"apt-get download dataset-fashion-mnist: {got.stderr.strip()}"
    [deb] = work.glob("*.deb")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(CACHE / "fashion-mnist")], check=True)
    shutil.rmtree(work)
    return CACHE / "fashion-mnist/usr/share/datasets/fashion-mnist"


WEIGHTS = ROOT / "models" / "weights" / "cloformer_xxs_fashion_mnist"


@pytest.fixture(scope="session")
def fashion_export(tmp_path_factory):
    """The trained XXS (models/weights) at 32x32, 10 classes with their labels, for ONNX."""
    return export(tmp_path_factory.mktemp("fashion"), "--target", "onnx", "--input-size", "32", "--num-classes", "10",
                  "--checkpoint", str(WEIGHTS.with_suffix(".pth")), "--labels", str(WEIGHTS.with_suffix(".labels.txt")))


# ---- results and a fake adb ----------------------------------------------------------------------

IPHONE = {"kind": "ios", "model": "iPhone15,2", "os": "iOS 18.1", "soc": "A16 Bionic", "cores": 6, "serial": None}
DEVICE = {"kind": "android", "model": "Pixel 8", "os": "Android 15", "soc": "Tensor G3", "cores": 9, "serial": "abc123"}


def make_result(latencies=None, runtime="executorch", backend="xnnpack", model="cloformer_xxs",
                device=DEVICE, sustained=False, precision="fp32", check="pass") -> dict:
    latencies = latencies or [10.0 + 0.1 * (i % 7) for i in range(50)]
    starts = [i * 0.05 for i in range(len(latencies))]
    summary = intervals(starts, latencies) if sustained else None
    measured = {"first_ms": 40.0, "latencies_ms": latencies, "stats": summarize(latencies),
                "sustained": summary, "invalid_reasons": invalid_reasons(latencies, summary)}
    tolerance = {"max_abs_diff": 1e-4, "min_sqnr_db": 47.0}
    checked = {"pass": {"status": "pass", "reason": None, "tolerance": tolerance,
                        "cases": [{"name": "astronaut", "max_abs_diff": 2e-6, "sqnr_db": 121.3, "top5_agreement": 1.0}]},
               "fail": {"status": "fail", "reason": "astronaut max abs diff 0.31 > 0.0001", "tolerance": tolerance,
                        "cases": [{"name": "astronaut", "max_abs_diff": 0.31, "sqnr_db": 20.1, "top5_agreement": 0.0}]},
               "absent": {"status": "absent", "reason": "m.pte.check/astronaut.input.npy is missing",
                          "tolerance": None, "cases": []}}[check]
    if check == "fail":
        measured["invalid_reasons"] = [CHECK_FAILED + checked["reason"], *measured["invalid_reasons"]]
    return results.new(tool="android_app", device=dict(device),
                       runtime={"name": runtime, "version": "1.5.1", "backend": backend, "threads": 4},
                       model=model, artifact={"path": "/data/local/tmp/m.pte", "sha256": "ab" * 32},
                       input_shape=[1, 3, 224, 224], precision=precision,
                       protocol=Protocol(sustained_seconds=2.5 if sustained else None), load_ms=120.0,
                       measured=measured, memory={"peak_rss_mb": None, "pss_mb": 88.5}, check=checked)


EMULATED = {"kind": "emulated", "model": "emulated aarch64 (qemu, cpu cortex-a76)", "os": "Linux, qemu-aarch64 7.2",
            "soc": "Arm Cortex-A76", "cores": 1, "serial": None, "features": ["fp", "asimd", "asimddp"]}


def make_counted(instructions: int, runtime="executorch", backend="xnnpack", precision="fp32",
                 rewrites=("fold_batchnorm",)) -> dict:
    """An emulated run's result as cloformer-bench arm64 writes it: instructions, no latency."""
    checked = {"status": "pass", "reason": None, "tolerance": {"max_abs_diff": 1e-4, "min_sqnr_db": 47.0},
               "cases": [{"name": "astronaut", "max_abs_diff": 1e-6, "sqnr_db": 120.0, "top5_agreement": 1.0}]}
    return results.counted(tool="cloformer-bench arm64", device=dict(EMULATED),
                           runtime={"name": runtime, "version": "1.5.1", "backend": backend, "threads": 1},
                           model="cloformer_xxs", artifact={"path": "/x/m.pte", "sha256": "ab" * 32},
                           input_shape=[1, 3, 224, 224], precision=precision, protocol=Protocol(warmup=2, iterations=1),
                           check=checked, instructions={"per_inference": instructions, "counted": [instructions],
                                                        "load": 40_000_000, "counter": "qemu-aarch64 7.2 TCG plugin",
                                                        "rewrites": list(rewrites)})


@pytest.fixture
def result_files(tmp_path):
    """Four valid results on two devices, one of them sustained and drifting (invalid)."""
    host = {"kind": "host", "model": "ci-box", "os": "Linux 6.1", "soc": "AMD EPYC", "cores": 2, "serial": None}
    made = [make_result(), make_result(runtime="onnxruntime", backend="CPUExecutionProvider", device=host),
            make_result(model="cloformer_s", latencies=[30.0] * 40),
            make_result(latencies=[10.0] * 20 + [13.0] * 30, sustained=True)]
    return [results.write(r, tmp_path / "results") for r in made]


@pytest.fixture
def fake_adb(tmp_path, monkeypatch):
    """Install the fake as `adb`; returns a function that sets the attached devices."""
    bin_dir, root = tmp_path / "bin", tmp_path / "phones"
    bin_dir.mkdir()
    root.mkdir()
    adb = bin_dir / "adb"
    adb.write_text(f"#!{sys.executable}\n" + (ROOT / "tests" / "runtime_bench" / "platforms" / "fake_adb.py").read_text())
    adb.chmod(adb.stat().st_mode | stat.S_IEXEC)
    template = tmp_path / "app_result.json"
    template.write_text(json.dumps(make_result()))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_ADB_ROOT", str(root))
    monkeypatch.setenv("FAKE_ADB_RESULT", str(template))
    monkeypatch.setattr(android, "POLL_SECONDS", 0.2)

    def attach(devices: str):
        monkeypatch.setenv("FAKE_ADB_DEVICES", devices)
        return root
    return attach


def hosted_infer(name: str, data: bytes, inputs: dict) -> dict:
    """What a hosted phone computes for an uploaded artifact: here, its target's runtime on this
    machine (a QNN context in the HTP emulator, for the SoC it was compiled for)."""
    import onnx

    from cloformer.export.api import TARGETS
    from cloformer.export.targets.qnn import COMPATIBILITY_KEY, SOCS, compiled_for
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        if path.suffix == ".tflite":
            run = TARGETS["litert"].runner(path, None)
        else:
            meta = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
            if COMPATIBILITY_KEY in meta:
                arch, model = compiled_for(meta[COMPATIBILITY_KEY])
                run = TARGETS["qnn"].runner(path, next(n for n, s in SOCS.items() if (s.arch, s.model) == (arch, model)))
            else:
                run = TARGETS["onnx"].runner(path, None)
        samples = next(iter(inputs.values()))
        return {"output_0": [run(x) for x in samples]}


@pytest.fixture
def aihub(tmp_path, monkeypatch):
    """A local AI Hub (tests/runtime_bench/platforms/aihub_server.py) that the real qai-hub client is
    configured for; returns a function that starts it with the given devices."""
    from cloformer.runtime_bench.platforms import aihub as platform

    from .runtime_bench.platforms.aihub_server import FakeHub, fast_client
    monkeypatch.setattr(platform, "POLL_SECONDS", 0.05)
    fast_client(monkeypatch)
    monkeypatch.setenv("CLOFORMER_CACHE", str(tmp_path / "cache"))
    with contextlib.ExitStack() as stack:
        def start(devices, infer=hosted_infer, **options) -> FakeHub:
            hub = stack.enter_context(FakeHub(devices, infer, **options))
            monkeypatch.setenv("QAIHUB_CLIENT_INI", str(hub.write_ini(tmp_path / "client.ini")))
            return hub
        yield start


# ---- the app tests: what they need, and skipping (or failing, in CI) without it -------------------

REQUIRE_APPS = "CLOFORMER_REQUIRE_APP_TESTS"  # set by .ci/run: a missing tool fails the run instead


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80)), 5):
            return True
    except OSError:
        return False


@cache
def missing_for(app: str) -> str | None:
    """What the app's tests need that this machine lacks, named; None when all is there."""
    tools = {"android_app": ("javac", "java", "apt-get", "dpkg-deb", "npm"),
             "ios_app": ("apt-get", "dpkg-deb", "chroot", "mount"), "arm64": HOST_TOOLS}[app]
    absent = [tool for tool in tools if shutil.which(tool) is None]
    if absent:
        return f"{', '.join(absent)} (not on PATH)"
    if app == "ios_app" and os.geteuid() != 0:
        return "root (the Swift toolchain runs in a Debian trixie chroot)"
    cached = {"android_app": CACHE / "android" / "debs", "ios_app": CACHE / "swift-trixie" / ".ready",
              "arm64": CACHE / "arm64" / "userland.json"}[app].exists()
    mirror = debian_mirror()
    if not cached and not _reachable(mirror):
        return f"the Debian mirror {mirror} (unreachable, and nothing cached in {CACHE})"
    return None


def pytest_collection_modifyitems(config, items):
    for app in ("android_app", "ios_app", "arm64"):
        marked = [item for item in items if item.get_closest_marker(app)]
        missing = missing_for(app) if marked else None
        if not missing:
            continue
        reason = f"{app} tests need {missing}"
        if os.environ.get(REQUIRE_APPS):
            raise pytest.UsageError(f"{reason}; {REQUIRE_APPS} is set (CI), so they may not be skipped")
        for item in marked:
            item.add_marker(pytest.mark.skip(reason=reason))
