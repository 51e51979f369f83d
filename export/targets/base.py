"""What a target is: everything about one artifact format lives in its `Target` subclass (one
module or package in this folder), and generic code (pipeline, report, diagnose, manifest, the
benchmark's platforms) only asks it: how to export and run the artifact, and where else it runs
(`apps`: the companion apps' runners; `guest`: an aarch64 CPU under qemu).
"""
from __future__ import annotations

import importlib.util
import tempfile
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from importlib.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import torch

from ..console import library_chatter_hidden
from ..errors import Unverifiable, UsageError
from ..options import Options
from ..parity import MIN_SQNR, TOLERANCE, Tolerance

if TYPE_CHECKING:  # both import this module: typing only
    from ..diagnose import Probe
    from ..request import ExportRequest

Runner = Callable[[np.ndarray], np.ndarray]  # NCHW float32 in, logits out
Rows = list[tuple[str, str, str]]  # (what, naive, deploy form) rows of `cloformer-export --report`

# How a target reads the values at the model's cuts (`Target.intermediates`):
TAPS = "taps in the artifact"  # inside the artifact itself: errors accumulate along the model
PER_MODULE = "each module exported alone"  # every segment its own export: errors do not accumulate


@dataclass(frozen=True)
class AppRun:
    """How a companion app runs this target's artifacts: the app's runner (its name for a runtime:
    android_app runners/Runners.java, ios_app's runner registry) and the backend it must use
    (None: the runner's default). The manifest carries it (`apps`), so the apps never guess from
    a file's suffix."""
    runner: str
    backend: str | None = None


@dataclass(frozen=True)
class HostedRun:
    """How a hosted-device service (a platform's name) runs this target's artifacts: the compute
    units its runtime there offers (in the service's own words), the first being the default."""
    compute_units: tuple[str, ...]


class GuestBuild(Protocol):
    """What the aarch64 guest machine offers a native guest's `build` (the platform that runs
    guests implements it while it prepares its userland)."""
    sysroot: Path  # the guest's root being built; the program goes inside it
    work: Path     # scratch space, removed afterwards

    def wheel(self, distribution: str) -> Path:
        """The aarch64 wheel of the installed version of `distribution`, downloaded into `work`."""

    def cxx(self, args: list[str], what: str) -> None:
        """Run the aarch64 cross g++ (linking against the guest's libc) with `args`."""


@dataclass(frozen=True)
class Guest:
    """How this target's artifacts run on an aarch64 CPU under qemu: an aarch64 build of its runtime
    in a Debian userland with nothing of cloformer inside. Either a Python `loader` (a file defining
    `load(path, backend) -> (input shape, run)`, run by the guest's python3.11 with the aarch64
    `wheels` of the installed versions; backend: the manifest's) or a native program made by `build`,
    which takes the same command line as the Python guests (after the backend: MODEL OUTDIR
    MEASURED INPUT.bin...)."""
    distribution: str                          # whose version the results record
    loader: Traversable | None = None
    wheels: tuple[str, ...] = ()
    build: Callable[[GuestBuild], str] | None = None  # returns the program's path inside the sysroot
    sources: tuple[Traversable, ...] = ()      # what `build` compiles: a change rebuilds the userland
    backends: tuple[str, ...] | None = None    # the artifact backends it runs (None: the target has no choice)
    reference: bool = False  # the runtime whose instruction counts the others are compared with

    def runs(self, backend: str | None) -> bool:
        return self.backends is None or backend in self.backends


