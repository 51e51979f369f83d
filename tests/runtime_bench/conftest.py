"""Result files as the host bench and the apps write them, without running a model; a fake
`adb` on PATH."""
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from cloformer.runtime_bench import android
from cloformer.runtime_bench import result as results
from cloformer.runtime_bench.protocol import Protocol, intervals, invalid_reasons, summarize

IPHONE = {"kind": "ios", "model": "iPhone15,2", "os": "iOS 18.1", "soc": "A16 Bionic", "cores": 6, "serial": None}
DEVICE = {"kind": "android", "model": "Pixel 8", "os": "Android 15", "soc": "Tensor G3", "cores": 9, "serial": "abc123"}


def make_result(latencies=None, runtime="executorch", backend="xnnpack", model="cloformer_xxs",
                device=DEVICE, sustained=False, precision="fp32") -> dict:
    latencies = latencies or [10.0 + 0.1 * (i % 7) for i in range(50)]
    starts = [i * 0.05 for i in range(len(latencies))]
    summary = intervals(starts, latencies) if sustained else None
    measured = {"first_ms": 40.0, "latencies_ms": latencies, "stats": summarize(latencies),
                "sustained": summary, "invalid_reasons": invalid_reasons(latencies, summary)}
    return results.new(tool="android_app", device=dict(device),
                       runtime={"name": runtime, "version": "1.5.1", "backend": backend, "threads": 4},
                       model=model, artifact={"path": "/data/local/tmp/m.pte", "sha256": "ab" * 32},
                       input_shape=[1, 3, 224, 224], precision=precision,
                       protocol=Protocol(sustained_seconds=2.5 if sustained else None), load_ms=120.0,
                       measured=measured, memory={"peak_rss_mb": None, "pss_mb": 88.5})


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
    adb.write_text(f"#!{sys.executable}\n" + Path(__file__).with_name("fake_adb.py").read_text())
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
