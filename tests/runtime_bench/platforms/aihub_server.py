"""A local stand-in for Qualcomm AI Hub's REST service, for tests: the real, unmodified `qai_hub`
client (configured by an ini whose api_url points here) lists devices, uploads a model and an input
dataset, runs an inference job with profiling, polls it and downloads the profile and the outputs.

Wire format of qai-hub 0.56.0 (qai_hub/public_rest_api.py, api_utils.py): protobuf bodies
(`application/x-protobuf`, messages from qai_hub.public_api_pb2), `Authorization: token <token>`,
Django-REST-style JSON `{"detail": ...}` errors. Uploads and downloads take the service's non-S3
paths: the model as a multipart upload PUT part by part to URLs of this server (each answer carries
an ETag), the dataset as a form POST, outputs as a plain GET; those URLs need no token, like
pre-signed S3 URLs. Datasets are h5 files in the client's layout (data/<i>/batch_<j>)."""
from __future__ import annotations

import hashlib
import io
import json
import re
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import h5py
import numpy as np
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from qai_hub import public_api_pb2 as pb

FAIL_REASON = ("Failed to load the model on device: the QNN HTP backend could not finalize the graph "
               "(QNN error 6031). Check that every operator is supported on this device.")
Infer = Callable[[str, bytes, dict[str, list[np.ndarray]]], dict[str, list[np.ndarray]]]
PART_SIZE = 5 * 1024 * 1024  # S3's minimum multipart part size
EXTENSIONS = {pb.MODEL_TYPE_ONNX: ".onnx", pb.MODEL_TYPE_TFLITE: ".tflite", pb.MODEL_TYPE_QNN_DLC: ".dlc",
              pb.MODEL_TYPE_QNN_CONTEXT_BINARY: ".bin"}
UNITS = {"npu": pb.COMPUTE_UNIT_NPU, "gpu": pb.COMPUTE_UNIT_GPU, "cpu": pb.COMPUTE_UNIT_CPU}
LAYERS = [("conv_0", "Conv"), ("relu_1", "Relu"), ("add_2", "Add"), ("gemm_3", "Gemm"), ("softmax_4", "Softmax")]
FINAL = (pb.JOB_STATE_DONE, pb.JOB_STATE_FAILED)
MIB = 1024 * 1024

# method, path (<x>: one segment), handler, request, response. Without supports_s3_credentials=true in the query
# (the client's older helpers) the upload/download routes answer the inner message alone, as the service does.
ROUTES = [
    ("GET", "/api/v1/devices/", "devices", "", "DeviceList"),
    ("POST", "/api/v1/models/", "create_model", "Model", "CreateUpdateResponse"),
    ("GET", "/api/v1/models/<id>/", "get_model", "", "Model"),
    ("GET", "/api/v1/models/<id>/multipart_upload/", "model_upload", "", "FileUploadResponse(multipart_url) | FileMultipartUploadURL"),
    ("POST", "/api/v1/models/<id>/multipart_upload/", "model_uploaded", "FileMultipartUploadComplete", "CreateUpdateResponse"),
    ("POST", "/api/v1/datasets/", "create_dataset", "Dataset", "CreateUpdateResponse"),
    ("GET", "/api/v1/datasets/<id>/", "get_dataset", "", "Dataset"),
    ("PATCH", "/api/v1/datasets/<id>/", "dataset_uploaded", "Dataset(file_upload_complete)", "CreateUpdateResponse"),
    ("GET", "/api/v1/datasets/<id>/upload_url/", "dataset_upload", "", "FileUploadResponse(url) | FileUploadURL"),
    ("GET", "/api/v1/datasets/<id>/download_data/", "dataset_download", "", "FileDownloadResponse(url) | FileDownloadURL"),
    ("POST", "/api/v1/jobs/", "create_job", "Job(inference_job)", "CreateUpdateResponse"),
    ("GET", "/api/v1/jobs/<id>/", "get_job", "", "Job(inference_job)"),
    ("GET", "/api/v1/jobs/<id>/result/", "job_result", "", "JobResult(inference_job_result)"),
    ("PUT", "/storage/<upload>/<part>", "put_part", "model bytes, one part", "200 with an ETag header"),
    ("POST", "/storage/<id>", "post_form", "multipart/form-data, the h5 in field 'file'", "204"),
    ("GET", "/storage/<id>", "get_blob", "", "the h5 bytes"),
]


