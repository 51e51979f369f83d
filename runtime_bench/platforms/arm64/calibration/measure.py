"""`cloformer-bench arm64-calibrate`: the reference nets (models/reference/) taken through the
runtime the publication used (its target's own export, no deploy-form passes: they are CloFormer's)
at the published input size and precision, counted on the emulated CPU exactly as `cloformer-bench
arm64` counts an artifact, then fitted to the published milliseconds (fit.py)."""
from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import metadata, resources
from pathlib import Path

import numpy as np
import torch

from .....export.api import TARGETS, ExportRequest, UsageError, commit, random_input, staged
from .....models import reference as references
from .....models.reference import REFERENCES, create_reference
from .. import guest, userland
from . import FORMAT, features, fit, published

PRECISION = "fp16"  # benchncnn turns fp16 storage and arithmetic on where the core has them
SEED = 0


def nets(reference: str) -> list[str]:
    """The reference nets with a published figure on `reference`, in the publication's order."""
    return [name for name in published()["references"][reference]["ms"] if name in REFERENCES]


def spill_elements(reference: str) -> int:
    """Activations above this many elements do not fit the reference core's L2 in the runtime's storage type."""
    source = published()
    return source["references"][reference]["l2_kib"] * 1024 // source["source"]["storage_bytes"]


def _cached(land: userland.Userland, cpu: str, runtime: str, name: str) -> Path:
    """Where a net's instruction counts are kept: in the userland (rebuilt, and so emptied, when a runtime or
    the counter changes; each converter is pinned with its runtime), keyed by the definitions' source and torch."""
    source = "".join(f.read_text() for f in sorted(resources.files(references).iterdir(), key=lambda f: f.name)
                     if f.name.endswith(".py"))
    key = json.dumps([cpu, runtime, name, PRECISION, SEED, source, metadata.version("torch"),
                      *(metadata.version(w) for w in TARGETS[runtime].guest.wheels)])
    return land.root / "calibration" / f"{cpu}.{name}.{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def count(land: userland.Userland, cpu: str, runtime: str, name: str, spill: int, timeout: float) -> dict[str, int]:
    """One net's instructions per inference by class on the emulated `cpu` (counted once, then kept), and its
    memory features."""
    model, example = create_reference(name, seed=SEED), random_input(*(REFERENCES[name].input_size,) * 2)
    cached = _cached(land, cpu, runtime, name)
    if cached.is_file():
        classes = json.loads(cached.read_text())
    else:
        classes = _count(land, cpu, runtime, model, example, timeout)
        cached.parent.mkdir(exist_ok=True)
        with staged(cached) as tmp:
            tmp.write_text(json.dumps(classes))
            commit(tmp, cached, overwrite=True)
    return {**classes, **features.measure(model, example, spill)}


def _count(land: userland.Userland, cpu: str, runtime: str, model: torch.nn.Module, example: torch.Tensor,
           timeout: float) -> dict[str, int]:
    """The net through `runtime`'s own export, run and counted on the emulated `cpu`."""
    target = TARGETS[runtime]
    size = example.shape[-1]
    request = ExportRequest(targets=(runtime,), height=size, width=size, precision=PRECISION, rewrite=False)
    with tempfile.TemporaryDirectory(prefix="cloformer-calibrate-") as tmp:
        path = Path(tmp) / f"net{target.suffix}"
        with torch.no_grad():
            target.export(model, example, request, path)
        run = guest.run(land, cpu, target, target.backend(request), path, [example.numpy().astype(np.float32)], 1,
                        timeout)
    return run.classes[0]


def calibrate(cpu: str, reference: str, names: list[str], timeout: float, command: str,
              say: Callable[[str], None] = print) -> dict:
    """The calibration record (calibration.schema.json) of `names` on `cpu` against `reference`."""
    source = published()
    ref = source["references"][reference]
    runtime = source["runtime"]
    if TARGETS[runtime].unavailable():
        raise UsageError(f"the calibration runs {runtime}, which {TARGETS[runtime].unavailable()}")
    land = userland.prepare(say)
    counts, spill = {}, spill_elements(reference)
    for name in names:
        counts[name] = count(land, cpu, runtime, name, spill, timeout)
        say(f"{name} ({REFERENCES[name].input_size}²) on emulated {cpu}: "
            f"{sum(counts[name][c] for c in fit.CLASSES) / 1e6:.1f} M instructions; published {ref['ms'][name]:g} ms")
    ms = {name: ref["ms"][name] for name in names}
    judged, left_out = {}, {}
    for model in fit.MODELS:
        left_out[model] = fit.leave_one_out(model, counts, ms)
        held = fit.coverage(model, counts, ms)
        judged[model] = {**fit.summary(left_out[model]), "band_held": sum(held.values()) / len(held)}
    chosen = fit.choose(judged)
    errors = left_out[chosen]
    return {
        "format": FORMAT,
        "name": f"{runtime} on {ref['device']}, {len(names)} nets",
        "cpu": cpu,
        "reference": {"key": reference, **{k: ref[k] for k in ("device", "soc", "core", "clock_ghz", "l2_kib", "os")}},
        "source": {**{k: v for k, v in source["source"].items() if k != "what"}, "heading": ref["heading"],
                   "command": ref["command"], "what": source["source"]["what"]},
        "runtime": runtime, "runtime_version": land.versions[TARGETS[runtime].guest.distribution],
        "backend": TARGETS[runtime].backend(ExportRequest(targets=(runtime,), precision=PRECISION)),
        "counter": f"{land.emulator} TCG plugin (count_insns.c), one guest thread",
        "spill_elements": spill,
        "nets": {name: {"input": REFERENCES[name].input_size,
                        "counts": {c: counts[name][c] for c in fit.CLASSES},
                        "features": {f: counts[name][f] for f in features.FEATURES}, "published_ms": ms[name],
                        "estimate_ms": round(ms[name] * (1 + errors[name]), 4), "error": round(errors[name], 5)}
                 for name in names},
        "model": chosen, "costs": fit.fit(chosen, counts, ms).costs,
        "band": list(fit.band(errors)),
        "leave_one_out": judged[chosen], "candidates": judged,
        "transfer": {runtime: f"measured: the publication's own runtime ({runtime})",
                     "*": f"unverified: no published single-thread latencies of this runtime on {ref['core']} were "
                          f"found to check it against; the estimate assumes its instructions cost what {runtime}'s do, "
                          "class by class"},
        "command": command,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
