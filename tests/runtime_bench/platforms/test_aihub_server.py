"""FakeHub driven by the real qai_hub client only (Client() configured by the ini FakeHub writes)."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnx
import onnxruntime
import pytest
import qai_hub
from onnx import TensorProto, helper

from .aihub_server import FAIL_REASON, FakeDevice, FakeHub, fast_client

SNAPDRAGON = ["format:phone", "os:android", "framework:onnx", "framework:tflite", "framework:qnn"]
S24 = FakeDevice("Samsung Galaxy S24 (Family)", "14", ["chipset:qualcomm-snapdragon-8gen3", "hexagon:v75", *SNAPDRAGON])
S23 = FakeDevice("Samsung Galaxy S23 (Family)", "13", ["chipset:qualcomm-snapdragon-8gen2", "hexagon:v73", *SNAPDRAGON],
                 "off")
BROKEN = FakeDevice("Snapdragon 8 Elite QRD", "15", ["chipset:qualcomm-snapdragon-8-elite", *SNAPDRAGON], "fail")
STUCK = FakeDevice("Samsung Galaxy S21", "12", ["chipset:qualcomm-snapdragon-888", *SNAPDRAGON], "timeout")
BUSY = FakeDevice("Google Pixel 3", "11", ["chipset:qualcomm-snapdragon-845", *SNAPDRAGON], "quota")
X = np.arange(48, dtype=np.float32).reshape(1, 3, 4, 4) / 7


def run_onnx(name: str, data: bytes, inputs: dict[str, list[np.ndarray]]) -> dict[str, list[np.ndarray]]:
    assert name.endswith(".onnx")
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    runs = [session.run(None, {k: v[i] for k, v in inputs.items()}) for i in range(len(next(iter(inputs.values()))))]
    return {name: [run[j] for run in runs] for j, name in enumerate(names)}


@pytest.fixture
def model(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "two"], ["y"])], "double",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])])
    path = tmp_path / "double.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    return path


@pytest.fixture
def hub(tmp_path, monkeypatch):
    with FakeHub([S24, S23, BROKEN, STUCK, BUSY], run_onnx) as fake:
        monkeypatch.setenv("QAIHUB_CLIENT_INI", str(fake.write_ini(tmp_path / "client.ini")))
        fast_client(monkeypatch)
        yield fake


def test_devices(hub):
    client = qai_hub.Client()
    assert [d.name for d in client.get_devices()] == [d.name for d in hub.devices]
    assert client.get_devices(attributes="chipset:qualcomm-snapdragon-8gen3") == [
        qai_hub.Device(S24.name, "14", S24.attributes)]
    assert [d.name for d in client.get_devices(os="[13,15)", attributes="os:android")] == [S24.name, S23.name]
    assert hub.requests[0] == ("GET", "/api/v1/devices/")


def test_inference_with_profile_on_two_devices_in_parallel(hub, model):
    client = qai_hub.Client()
    inputs = {"x": [X, X + 1]}

    def run(device, options):
        job = client.submit_inference_job(str(model), qai_hub.Device(device.name), inputs=inputs,
                                          options=options, retry=False, profile=True)
        status = job.wait()
        return job, status, job.download_profile(), job.download_output_data()

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, [S24, S23], ["--compute_unit npu", ""]))
    for (job, status, profile, outputs), scale in zip(results, [1.0, 1.01]):
        assert status.success and job.shapes == {"x": ((1, 3, 4, 4), "float32")}
        assert list(outputs) == ["y"] and len(outputs["y"]) == 2
        for x, y in zip(inputs["x"], outputs["y"]):
            np.testing.assert_allclose(y, x * 2 * scale, rtol=1e-6)
        summary = profile["execution_summary"]
        assert len(summary["all_inference_times"]) == 100 and len(set(summary["all_inference_times"])) > 2
        assert summary["estimated_inference_time"] > 0 and summary["first_load_time"] > 0
        lower, upper = summary["inference_memory_peak_range"]
        assert 0 < lower < upper
    units = [[layer["compute_unit"] for layer in r[2]["execution_detail"]] for r in results]
    assert set(units[0]) == {"NPU", "CPU"} and units[0].count("NPU") > 1 and set(units[1]) == {"CPU"}
    steady = [r[2]["execution_summary"]["all_inference_times"][50] for r in results]
    assert steady[0] != steady[1]
    jobs = {info["device"]: info for info in hub.jobs.values()}
    assert jobs[S24.name]["options"] == "--compute_unit npu" and jobs[S24.name]["profile"]
    assert jobs[S23.name]["os"] == "13" and jobs[S23.name]["dataset_id"]
    assert {hub.models[info["model_id"]] for info in jobs.values()} == {("double.onnx", model.read_bytes())}


def test_same_name_two_os_versions(tmp_path, monkeypatch, model):
    older = FakeDevice(S24.name, "13", S24.attributes, "fail")
    with FakeHub([S24, older], run_onnx) as fake:
        monkeypatch.setenv("QAIHUB_CLIENT_INI", str(fake.write_ini(tmp_path / "client.ini")))
        client = qai_hub.Client()
        assert client.get_devices(name=S24.name, os="13") == [qai_hub.Device(S24.name, "13", S24.attributes)]
        latest = client.submit_inference_job(str(model), qai_hub.Device(S24.name), inputs={"x": [X]}, retry=False)
        old = client.submit_inference_job(str(model), qai_hub.Device(S24.name, "13"), inputs={"x": [X]}, retry=False)
        assert latest.wait().success and old.wait().failure
        assert [info["os"] for info in fake.jobs.values()] == ["14", "13"]


def test_failed_job(hub, model):
    job = qai_hub.Client().submit_inference_job(str(model), qai_hub.Device(BROKEN.name), inputs={"x": [X]},
                                                retry=False)
    status = job.wait()
    assert status.failure and status.code == "FAILED" and status.message == FAIL_REASON
    assert job.download_output_data() is None and job.download_profile() == {}


def test_timeout_raises_timeout_error(hub, model):
    job = qai_hub.Client().submit_inference_job(str(model), qai_hub.Device(STUCK.name), inputs={"x": [X]},
                                                retry=False)
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="timed out after 1 seconds"):
        job.wait(timeout=1)
    assert time.monotonic() - start < 5 and job.get_status().running


def test_quota_raises_rate_limited(hub, model):
    with pytest.raises(qai_hub.client.RateLimitedError, match="Request was throttled"):
        qai_hub.Client().submit_inference_job(str(model), qai_hub.Device(BUSY.name), inputs={"x": [X]}, retry=False)
    assert hub.requests.count(("POST", "/api/v1/jobs/")) == 7  # the client's own backoff retries 429 six times
    assert hub.jobs == {}


def test_wrong_token(hub, tmp_path, monkeypatch):
    monkeypatch.setenv("QAIHUB_CLIENT_INI", str(hub.write_ini(tmp_path / "bad.ini", token="nope")))
    with pytest.raises(qai_hub.UserError, match="Failed to authenticate"):
        qai_hub.Client().get_devices()


def test_unknown_device(hub, model):
    with pytest.raises(qai_hub.UserError, match="is not available"):
        qai_hub.Client().submit_inference_job(str(model), qai_hub.Device("Nokia 3310"), inputs={"x": [X]})


def test_implemented_routes_are_listed(hub):
    assert "GET /api/v1/devices/ -> DeviceList" in hub.implemented
    assert all(line.split()[0] in {"GET", "POST", "PUT", "PATCH"} for line in hub.implemented)


def test_running_polls_and_a_failing_infer(tmp_path, monkeypatch, model):
    def broken(name, data, inputs):
        raise RuntimeError("no kernel for Mul")

    with FakeHub([S24], broken, running_polls=1) as fake:
        monkeypatch.setenv("QAIHUB_CLIENT_INI", str(fake.write_ini(tmp_path / "client.ini")))
        fast_client(monkeypatch)
        job = qai_hub.Client().submit_inference_job(str(model), qai_hub.Device(S24.name), inputs={"x": [X]},
                                                    retry=False)
        assert job.get_status().code == "MEASURING_PERFORMANCE"
        status = job.wait()
    assert status.failure and status.message == "Inference failed: RuntimeError('no kernel for Mul')"
