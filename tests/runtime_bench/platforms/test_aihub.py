"""`cloformer-bench aihub` end to end: the real qai-hub client against a local AI Hub
(aihub_server.py) that runs the uploaded artifacts in this machine's runtimes, so the outputs
that come back go through the artifact's check as a phone's would."""
from __future__ import annotations

import contextlib
import io
import json
import threading
from pathlib import Path

import pytest

from cloformer.export.api import CHECK_FAILED, Protocol
from cloformer.runtime_bench import cli
from cloformer.runtime_bench.platforms.aihub import hub as hubs
from cloformer.runtime_bench.platforms.aihub.profile import profiler_iterations

from ...conftest import hosted_infer
from .aihub_server import FAIL_REASON, QRD, S23, S24, phones


def bench(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["aihub", *args])
    return code, out.getvalue(), err.getvalue()


def loaded(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def test_three_runtimes_on_two_devices_in_parallel_one_device_off(aihub, small_onnx_export, small_litert_export,
                                                                   small_qnn_export, tmp_path):
    started, both = [], threading.Event()

    def infer(name: str, data: bytes, inputs: dict) -> dict:
        # The first device's first job finishes only once the other device's has started: devices
        # that ran one after the other would stop here (and fail after 60 s).
        started.append(name)
        if len(started) >= 2:
            both.set()
        assert both.wait(60), "the second device's job never started while the first one's ran"
        return hosted_infer(name, data, inputs)

    hub = aihub(phones(qrd="off"), infer)
    artifacts = [str(e[0]) for e in (small_onnx_export, small_litert_export, small_qnn_export)]
    code, out, err = bench(*artifacts, "--device", S24, "--device", QRD, "--compute-unit", "litert=gpu",
                           "--output", str(tmp_path / "results"))
    assert code == 0, err
    made = loaded(tmp_path / "results")
    assert len(made) == 6 and len(hub.models) == 3  # each artifact uploaded once, run on both devices
    by = {(r["device"]["model"], Path(r["artifact"]["path"]).name): r for r in made}
    for artifact in artifacts:
        name = Path(artifact).name
        good, off = by[(S24, name)], by[(QRD, name)]
        assert good["valid"] and good["check"]["status"] == "pass", good["invalid_reasons"]
        assert good["device"] == {"kind": "cloud", "model": S24, "os": "Android 14", "soc": "QTI SM8650",
                                  "cores": None, "serial": None}
        assert good["hosted"]["url"].startswith(hub.url) and good["hosted"]["service"] == "Qualcomm AI Hub"
        assert "AI Hub's profiler ran" in good["protocol"]["differs"]
        assert len(good["latencies_ms"]) >= 30 and good["runtime"]["threads"] is None
        if name.endswith(".tflite") or "_onnx_" in name:  # fp32: 1 % off is far outside its tolerance
            assert not off["valid"] and off["invalid_reasons"][0].startswith(CHECK_FAILED)
    assert by[(S24, Path(artifacts[1]).name)]["runtime"]["backend"] == "gpu"
    assert set(by[(S24, Path(artifacts[2]).name)]["compute_plan"]) == {"npu", "cpu"}
    asked = [job["options"] for job in hub.jobs.values()]
    assert sorted(asked).count(f"--compute_unit gpu --max_profiler_iterations {profiler_iterations(Protocol())}") == 2
    assert "local-test-token" not in out + err + "".join(p.read_text() for p in (tmp_path / "results").glob("*"))


def test_a_failed_and_a_timed_out_job_are_one_line_each_and_the_good_result_is_kept(aihub, small_onnx_export,
                                                                                    tmp_path):
    aihub(phones(qrd="fail", s23="timeout"))
    code, out, err = bench(str(small_onnx_export[0]), "--device", S24, "--device", QRD, "--device", S23,
                           "--timeout", "1", "--output", str(tmp_path / "results"))
    assert code == 1
    assert err.strip() == "cloformer-bench: error: 2 job(s) failed (lines above); 1 result(s) written"
    failed = [line for line in out.splitlines() if line.startswith("job failed")]
    assert len(failed) == 2
    assert any(f"{QRD}: {small_onnx_export[0].name}: the job failed on the device: {FAIL_REASON!r}" in line
               for line in failed)
    assert any(f"{S23}: {small_onnx_export[0].name}: the job did not finish in 1 s" in line for line in failed)
    assert [r["device"]["model"] for r in loaded(tmp_path / "results")] == [S24]


def test_a_reached_quota_is_one_line(aihub, small_onnx_export, tmp_path):
    aihub(phones(s24="quota"))
    code, out, err = bench(str(small_onnx_export[0]), "--device", S24, "--output", str(tmp_path / "results"))
    assert code == 1 and "quota or rate limit is reached" in out
    assert not (tmp_path / "results").exists()


def test_the_newest_os_is_chosen_and_the_device_list_is_cached(aihub):
    hub = aihub(phones())
    found = hubs.resolve(hubs.client(), [S24], [])
    assert [(d.name, d.os) for d in found] == [(S24, "14")]
    code, out, _ = bench("--list-devices")
    assert code == 0 and "QTI SM8650" in out and "QTI SM8550" in out
    calls = len(hub.requests)
    assert bench("--list-devices", "--device-attr", "chipset:sm8550")[1].count(S23) == 1
    assert len(hub.requests) == calls  # from the cache


def test_compare_merges_cloud_and_host_results(aihub, small_onnx_export, tmp_path):
    aihub(phones())
    assert bench(str(small_onnx_export[0]), "--device", S24, "--output", str(tmp_path / "results"))[0] == 0
    assert cli.main(["host", str(small_onnx_export[0]), "--rounds", "1", "--iterations", "30", "--warmup", "1",
                     "--output", str(tmp_path / "results")]) == 0
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["compare", str(tmp_path / "results"), "--output", str(tmp_path / "table")]) == 0
    table = (tmp_path / "table" / "table.md").read_text()
    assert f"{S24} (cloud)" in table and "(host)" in table
    assert "differs [1]" in table and "\n[1] AI Hub's profiler ran" in table
    assert "| ours |" in table


@pytest.mark.parametrize("unit, line", [
    ("tpu", "--compute-unit tpu: AI Hub runs --target onnx artifacts on cpu, npu"),
    ("coreml=cpu", "--compute-unit coreml=cpu: AI Hub runs artifacts of --target onnx, litert, qnn, not coreml"),
])
def test_a_compute_unit_the_target_does_not_have_is_refused(small_onnx_export, unit, line, capsys):
    assert cli.main(["aihub", str(small_onnx_export[0]), "--device", S24, "--compute-unit", unit]) == 2
    assert line in capsys.readouterr().err


def test_fewer_runs_than_the_protocol_asks_make_an_invalid_result_that_says_so(aihub, small_onnx_export, tmp_path):
    aihub(phones(), iterations=20)
    assert bench(str(small_onnx_export[0]), "--device", S24, "--output", str(tmp_path / "results"))[0] == 0
    [made] = loaded(tmp_path / "results")
    assert made["check"]["status"] == "pass" and len(made["latencies_ms"]) == 9  # after the first and 10 warm-up
    assert made["invalid_reasons"] == ["too few iterations: 9 < 30"]
    assert made["protocol"]["differs"].startswith("AI Hub's profiler ran 20 inferences back to back on the check "
                                                  f"inputs (asked for {profiler_iterations(Protocol())})")
