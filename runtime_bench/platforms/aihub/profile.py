"""An AI Hub inference job's profile and outputs as one result of ours: the profiler's per-inference
times under our protocol's statistics, the outputs through the artifact's check, and what AI Hub's
way of measuring does differently said in `protocol.differs`."""
from __future__ import annotations

from collections import Counter

import numpy as np

from ....export.api import (CHECK_FAILED, CheckCase, Protocol, check_absent, protocol_invalid_reasons, run_check,
                            summarize)
from ... import result as results
from .hub import HubDevice

TOOL = "cloformer-bench aihub"
SERVICE = "Qualcomm AI Hub"
VERSION = "not reported by AI Hub"  # its profile names the runtime, not its version


def profiler_iterations(protocol: Protocol) -> int:
    """What the job asks AI Hub's profiler for: the first inference, the warm-up and the timed ones."""
    return 1 + protocol.warmup + protocol.rounds * protocol.iterations


def check(cases: list[CheckCase], section: dict, absent_why: str | None, outputs: dict | None) -> dict:
    """The device's outputs for the bundle's inputs (one sample each, in order) against the bundle."""
    if not cases:
        return check_absent(absent_why)
    if not outputs:
        return check_absent("AI Hub returned no output data for the check inputs")
    returned = iter(next(iter(outputs.values())))  # one output tensor: the logits, one entry per case
    return run_check(cases, section, lambda _: np.asarray(next(returned, np.empty(0)), dtype=np.float32))


def result(*, device: HubDevice, record: dict, runtime: dict, compute_unit: str, profile: dict, checked: dict,
           protocol: Protocol, job_url: str, job_id: str, artifact: str) -> dict:
    """Our result for one finished job (`record`: the artifact's manifest; `runtime`: the target's
    identity of it, without version and threads)."""
    summary = profile["execution_summary"]
    times = [t / 1000 for t in summary.get("all_inference_times") or [summary["estimated_inference_time"]]]
    warmup = protocol.warmup if len(times) > 1 + protocol.warmup else 0
    timed = times[1 + warmup:] or times
    reasons = protocol_invalid_reasons(timed, None)
    if checked["status"] == "fail":
        reasons = [CHECK_FAILED + checked["reason"], *reasons]
    measured = {"first_ms": times[0], "latencies_ms": timed, "stats": summarize(timed, protocol.trim),
                "sustained": None, "invalid_reasons": reasons}
    peak = summary.get("inference_memory_peak_range")
    units = Counter(layer["compute_unit"].lower() for layer in profile.get("execution_detail", []))
    differs = (f"AI Hub's profiler ran {len(times)} inferences back to back on the check inputs (asked for "
               f"{profiler_iterations(protocol)}): the first is first_ms, the next {warmup} the warm-up, the rest "
               "timed, with no rounds or cool-down; threads are the runtime's default on the device; load_ms is its "
               "first load, peak memory the upper bound of its inference peak range")
    return results.new(
        tool=TOOL, device={"kind": "cloud", "model": device.name, "os": device.os_label, "soc": device.soc,
                           "cores": None, "serial": None},
        runtime={**runtime, "version": VERSION, "backend": compute_unit, "threads": None},
        model=record["model"], artifact={"path": artifact, "sha256": record["sha256"]},
        input_shape=record["input_shape"], precision=record["precision"], protocol=protocol, differs=differs,
        load_ms=_ms(summary.get("first_load_time")), measured=measured, check=checked,
        memory={"peak_rss_mb": round(peak[1] / 2**20, 1) if _known(peak) else None, "pss_mb": None},
        extra={"compute_plan": dict(units) or None,
               "hosted": {"service": SERVICE, "job_id": job_id, "url": job_url, "compute_unit": compute_unit,
                          "estimated_inference_ms": _ms(summary.get("estimated_inference_time"))}})


def _known(value) -> bool:
    """AI Hub marks a metric it did not measure with a placeholder, not a number or a range of two."""
    if isinstance(value, (tuple, list)):
        return len(value) == 2 and all(_known(v) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _ms(microseconds) -> float | None:
    return microseconds / 1000 if _known(microseconds) else None