@dataclass
class FakeDevice:
    name: str
    os: str
    attributes: list[str]
    behaviour: str = "ok"  # ok | off (outputs x1.01) | fail | timeout (never finishes) | quota (429 on job creation)


# The phones the tests ask for: two with an SM8650 (Snapdragon 8 Gen 3), the S24 under two OS versions,
# and one with an SM8550; attributes as AI Hub lists them (chipset by name and by part number).
SM8650 = ["chipset:qualcomm-snapdragon-8gen3", "chipset:sm8650", "hexagon:v75", "htp-supports-fp16:true",
          "format:phone", "os:android", "framework:onnx", "framework:tflite", "framework:qnn"]
SM8550 = ["chipset:qualcomm-snapdragon-8gen2", "chipset:sm8550", "hexagon:v73", "htp-supports-fp16:true",
          "format:phone", "os:android", "framework:onnx", "framework:tflite", "framework:qnn"]
S24, QRD, S23 = "Samsung Galaxy S24 (Family)", "Snapdragon 8 Gen 3 QRD", "Samsung Galaxy S23 (Family)"


def phones(s24: str = "ok", qrd: str = "ok", s23: str = "ok") -> list[FakeDevice]:
    """The test phones, each behaving as asked."""
    return [FakeDevice(S24, "14", SM8650, s24), FakeDevice(S24, "13", SM8650, s24), FakeDevice(QRD, "14", SM8650, qrd),
            FakeDevice(S23, "14", SM8550, s23)]


class HttpError(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}


@dataclass
class _Job:
    pb: pb.InferenceJob
    device: FakeDevice
    index: int  # the device's position, which sets its speed
    outputs: Future | None
    polls: int = 0
    output_id: str = ""


def read_h5(data: bytes) -> dict[str, list[np.ndarray]]:
    with h5py.File(io.BytesIO(data), "r") as f:
        groups = sorted(f["data"].values(), key=lambda g: int(g.attrs.get("order", g.name.split("/")[-1])))
        return {str(g.attrs["name"]): [np.array(g[f"batch_{j}"]) for j in range(int(g.attrs["batch_count"]))]
                for g in groups}


def write_h5(entries: dict[str, list[np.ndarray]]) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for i, (name, arrays) in enumerate(entries.items()):
            for j, array in enumerate(arrays):
                f.create_dataset(f"data/{i}/batch_{j}", data=array)
            f[f"data/{i}"].attrs.update({"name": name, "order": i, "batch_count": len(arrays)})
    return buffer.getvalue()


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text))


def now(days: int = 0) -> Timestamp:
    return Timestamp(seconds=int(time.time()) + days * 86400)


