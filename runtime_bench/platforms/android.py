"""`cloformer-bench android`: drive the companion app (android_app/) over adb on every attached
device in parallel: push artifacts and manifests, start the app headless with the protocol as
intent extras, wait for its result file, pull it, validate it against the schema.

The contract with the app (android_app/ implements the other side):
  am start -n org.cloformer.bench/.BenchmarkActivity
     --es artifact /data/local/tmp/cloformer/<artifact>   (beside it: its manifest <artifact>.json and
                                                           its check bundle <artifact>.check/)
     --es run_id <id> --ei warmup W --ei rounds R --ei iterations I --ei threads T
     [--ef sustained_seconds S] --ef cooldown_seconds C --es serial <adb serial>
  (android_app/.../core/Extras.java reads them; tests/android_app checks the two agree; the app takes
  the runner and backend from the manifest's `apps.android`, which the artifact's target declares)
  -> the app writes <RESULT_DIR>/<id>.json (atomically: temp name, then rename) and finishes.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ...export.api import CommandError, Protocol, UsageError, check_bundle, for_app, load_manifest, manifest_path
from .. import flags
from .. import result as results
from .base import AllRun, Platform, register

APP = "android"  # this platform's name: the manifest's `apps` entry the app reads

PACKAGE = "org.cloformer.bench"
ACTIVITY = f"{PACKAGE}/.BenchmarkActivity"
DEVICE_DIR = "/data/local/tmp/cloformer"
RESULT_DIR = f"/sdcard/Android/data/{PACKAGE}/files/results"
APK_HINT = "adb install android_app/build/cloformer-bench.apk (see android_app/README.md)"
POLL_SECONDS = 1.0
SUFFIXES = tuple(dict.fromkeys(t.suffix for t in for_app(APP)))  # the file types the app runs, each once


class DeviceError(CommandError):
    """One device failed (timeout, app missing, bad result); the others carry on."""


def _adb(*args: str, serial: str | None = None, timeout: float = 120) -> str:
    command = ["adb", *(("-s", serial) if serial else ()), *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise DeviceError(f"{serial or 'adb'}: `adb {' '.join(args)}` did not answer in {timeout:.0f} s") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise DeviceError(f"{serial or 'adb'}: `adb {' '.join(args)}` failed: {detail[-1] if detail else done.returncode}")
    return done.stdout


def attached(serials: list[str]) -> list[str]:
    """The devices to use: the requested serials, or every attached one; usage errors otherwise."""
    if shutil.which("adb") is None:
        raise UsageError("adb not found on PATH; install Android platform-tools (apt install adb) and retry")
    ready = [line.split()[0] for line in _adb("devices").splitlines()[1:]
             if len(line.split()) >= 2 and line.split()[1] == "device"]
    if not ready:
        raise UsageError("no Android device attached (adb devices lists none ready); "
                         "connect one with USB debugging on, or skip the android step")
    missing = [s for s in serials if s not in ready]
    if missing:
        raise UsageError(f"--serial {', '.join(missing)} not attached; attached: {', '.join(ready)}")
    return serials or ready


def start_extras(artifact: str, run_id: str, serial: str, protocol: Protocol, threads: int) -> list[str]:
    """The intent extras of one headless run (`am start ... <these>`)."""
    extras = ["--es", "artifact", artifact, "--es", "run_id", run_id, "--es", "serial", serial,
              "--ei", "warmup", str(protocol.warmup), "--ei", "rounds", str(protocol.rounds),
              "--ei", "iterations", str(protocol.iterations), "--ei", "threads", str(threads),
              "--ef", "cooldown_seconds", str(protocol.cooldown_seconds)]
    if protocol.sustained_seconds:
        extras += ["--ef", "sustained_seconds", str(protocol.sustained_seconds)]
    return extras


def run_on_device(serial: str, artifacts: list[Path], protocol: Protocol, threads: int, timeout: float,
                  output: Path) -> list[Path]:
    if PACKAGE not in _adb("shell", "pm", "path", PACKAGE, serial=serial):
        raise DeviceError(f"{serial}: the benchmark app ({PACKAGE}) is not installed; {APK_HINT}")
    _adb("shell", "mkdir", "-p", DEVICE_DIR, serial=serial)
    written = []
    for artifact in artifacts:
        on_device = f"{DEVICE_DIR}/{artifact.name}"
        _adb("push", str(artifact), on_device, serial=serial)
        _adb("push", str(manifest_path(artifact)), on_device + ".json", serial=serial)
        bundle = check_bundle(artifact)
        if bundle.is_dir():  # without it the app runs the artifact and says `check: absent`
            _adb("shell", "mkdir", "-p", f"{DEVICE_DIR}/{bundle.name}", serial=serial)
            for file in sorted(bundle.iterdir()):
                _adb("push", str(file), f"{DEVICE_DIR}/{bundle.name}/{file.name}", serial=serial)
        run_id = uuid.uuid4().hex[:12]
        remote = f"{RESULT_DIR}/{run_id}.json"
        _adb("shell", "am", "start", "-W", "-n", ACTIVITY,
             *start_extras(on_device, run_id, serial, protocol, threads), serial=serial)
        deadline = time.monotonic() + timeout
        while remote not in _adb("shell", f"ls {remote} 2>/dev/null || true", serial=serial):
            if time.monotonic() > deadline:
                raise DeviceError(f"{serial}: no result for {artifact.name} after {timeout:.0f} s "
                                  f"(the app writes {remote}); raise --timeout or check `adb logcat -s CloFormerBench`")
            time.sleep(POLL_SECONDS)
        output.mkdir(parents=True, exist_ok=True)
        local = output / f".{serial}_{run_id}.pulled"
        _adb("pull", remote, str(local), serial=serial)
        try:
            result = results.load(local)
        except results.ResultError as e:
            raise DeviceError(f"{serial}: the app's result breaks the schema: {str(e).split(': ', 1)[1]}") from None
        finally:
            local.unlink(missing_ok=True)
        written.append(results.write(result, output))
    return written


def run(artifacts: list[Path], serials: list[str], protocol: Protocol, threads: int, timeout: float,
        output: Path, say: Callable[[str], None] = print) -> tuple[list[Path], list[str]]:
    """Every artifact on every device, devices in parallel; returns the result files and one
    line per failed device (a failure on one device does not stop the others)."""
    runs = for_app(APP)
    for artifact in artifacts:  # every manifest checked before any device is touched
        if load_manifest(artifact).target not in runs:
            raise UsageError(f"{artifact}: the Android app runs {', '.join(SUFFIXES)} artifacts of --target "
                             f"{', '.join(t.name for t in runs)} (made by cloformer-export, with their manifest beside them)")
    devices = attached(serials)
    written, failures = [], []
    with ThreadPoolExecutor(max_workers=len(devices)) as pool:
        futures = {serial: pool.submit(run_on_device, serial, artifacts, protocol, threads, timeout, output)
                   for serial in devices}
        for serial, future in futures.items():
            try:
                paths = future.result()
            except DeviceError as e:
                failures.append(str(e))
                say(f"device failed: {e}")
                continue
            written += paths
            for path in paths:
                say(f"{serial}: {path}")
    return written, failures


def device_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--serial", action="append", default=[], help="adb serial (repeatable; default: every attached device)")
    flags.timeout_flag(p, 600, "per artifact and device (default 600)")
    flags.threads_flag(p, 4, "threads on the phone (default 4: the big cores of most SoCs)")


@register
class Android(Platform):
    name = kind = APP
    summary = "run artifacts in the companion app on attached Android devices (adb)"
    order = 20
    in_all = True

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        flags.inputs_argument(parser, "artifacts", "ARTIFACT", " / ".join(SUFFIXES) + " with its manifest")
        device_flags(parser)
        flags.protocol_flags(parser)
        flags.output_flag(parser)

    def run(self, args: argparse.Namespace) -> None:
        written, failures = run(args.artifacts, args.serial, flags.protocol(args), args.threads, args.timeout,
                                args.output)
        if failures:
            raise CommandError(f"{len(failures)} device(s) failed (lines above); {len(written)} result(s) written")

    def all_arguments(self, parser: argparse.ArgumentParser) -> None:
        device_flags(parser)

    def all_step(self, args: argparse.Namespace, run_all: AllRun) -> None:
        mine = [path for path in run_all.artifacts if load_manifest(path).target in for_app(APP)]
        try:
            written, _ = run(mine, args.serial, run_all.protocol, args.threads, args.timeout, args.output)
        except UsageError as e:  # no adb or no device: the other platforms still count
            print(f"skipped {self.name}: {e}")
            return
        run_all.written += written