class Target(ABC):
    name: str
    order: int             # position in `--target all` and --help: quickest export first
    suffix: str            # artifact file (or bundle) extension
    runtime: str           # what parity runs the artifact in
    summary: str           # one line for --help
    precision_summary: str = "fp32 only"  # what --precision means here, for --help
    Options: type[Options] = Options  # its flags, validated, round-tripped through the manifest
    default: bool = False  # the one target `cloformer-export` makes when none is named
    measures_latency: bool = True  # False: its runner here checks numerics only, its speed means nothing
    in_all: bool = True  # False: only by name (not in `--target all`): e.g. minutes of emulation per export
    fidelity_images: int | None = None  # fidelity over this many of the image set, evenly spaced (None: all)
    # Results: the runtime's name and the distribution whose version a result records.
    result_runtime: str
    runtime_package: str
    apps: Mapping[str, AppRun] = {}  # companion app (a platform's name) -> how it runs the artifacts
    guest: Guest | None = None      # how an aarch64 CPU under qemu runs them (None: no aarch64 CPU runtime)
    hosted: Mapping[str, HostedRun] = {}  # hosted-device service (a platform's name) -> how it runs them
    # JSON Schema properties of what `export` writes into its own manifest section (beside its
    # options, whose schema comes from the Options fields): the manifest schema's $defs.
    section: Mapping[str, dict] = {}
    packages: tuple[str, ...] = ()  # distributions whose versions its manifests record
    loggers: tuple[str, ...] = ()   # its libraries' loggers, kept to errors (their notices are not the user's)
    # Deploy-form passes this target takes, in order (see export/rewrites/): each listed pass
    # pays off on this target; `--no-rewrite` exports the model as written.
    passes: tuple[str, ...] = ()

    @classmethod
    def section_schema(cls) -> dict:
        """The JSON Schema of its manifest section: its options (typed by their flags) and `section`."""
        properties = {**{flag.dest: flag.json_schema() for flag in cls.Options.flags()}, **cls.section}
        return {"type": "object", "required": list(properties), "additionalProperties": False,
                "properties": properties}

    def settings(self, request: ExportRequest) -> Options:
        """This target's options in `request` (its defaults when none were given)."""
        return request.options.get(self.name) or self.Options()

    def rewrites(self, request: ExportRequest) -> tuple[str, ...]:
        return self.passes

    def precisions(self, request: ExportRequest) -> tuple[str, ...]:
        """The --precision values this target takes with these settings."""
        return ("fp32",)

    def precision_note(self, request: ExportRequest) -> str:
        """Why a precision is missing, and what to use instead (for the error line)."""
        return f"it takes {', '.join(self.precisions(request))}"

    def tolerance(self, request: ExportRequest) -> Tolerance:
        """Parity tolerance of an artifact made with these settings (export/parity.py)."""
        return TOLERANCE[request.precision]

    def min_sqnr(self, precision: str) -> float:
        """Below this SQNR (dB) against eager a module's output diverges (cloformer-diagnose)."""
        return MIN_SQNR[precision]

    def validate(self, request: ExportRequest) -> None:
        """Raise `UsageError` for settings this target cannot honour here (e.g. a missing SDK)."""
        missing = self.unavailable()
        if missing:
            raise UsageError(f"--target {self.name} {missing}")

    def unavailable(self) -> str | None:
        """What this machine lacks to export this target at all, and the fix; None: nothing."""
        return None

    def tag(self, request: ExportRequest) -> str:
        """Distinguishes artifacts of this target in file names (e.g. the ET backend)."""
        return self.name

    def backend(self, request: ExportRequest) -> str | None:
        """The manifest's `backend`: what the artifact was compiled for, where that is a choice."""
        return None

    @abstractmethod
    def export(self, model: torch.nn.Module, example: torch.Tensor, request: ExportRequest, path: Path) -> dict:
        """Write the artifact to `path`; return manifest fields: `ops`, optionally `placement`,
        and its own section under its name (the fields `section` types)."""

    def setup(self) -> None:
        """Once per process, before a runner is timed: load the runtime's library and register
        its kernels, so that a benchmark's load time is the model's own."""

    @abstractmethod
    def runner(self, path: Path, backend: str | None, threads: int | None = None) -> Runner:
        """A callable NCHW float32 ndarray -> logits ndarray, running the artifact (made for
        `backend`) in its own runtime with `threads` (None: the runtime's default); raise
        `Unverifiable` when that runtime is not available here."""

    def reference_runner(self, path: Path, backend: str | None) -> Runner:
        """The runner parity and fidelity use: `runner`, unless this machine's kernels compute
        something other than the artifact's defined numerics (a target may say so)."""
        return self.runner(path, backend)

    @abstractmethod
    def io_shapes(self, path: Path) -> tuple[list[int], list[int]]:
        """The artifact's own input and output shapes, read from the file (the manifest must agree);
        raise `Unverifiable` when this target's library is not installed here."""

    def intermediates(self, artifact: Path, probe: Probe) -> tuple[str, dict]:
        """(how, segment name -> value) for `cloformer-diagnose` (export/diagnose.py). By
        default each segment is exported alone with this target's recipe and run in its
        runtime; a target that can read values inside its artifact overrides this."""
        return PER_MODULE, per_module(self, artifact, probe)

    def damaged(self, artifact: Path, record: dict) -> str | None:
        """What is wrong with a part of a multi-file artifact that its manifest `record` describes (a
        file missing, or one from another export), with the fix; None: nothing (its sha256 is checked next)."""
        return None

    def input_name(self, path: Path) -> str:
        """The name of the artifact's input tensor, which a hosted-device service keys its input data by
        (this default is the shared graph writer's; a target whose files name it otherwise overrides it)."""
        return "input"

    def device_problem(self, manifest: dict, soc: str) -> str | None:
        """Why this artifact would not run as exported and checked on a device whose SoC is `soc`
        ("QTI SM8650": maker and model, as the phone app writes `device.soc`), with the fix; None:
        nothing known against it."""
        return None

    def report_rows(self, tag: str, naive: dict, deploy: dict) -> Rows:
        """Rows of `cloformer-export --report` from the naive and deploy-form manifests."""
        return []

    def result_backend(self, manifest: dict) -> str:
        """The backend a result names for this artifact (the runtime's own word for it)."""
        return manifest["backend"] or self.name

    def identity(self, manifest: dict) -> dict:
        """The `runtime` of a benchmark result, without the threads."""
        try:
            version = metadata.version(self.runtime_package)
        except metadata.PackageNotFoundError:
            version = "not installed"
        return {"name": self.result_runtime, "version": version, "backend": self.result_backend(manifest)}