def profile(index: int, options: str, cap: int | None) -> pb.ProfileDetail:
    """Deterministic numbers: a cold first run, then a steady level set by the device's index and unit;
    as many runs as the options ask (100 when they do not), at most `cap`."""
    match = re.search(r"--compute_unit[ =](\w+)", options)
    unit = UNITS.get(match.group(1) if match else "cpu", pb.COMPUTE_UNIT_CPU)
    match = re.search(r"--max_profiler_iterations[ =](\d+)", options)
    iterations = min(int(match.group(1)) if match else 100, cap or 1 << 30)
    steady = (800 + 150 * index) * {pb.COMPUTE_UNIT_NPU: 1, pb.COMPUTE_UNIT_GPU: 2, pb.COMPUTE_UNIT_CPU: 4}[unit]
    times = [6 * steady] + [steady + (i * 37) % 41 - 20 for i in range(1, iterations)]
    units = [unit] * len(LAYERS)
    if unit == pb.COMPUTE_UNIT_NPU:
        units[-1] = pb.COMPUTE_UNIT_CPU  # the service often leaves a layer or two on the CPU

    cold, warm, run = ((mib + index) * MIB for mib in (30, 20, 12))  # bytes, also set by the device
    memory = {stage: pb.ProfileDetail.MemoryUsage(increase=pb.Range(lower=size // 2, upper=size),
                                                  peak=pb.Range(lower=size, upper=size + 2 * MIB))
              for stage, size in (("cold_load", cold), ("warm_load", warm), ("execution", run))}
    return pb.ProfileDetail(
        major_version=1, minor_version=2, execution_time=sorted(times)[len(times) // 2], cold_load_time=40 * steady,
        warm_load_time=10 * steady, all_cold_load_times=[40 * steady], all_warm_load_times=[10 * steady],
        all_execution_times=times, after_cold_load_peak_memory=cold + 2 * MIB, after_warm_load_peak_memory=warm + 2 * MIB,
        after_execution_peak_memory=run + 2 * MIB, **{f"{stage}_memory": m for stage, m in memory.items()},
        layer_details=[pb.LayerDetail(name=name, id=str(i), layer_type_name=kind, compute_unit=u,
                                      execution_time=steady // len(LAYERS))
                       for i, ((name, kind), u) in enumerate(zip(LAYERS, units))])


class FakeHub:
    def __init__(self, devices: list[FakeDevice], infer: Infer, token: str = "local-test-token",
                 iterations: int | None = None, running_polls: int = 0):
        # iterations: the most profiler runs a job gets (None: as many as asked). running_polls: status queries answered "running" before ok/off/fail jobs finish. 0 keeps Job.wait()
        # to a single query: it sleeps Job._polling_interval (10 s) between queries.
        self.devices, self.infer, self.token, self.iterations = devices, infer, token, iterations
        self.running_polls = running_polls
        self.url = ""
        self.requests: list[tuple[str, str]] = []
        self.models: dict[str, tuple[str, bytes]] = {}
        self.jobs: dict[str, dict] = {}
        self.implemented = [f"{m} {p}{f' ({req})' if req else ''} -> {res}" for m, p, _, req, res in ROUTES]
        self._routes = [(m, re.compile(re.sub(r"<\w+>", "([^/]+)", p)), h) for m, p, h, _, _ in ROUTES]
        self._lock = threading.RLock()
        self._ids = 0
        self._model_pbs: dict[str, pb.Model] = {}
        self._datasets: dict[str, pb.Dataset] = {}
        self._blobs: dict[str, bytes] = {}
        self._parts: dict[str, dict[int, bytes]] = {}
        self._jobs: dict[str, _Job] = {}

    def __enter__(self) -> FakeHub:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hub._dispatch(self)
            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._pool = ThreadPoolExecutor(max_workers=4)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def write_ini(self, path: Path, token: str | None = None) -> Path:
        path.write_text(f"[api]\napi_token = {self.token if token is None else token}\napi_url = {self.url}\n"
                        f"web_url = {self.url}\nverbose = False\n")
        return path

    # ---- plumbing ---------------------------------------------------------------------------------

    def _dispatch(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        query = parse_qs(url.query, keep_blank_values=True)
        with self._lock:
            self.requests.append((h.command, url.path))
        try:
            body = h.rfile.read(int(h.headers.get("Content-Length") or 0))  # 0.56.0 never sends chunked bodies
            if url.path.startswith("/api/") and h.headers.get("Authorization") != f"token {self.token}":
                raise HttpError(401, "Invalid token." if h.headers.get("Authorization")
                                else "Authentication credentials were not provided.", {"WWW-Authenticate": "Token"})
            route = next(((handler, m.groups()) for method, pattern, handler in self._routes
                          if method == h.command and (m := pattern.fullmatch(url.path))), None)
            if route is None:
                raise HttpError(404, "Not found.")
            try:
                answer = getattr(self, "_" + route[0])(query, body, h.headers, *route[1])
            except KeyError:  # an unknown id
                raise HttpError(404, "Not found.") from None
            status, payload, headers = answer if isinstance(answer, tuple) else (200, answer, {})
        except HttpError as e:
            status, payload, headers = e.status, {"detail": e.detail}, e.headers
        except Exception as e:  # a bug here: 4xx, since the client retries 5xx for minutes
            traceback.print_exc()
            status, payload, headers = 400, {"detail": f"FakeHub error: {e!r}"}, {}
        if isinstance(payload, Message):
            payload, headers = payload.SerializeToString(), {"Content-Type": "application/x-protobuf", **headers}
        elif isinstance(payload, dict):
            payload, headers = json.dumps(payload).encode(), {"Content-Type": "application/json", **headers}
        h.send_response(status)
        for key, value in {"Content-Length": str(len(payload)), **headers}.items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(payload)

    def _new_id(self, prefix: str) -> str:
        with self._lock:
            self._ids += 1
            return f"{prefix}{self._ids:08d}"

    # ---- devices, models, datasets ----------------------------------------------------------------

    def _devices(self, q, body, headers):
        name, os, wanted = q.get("name", [""])[-1], q.get("os", [""])[-1], q.get("attributes", [])
        lo, _, hi = os.strip("[)").partition(",")
        found = [d for d in self.devices if (not name or d.name == name) and set(wanted) <= set(d.attributes)
                 and (not os or (d.os == os if not os.startswith("[") else
                                 (not lo or version(d.os) >= version(lo)) and (not hi or version(d.os) < version(hi))))]
        if q.get("select", ["False"])[-1] == "True":  # the service picks one: the latest OS
            found = sorted(found, key=lambda d: version(d.os), reverse=True)[:1]
        return pb.DeviceList(devices=[pb.Device(name=d.name, os=d.os, attributes=d.attributes) for d in found],
                             total_query_count=len(found))

    def _create_model(self, q, body, headers):
        model = pb.Model.FromString(body)
        model.model_id = self._new_id("m")
        model.creation_time.CopyFrom(now())
        self._model_pbs[model.model_id] = model
        return pb.CreateUpdateResponse(id=model.model_id, creation_time=model.creation_time)

    def _get_model(self, q, body, headers, model_id):
        return self._model_pbs[model_id]

    def _model_upload(self, q, body, headers, model_id):
        self._model_pbs[model_id]
        upload_id = f"u{model_id}"
        self._parts[upload_id] = {}
        parts = max(1, -(-int(q.get("file_size", ["0"])[-1]) // PART_SIZE))
        urls = pb.FileMultipartUploadURL(urls=[f"{self.url}/storage/{upload_id}/{i + 1}" for i in range(parts)],
                                         upload_id=upload_id, max_part_size=PART_SIZE)
        return pb.FileUploadResponse(multipart_url=urls) if "supports_s3_credentials" in q else urls

    def _put_part(self, q, body, headers, upload_id, part):
        self._parts[upload_id][int(part)] = body
        return 200, b"", {"ETag": f'"{hashlib.md5(body).hexdigest()}"'}

    def _model_uploaded(self, q, body, headers, model_id):
        done = pb.FileMultipartUploadComplete.FromString(body)
        parts = [data for _, data in sorted(self._parts.pop(done.upload_id).items())]
        if [f'"{hashlib.md5(p).hexdigest()}"' for p in parts] != list(done.etags):
            raise HttpError(400, "The uploaded parts do not match the ETags.")
        model = self._model_pbs[model_id]
        model.file_upload_complete = True
        extension = EXTENSIONS.get(model.model_type, "")
        name = model.name if model.name.endswith(extension) or model.is_directory else model.name + extension
        self.models[model_id] = (name, b"".join(parts))
        return pb.CreateUpdateResponse(id=model_id)

    def _create_dataset(self, q, body, headers):
        dataset = pb.Dataset.FromString(body)
        dataset.dataset_id = self._new_id("d")
        dataset.creation_time.CopyFrom(now())
        if not dataset.permanent:
            dataset.expiration_time.CopyFrom(now(days=30))
        self._datasets[dataset.dataset_id] = dataset
        return pb.CreateUpdateResponse(id=dataset.dataset_id, creation_time=dataset.creation_time,
                                       expiration_time=dataset.expiration_time)

    def _get_dataset(self, q, body, headers, dataset_id):
        return self._datasets[dataset_id]

    def _dataset_upload(self, q, body, headers, dataset_id):
        self._datasets[dataset_id]
        url = pb.FileUploadURL(url=f"{self.url}/storage/{dataset_id}", file_field_name="file")
        return pb.FileUploadResponse(url=url) if "supports_s3_credentials" in q else url

    def _post_form(self, q, body, headers, dataset_id):
        boundary = re.search(r'boundary="?([^";]+)', headers.get("Content-Type", "")).group(1).encode()
        for part in body.split(b"--" + boundary)[1:-1]:
            head, _, data = part.partition(b"\r\n\r\n")
            if re.search(rb'; name="file"', head):
                self._blobs[dataset_id] = data[:-2]  # the CRLF before the next boundary
                return 204, b"", {}
        raise HttpError(400, "The form has no 'file' field.")

    def _dataset_uploaded(self, q, body, headers, dataset_id):
        if dataset_id not in self._blobs:
            raise HttpError(400, "The dataset's file was not uploaded.")
        self._datasets[dataset_id].file_upload_complete = True
        return pb.CreateUpdateResponse(id=dataset_id)

    def _dataset_download(self, q, body, headers, dataset_id):
        self._blobs[dataset_id]
        url = pb.FileDownloadURL(url=f"{self.url}/storage/{dataset_id}", filename=f"dataset-{dataset_id}.h5")
        return pb.FileDownloadResponse(url=url) if "supports_s3_credentials" in q else url

    def _get_blob(self, q, body, headers, dataset_id):
        return 200, self._blobs[dataset_id], {"Content-Type": "application/x-hdf5"}

    # ---- jobs --------------------------------------------------------------------------------------

    def _create_job(self, q, body, headers):
        job = pb.Job.FromString(body)
        if job.WhichOneof("job") != "inference_job":
            raise HttpError(400, "FakeHub only runs inference jobs.")
        asked = job.inference_job
        index, device = next(((i, d) for i, d in enumerate(self.devices) if d.name == asked.device.name
                              and asked.device.os in ("", d.os)), (-1, None))  # the client sends the os it chose
        if device is None:
            raise HttpError(400, f"Device '{asked.device.name}' is not available.")
        if device.behaviour == "quota":  # Django REST framework's throttling answer, which the client expects
            raise HttpError(429, "Request was throttled. Expected available in 3600 seconds.", {"Retry-After": "3600"})
        name, data = self.models[asked.model.model_id]
        dataset_id = asked.dataset.dataset_id
        blob = self._blobs[dataset_id] if dataset_id else None
        job_id = self._new_id("j")
        asked.inference_job_id, asked.job_state = job_id, pb.JOB_STATE_CREATED
        asked.creation_time.CopyFrom(now())
        asked.model.CopyFrom(self._model_pbs[asked.model.model_id])
        outputs = None
        if blob is not None and device.behaviour in ("ok", "off"):  # start now, so polling finds it done
            outputs = self._pool.submit(self._run, device, name, data, blob)
        with self._lock:
            self.jobs[job_id] = {"device": device.name, "os": device.os, "model_id": asked.model.model_id, "dataset_id": dataset_id,
                                 "options": asked.options, "profile": asked.is_profiling_on}
            self._jobs[job_id] = _Job(asked, device, index, outputs)
        return pb.CreateUpdateResponse(id=job_id, creation_time=asked.creation_time)

    def _run(self, device: FakeDevice, name: str, data: bytes, blob: bytes):
        inputs = read_h5(blob)
        outputs = self.infer(name, data, inputs)
        if device.behaviour == "off":
            outputs = {k: [(np.asarray(a) * 1.01).astype(np.asarray(a).dtype) for a in v] for k, v in outputs.items()}
        return inputs, outputs

    def _get_job(self, q, body, headers, job_id):
        job = self._jobs[job_id]
        with self._lock:
            job.polls += 1
            state, behaviour = job.pb.job_state, job.device.behaviour
            if state not in FINAL:
                if behaviour == "timeout" or job.polls <= self.running_polls:
                    job.pb.job_state = (pb.JOB_STATE_MEASURING_PERFORMANCE if job.pb.is_profiling_on
                                        else pb.JOB_STATE_RUNNING_INFERENCE)
                elif behaviour == "fail":
                    job.pb.job_state, job.pb.failure_reason = pb.JOB_STATE_FAILED, FAIL_REASON
        if job.pb.job_state not in FINAL and behaviour in ("ok", "off") and job.polls > self.running_polls:
            self._finish(job)  # outside the lock: it waits for infer
        with self._lock:
            return pb.Job(inference_job=job.pb, hub_version="fake-aihub")

    def _finish(self, job: _Job) -> None:
        try:
            inputs, outputs = job.outputs.result() if job.outputs else ({}, None)
        except Exception as e:  # the test's infer failed: show it the way the service shows a device error
            with self._lock:
                job.pb.job_state, job.pb.failure_reason = pb.JOB_STATE_FAILED, f"Inference failed: {e!r}"
            return
        with self._lock:
            if job.pb.job_state in FINAL:
                return
            for name, arrays in inputs.items():
                job.pb.tensor_type_list.types.add(name=name, tensor_type=pb.TensorType(
                    shape=arrays[0].shape, dtype=pb.TensorDtype.Value(f"TENSOR_DTYPE_{arrays[0].dtype.name.upper()}")))
            if outputs is not None:
                job.output_id = self._new_id("d")
                self._blobs[job.output_id] = write_h5(outputs)
                self._datasets[job.output_id] = pb.Dataset(
                    dataset_id=job.output_id, name=f"{job.pb.name} outputs", creation_time=now(),
                    expiration_time=now(days=30), file_upload_complete=True)
            job.pb.completion_time.CopyFrom(now())
            job.pb.job_state = pb.JOB_STATE_DONE

    def _job_result(self, q, body, headers, job_id):
        job = self._jobs[job_id]
        if job.pb.job_state != pb.JOB_STATE_DONE:
            raise HttpError(400, "The job has no results: it has not succeeded.")
        result = pb.InferenceJobResult(inference_job_id=job_id, output_dataset_id=job.output_id)
        if job.pb.is_profiling_on:
            result.detail.CopyFrom(profile(job.index, job.pb.options, self.iterations))
        return pb.JobResult(inference_job_result=result)


def fast_client(monkeypatch) -> None:
    """Make the real client's own waits test-sized (pytest's monkeypatch undoes it): Job.wait() sleeps
    Job._polling_interval (10 s) between status queries, and a 429 on job creation is retried 6 times
    with exponential backoff (about 15 s) before the client raises."""
    import qai_hub.client
    import qai_hub.util.session
    monkeypatch.setattr(qai_hub.client.Job, "_polling_interval", 1)
    monkeypatch.setattr(qai_hub.util.session, "MAX_WAIT", 0)
