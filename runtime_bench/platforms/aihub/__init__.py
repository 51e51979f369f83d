"""`cloformer-bench aihub`: run artifacts on Qualcomm AI Hub's hosted phones through its official
client (`qai-hub`): upload each artifact and its check bundle's inputs, run one inference job with
profiling per device (devices in parallel), put the device's outputs through our check and turn
the profile into our result. The model file leaves this machine for Qualcomm's servers.

Which artifacts AI Hub runs, and on which compute units, the targets declare (`Target.hosted`);
what a device cannot run as exported (a QNN context of another SoC), they say too
(`Target.device_problem`), before anything is uploaded."""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ....export.api import (CheckCase, CommandError, Protocol, Target, Unverifiable, UsageError, for_service,
                            load_manifest, read_check)
from ... import flags
from ... import result as results
from ..base import Platform, register
from . import hub as hubs
from . import profile as profiles

CLOUD = "aihub"  # this platform's name: the targets' `hosted` entry
POLL_SECONDS = 10.0  # between job status queries, as the client's own wait() polls


@dataclass
class Planned:
    """One artifact, read and checked before anything leaves the machine."""
    path: Path
    record: dict
    target: Target
    compute_unit: str
    input_name: str  # the artifact's, which keys the input data AI Hub runs it on
    cases: list[CheckCase]
    absent_why: str | None
    model: object = None    # qai_hub.Model once uploaded
    dataset: object = None  # qai_hub.Dataset of the check inputs once uploaded (None: no bundle)


def compute_units(values: list[str], runs: list[Target]) -> dict[str, str]:
    """--compute-unit UNIT (every artifact) or TARGET=UNIT -> target name -> unit, each checked."""
    chosen: dict[str, str] = {}
    for value in values:
        name, _, unit = value.rpartition("=")
        for target in [t for t in runs if t.name == name] if name else runs:
            units = target.hosted[CLOUD].compute_units
            if unit not in units:
                raise UsageError(f"--compute-unit {value}: AI Hub runs --target {target.name} artifacts on "
                                 f"{', '.join(units)}" + ("" if name else "; give it per target, e.g. "
                                                          f"--compute-unit {target.name}={units[-1]}"))
            chosen[target.name] = unit
        if name and name not in {t.name for t in runs}:
            raise UsageError(f"--compute-unit {value}: AI Hub runs artifacts of --target "
                             f"{', '.join(t.name for t in runs)}, not {name}")
    return chosen


def plan(paths: list[Path], units: list[str]) -> list[Planned]:
    runs = for_service(CLOUD)
    chosen = compute_units(units, runs)
    planned = []
    for path in paths:
        manifest = load_manifest(path)  # its schema, and the file's sha256 against it
        target = manifest.target
        if target not in runs:
            elsewhere = ", ".join(f"cloformer-bench {app}" for app in target.apps) or "cloformer-bench host"
            raise UsageError(f"{path}: AI Hub runs {' / '.join(dict.fromkeys(t.suffix for t in runs))} artifacts of "
                             f"--target {', '.join(t.name for t in runs)}, not --target {target.name} (run it with "
                             f"{elsewhere})")
        cases, absent_why = read_check(path, manifest.record["check"])
        unit = chosen.get(target.name, target.hosted[CLOUD].compute_units[0])
        try:
            input_name = target.input_name(path)
        except Unverifiable as e:  # its library reads the name from the file
            raise UsageError(f"{path}: {e} (to read the input name AI Hub's data is keyed by)") from None
        planned.append(Planned(path, manifest.record, target, unit, input_name, cases, absent_why))
    return planned


def refuse_unrunnable(planned: list[Planned], devices: list[hubs.HubDevice]) -> None:
    """What a device would not run as exported (the targets say), refused before any upload."""
    for device in devices:
        for p in planned:
            problem = device.soc and p.target.device_problem(p.record, device.soc)
            if problem:
                raise UsageError(f"{p.path.name} on {device.name}: {problem}")


def upload(hub, planned: list[Planned], say: Callable[[str], None]) -> None:
    for p in planned:
        say(f"uploading {p.path.name} and its {len(p.cases)} check input(s) to AI Hub")
        with hubs.answered(f"uploading {p.path.name}"):
            p.model = hub.upload_model(str(p.path))
            if p.cases:
                p.dataset = hub.upload_dataset({p.input_name: [c.input for c in p.cases]},
                                               name=f"{p.path.name} check inputs")


