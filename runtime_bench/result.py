"""The benchmark result: one JSON file per measurement, checked against the result schema
(export/contracts/result.schema.json: the contract shared with the companion apps)."""
from __future__ import annotations

import itertools
import json
import math
import os
import re
import stat
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

import jsonschema

from ..models import is_reference
from ..export.api import (CHECK_FAILED, Protocol, UsageError, json_object, load_contract, result_runtimes, shortened,
                          staged, summarize)

SCHEMA_VERSION = 1
SCHEMA = load_contract("result.schema.json")
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


class ResultError(UsageError):
    """A result file that cannot be read or breaks the schema: names the file and the field."""


def validate(result: dict, source: str) -> dict:
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(result))
    if error is not None:
        field = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ResultError(f"{source}: field {shortened(field, 80)}: {shortened(error.message)}")
    # A measurement names a runtime this package knows (eager torch or an export target's); the
    # list comes from the target registry, so it is checked here rather than in the schema.
    known = result_runtimes()
    if result["latencies_ms"] and result["runtime"]["name"] not in known:
        raise ResultError(f"{source}: field runtime.name: {result['runtime']['name']!r} is not one of "
                          f"{', '.join(sorted(known))}")
    failed_check = any(reason.startswith(CHECK_FAILED) for reason in result["invalid_reasons"])
    if (result["check"]["status"] == "fail") != failed_check:
        raise ResultError(f"{source}: field check.status: {result['check']['status']!r} but invalid_reasons "
                          f"{'says' if failed_check else 'does not say'} {CHECK_FAILED.strip(': ')!r}")
    if result["latencies_ms"]:  # the statistics are the protocol's, of these latencies (the apps port it)
        for key, value in summarize(result["latencies_ms"], result["protocol"]["trim"]).items():
            if not math.isclose(result["stats"][key], value, rel_tol=1e-9, abs_tol=1e-9):
                raise ResultError(f"{source}: field stats.{key}: {shortened(repr(result['stats'][key]), 40)} is not "
                                  f"the {key} of latencies_ms ({value:.6g})")
    return result


# Far above any real result (a 30-minute sustained run at 1 ms per inference, every latency kept,
# is about 40 MB); a larger file is not one, and is refused before it is read.
MAX_BYTES = 64 << 20


def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.1f}".removesuffix(".0") + " MiB"


def read(path: Path) -> bytes:
    """A result file's bytes; one larger than `MAX_BYTES` (or not a file at all) is refused unread."""
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            raise ResultError(f"{path}: not a file; pass result .json files or folders of them")
        if status.st_size > MAX_BYTES:
            raise ResultError(f"{path}: {status.st_size:,} bytes ({_mib(status.st_size)}), more than a result file "
                              f"holds (at most {_mib(MAX_BYTES)}); pass a result file written by cloformer-bench or an app")
        with Path(path).open("rb") as f:
            data = f.read(MAX_BYTES + 1)  # a file that grew since its stat: still no more than the cap is read
    except OSError as e:
        raise ResultError(f"{path}: cannot read it ({e.strerror})") from None
    if len(data) > MAX_BYTES:
        raise ResultError(f"{path}: more than a result file holds (at most {_mib(MAX_BYTES)}, and it grew while "
                          "read); pass a result file written by cloformer-bench or an app")
    return data


def parse(data: bytes, path: Path | str) -> dict:
    """A result from a file's bytes (`read`), checked; errors name `path`."""
    try:
        result = json_object(data, "result")
    except ValueError as e:
        raise ResultError(f"{path}: {e}") from None
    return validate(result, str(path))


def load(path: Path) -> dict:
    return parse(read(path), path)


def _base(*, tool: str, device: dict, runtime: dict, model: str, artifact: dict, input_shape: list[int],
          precision: str, protocol: Protocol, check: dict, reasons: list[str], differs: str | None = None) -> dict:
    """The fields every result has; `differs`: how the runner's own way of measuring departs from
    the protocol (a hosted-device service's profiler), which `compare` marks."""
    return {
        "schema_version": SCHEMA_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "tool": {"name": tool, "version": version("cloformer")},
        "device": device, "runtime": runtime, "model": model,
        **({"reference": True} if model and is_reference(model) else {}), "artifact": artifact,
        "input_shape": list(input_shape), "precision": precision,
        "protocol": {"warmup": protocol.warmup, "rounds": protocol.rounds, "iterations": protocol.iterations,
                     "trim": protocol.trim, "sustained_seconds": protocol.sustained_seconds,
                     "cooldown_seconds": protocol.cooldown_seconds, **({"differs": differs} if differs else {})},
        "check": check, "valid": not reasons, "invalid_reasons": reasons,
    }


def new(*, load_ms: float, measured: dict, memory: dict, extra: dict | None = None, **context) -> dict:
    """A result from the protocol's measurement (`protocol.measure`) and its context (`_base`);
    `extra`: optional fields of the schema (compute_plan, hosted)."""
    result = _base(**context, reasons=measured["invalid_reasons"]) | {
        "load_ms": load_ms, "first_ms": measured["first_ms"], "latencies_ms": measured["latencies_ms"],
        "stats": measured["stats"], "memory": memory, "sustained": measured["sustained"]} | (extra or {})
    return validate(result, "new result")


def counted(*, instructions: dict, estimate: dict | None = None, **context) -> dict:
    """A counted run's result (instructions under qemu: `instructions` in the schema), never a latency
    (a calibration's `estimate` of one sits in its own field); the protocol says how many inferences
    ran uncounted (warmup) and counted (iterations)."""
    failed = [CHECK_FAILED + context["check"]["reason"]] if context["check"]["status"] == "fail" else []
    result = _base(**context, reasons=failed) | {
        "load_ms": None, "first_ms": None, "latencies_ms": [], "stats": None,
        "memory": {"peak_rss_mb": None, "pss_mb": None}, "sustained": None, "instructions": instructions}
    if estimate is not None:
        result["estimate"] = estimate
    return validate(result, "new result")


def input_label(result: dict) -> str:
    """HxW of the input, or "" for a failed run that never read its manifest."""
    return "x".join(map(str, (result["input_shape"] or [])[2:]))


def file_name(result: dict) -> str:
    """What was measured, in a name any file system takes (each part cut to 40 characters)."""
    runtime = result["runtime"]
    parts = [result["device"]["model"], result["model"] or "unknown", input_label(result),
             runtime["name"], runtime["backend"], result["precision"] or "failed", result["created"]]
    return "_".join(re.sub(r"[^A-Za-z0-9._-]+", "-", part)[:40] for part in parts) + ".json"


def write(result: dict, directory: Path) -> Path:
    """Write atomically under a name that says what was measured; the same measurement repeated
    within a second gets `_2`, `_3`, ... and nothing is ever overwritten."""
    directory.mkdir(parents=True, exist_ok=True)
    name = file_name(result)
    with staged(directory / name) as tmp:
        tmp.write_text(json.dumps(result, indent=1, allow_nan=False) + "\n")
        for n in itertools.count(1):
            path = directory / (name if n == 1 else name.replace(".json", f"_{n}.json"))
            try:
                # A hard link claims the name atomically and fails if it is taken: two devices of the
                # same model finishing in the same second (threads of a platform running devices in parallel) cannot
                # both pass an exists() check and then overwrite each other.
                os.link(tmp, path)
                return path
            except FileExistsError:
                continue