TARGETS: dict[str, Target] = {}


def missing_modules(*modules: str) -> str | None:
    """The modules of these not installed here, comma-separated; None: all are."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    return ", ".join(missing) or None


def register(cls: type[Target]) -> type[Target]:
    """Class decorator: the target joins the registry (kept in `order`)."""
    TARGETS[cls.name] = cls()
    for name in sorted(TARGETS, key=lambda n: TARGETS[n].order):
        TARGETS[name] = TARGETS.pop(name)
    return cls


def per_module(target: Target, artifact: Path, probe: Probe) -> dict[str, np.ndarray]:
    """Every segment of the deploy form exported alone by `target` and run in its runtime."""
    if probe.request.precision == "int8":
        raise Unverifiable("an int8 module exported alone would need its own calibration on that module's "
                           "inputs; per-module diagnosis covers fp32 and fp16 artifacts of this target")
    backend = target.backend(probe.request)
    target.runner(artifact, backend)  # Unverifiable here if the artifact's runtime is missing
    values = {}
    with tempfile.TemporaryDirectory(prefix="cloformer-diagnose-") as tmp:
        for name, module, x in zip(probe.names, probe.modules, probe.inputs):
            path = Path(tmp) / f"{name}{target.suffix}"
            with library_chatter_hidden():
                target.export(module, torch.from_numpy(x), probe.request, path)
            values[name] = target.runner(path, backend)(x)
    return values


def boundary(nodes: Iterable[tuple[bool, Sequence[str], Sequence[str]]], outputs: Sequence[str]) -> str | None:
    """The value a module hands on, from a graph's nodes in order as (inside the module?,
    input names, output names): the last value made inside and used outside (or a graph output)."""
    made: list[str] = []
    used_outside = set(outputs)
    for inside_module, inputs, produced in nodes:
        if inside_module:
            made.extend(produced)
        else:
            used_outside.update(inputs)
    handed_on = [name for name in made if name in used_outside]
    return handed_on[-1] if handed_on else None


def by_count(counts: Mapping[str, int]) -> dict[str, int]:
    """Op type -> count, most frequent first (ties by name) for stable manifests; zeros dropped."""
    return {op: n for op, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n}


def inside(node, module: str) -> bool:
    """Whether a `torch.export` node was traced inside `module` (a module path)."""
    stack = node.meta.get("nn_module_stack") or {}
    return any(path == module or path.startswith(module + ".") for path, _ in stack.values())


def op_counts(names: Iterable[str]) -> dict[str, int]:
    return by_count(Counter(names))


def ops_summary(counts: dict[str, int]) -> str:
    """`op xN, ...` for report rows ('none' when empty)."""
    return ", ".join(f"{op} x{n}" for op, n in counts.items()) or "none"