def run_job(hub, device: hubs.HubDevice, p: Planned, protocol: Protocol, timeout: float, output: Path) -> Path:
    """One inference job with profiling: submitted, waited for, its outputs checked; one result."""
    from qai_hub import Device
    where = f"{device.name}: {p.path.name}"
    options = f"--compute_unit {p.compute_unit} --max_profiler_iterations {profiles.profiler_iterations(protocol)}"
    with hubs.answered(f"the job for {where}", job=True):
        job = hub.submit_inference_job(p.model, Device(device.name, device.os), inputs=p.dataset,
                                       name=f"cloformer {p.path.name}", options=options, retry=False, profile=True)
    deadline = time.monotonic() + timeout
    while True:  # the client's own wait() counts its 10 s polls, not the clock, against a timeout
        with hubs.answered(f"waiting for {where}", job=True):
            status = job.get_status()
        if status.finished:
            break
        if time.monotonic() > deadline:
            raise hubs.JobError(f"{where}: the job did not finish in {timeout:g} s (it may still run: {job.url}); "
                                "raise --timeout, or look at the job's page")
        time.sleep(POLL_SECONDS)
    if not status.success:
        raise hubs.JobError(f"{where}: the job failed on the device: {status.message!r} ({job.url})")
    with hubs.answered(f"downloading the results of {where}", job=True):
        profile = job.download_profile()
        outputs = job.download_output_data() if p.dataset is not None else None
    if not profile:  # asked for with profile=True: a finished job without one has nothing to measure
        raise hubs.JobError(f"{where}: AI Hub returned no profile for the finished job ({job.url})")
    checked = profiles.check(p.cases, p.record["check"], p.absent_why, outputs)
    result = profiles.result(device=device, record=p.record, runtime=p.target.identity(p.record),
                             compute_unit=p.compute_unit, profile=profile, checked=checked, protocol=protocol,
                             job_url=job.url, job_id=job.job_id, artifact=str(p.path))
    return results.write(result, output)


def run(planned: list[Planned], names: list[str], attributes: list[str], protocol: Protocol, timeout: float,
        output: Path, say: Callable[[str], None] = print) -> tuple[list[Path], list[str]]:
    """Every artifact on every device, devices in parallel; the result files written and one line
    per failed job (a failed job does not stop the others)."""
    hub = hubs.client()
    devices = hubs.resolve(hub, names, attributes)
    refuse_unrunnable(planned, devices)
    upload(hub, planned, say)

    def on(device: hubs.HubDevice) -> tuple[list[Path], list[str]]:
        written, failed = [], []
        for p in planned:
            try:
                written.append(path := run_job(hub, device, p, protocol, timeout, output))
            except hubs.JobError as e:
                failed.append(str(e))
                say(f"job failed: {e}")
                continue
            say(_summary(device, p, results.load(path), path))
        return written, failed

    written, failures = [], []
    with ThreadPoolExecutor(max_workers=len(devices)) as pool:
        for paths, failed in pool.map(on, devices):
            written += paths
            failures += failed
    return written, failures


def _summary(device: hubs.HubDevice, p: Planned, result: dict, path: Path) -> str:
    stats, check = result["stats"], result["check"]
    flag = "" if result["valid"] else f"  INVALID: {'; '.join(result['invalid_reasons'])}"
    return (f"{device.name}: {p.path.name} on {p.compute_unit}: check {check['status']}, median "
            f"{stats['median']:.2f} ms, p90 {stats['p90']:.2f} ms ({result['hosted']['url']}) -> {path}{flag}")


@register
class AiHub(Platform):
    name = CLOUD
    kind = "cloud"
    summary = "run artifacts on Qualcomm AI Hub's hosted phones (qai-hub client; the model file is uploaded)"
    order = 40

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        runs = for_service(CLOUD)
        flags.inputs_argument(parser, "artifacts", "ARTIFACT", " / ".join(dict.fromkeys(t.suffix for t in runs))
                              + " with its manifest (--target " + ", ".join(t.name for t in runs) + ")", nargs="*")
        parser.add_argument("--device", action="append", default=[], metavar="NAME",
                            help="an AI Hub device name, e.g. 'Samsung Galaxy S24 (Family)' (repeatable: devices "
                                 "run in parallel); see --list-devices")
        parser.add_argument("--device-attr", action="append", default=[], metavar="ATTR",
                            help="narrow the devices to those with this attribute, e.g. chipset:sm8650 (repeatable; "
                                 "without --device: the device with these attributes and the newest OS)")
        parser.add_argument("--compute-unit", action="append", default=[], metavar="[TARGET=]UNIT",
                            help="AI Hub's compute unit: " + "; ".join(
                                f"{t.name} {'|'.join(t.hosted[CLOUD].compute_units)} (default "
                                f"{t.hosted[CLOUD].compute_units[0]})" for t in runs) + " (repeatable)")
        parser.add_argument("--list-devices", action="store_true",
                            help="print AI Hub's devices with their OS, SoC and runtimes (the list is cached a day)")
        flags.timeout_flag(parser, 1800, "per job, queueing on AI Hub included (default 1800)")
        flags.protocol_flags(parser, timed_only=True)
        flags.output_flag(parser)

    def run(self, args: argparse.Namespace) -> None:
        if args.list_devices:
            if args.artifacts or args.device or args.compute_unit:
                raise UsageError("--list-devices takes no ARTIFACT, --device or --compute-unit (only --device-attr)")
            print(hubs.listing(hubs.client(), args.device_attr))
            return
        if not args.artifacts:
            raise UsageError("nothing to run: pass ARTIFACT paths (made by cloformer-export), or --list-devices")
        if not args.device and not args.device_attr:
            raise UsageError(f"no device: pass --device NAME (repeatable) or --device-attr ATTR; {hubs.LIST_HINT}")
        planned = plan(args.artifacts, args.compute_unit)
        written, failures = run(planned, args.device, args.device_attr, flags.protocol(args), args.timeout,
                                args.output)
        if failures:
            raise CommandError(f"{len(failures)} job(s) failed (lines above); {len(written)} result(s) written")
