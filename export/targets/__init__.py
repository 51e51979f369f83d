"""One registry of export targets. A target is one module here that defines a `Target`
subclass and registers an instance; the CLI, validation and parity are driven from it."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch

from ..options import Option


class Target(ABC):
    name: str
    suffix: str            # artifact file (or bundle) extension
    runtime: str           # what parity runs the artifact in
    summary: str           # one line for --help
    precision_summary: str = "fp32 only"  # what --precision means here, for --help
    options: tuple[Option, ...] = ()
    measures_latency: bool = True  # False: the runner checks numerics only, its speed means nothing
    # Deploy-form passes this target takes, in order (see export/rewrites/): each listed pass
    # pays off on this target; `--no-rewrite` exports the model as written.
    passes: tuple[str, ...] = ()

    def takes(self, request) -> tuple[Option, ...]:
        """The options that apply to this target with these settings."""
        return self.options

    def rewrites(self, request) -> tuple[str, ...]:
        return self.passes

    def precisions(self, request) -> tuple[str, ...]:
        """The --precision values this target takes with these settings."""
        return ("fp32",)

    def precision_note(self, request) -> str:
        """Why a precision is missing, and what to use instead (for the error line)."""
        return f"it takes {', '.join(self.precisions(request))}"

    def tolerance(self, request):
        """Parity tolerance of an artifact made with these settings (export/parity.py)."""
        from ..parity import TOLERANCE

        return TOLERANCE[request.precision]

    def validate(self, request) -> None:
        """Raise `UsageError` for settings this target cannot honour here (e.g. a missing SDK)."""

    def tag(self, request) -> str:
        """Distinguishes artifacts of this target in file names (e.g. the ET backend)."""
        return self.name

    def backend(self, request) -> str | None:
        return None

    @abstractmethod
    def export(self, model: torch.nn.Module, example: torch.Tensor, request, path: Path) -> dict:
        """Write the artifact to `path`; return manifest fields (`ops`, and any extras)."""

    def setup(self) -> None:
        """Once per process, before a runner is timed: load the runtime's library and register
        its kernels, so that a benchmark's load time is the model's own."""

    @abstractmethod
    def runner(self, path: Path, backend: str | None, threads: int | None = None):
        """A callable NCHW float32 ndarray -> logits ndarray, running the artifact (made for
        `backend`) in its own runtime with `threads` (None: the runtime's default); raise
        `Unverifiable` when that runtime is not available here."""

    def reference_runner(self, path: Path, backend: str | None):
        """The runner parity and fidelity use: `runner`, unless this host's kernels compute
        something other than the artifact's defined numerics (see the ONNX target)."""
        return self.runner(path, backend)

    def intermediates(self, artifact: Path, probe) -> tuple[str, dict]:
        """(how, segment name -> value) for `cloformer-diagnose` (export/diagnose.py). By
        default each segment is exported alone with this target's recipe and run in its
        runtime; a target that can read values inside its artifact overrides this."""
        from ..diagnose import PER_MODULE, per_module

        return PER_MODULE, per_module(self, artifact, probe)


TARGETS: dict[str, Target] = {}


def register(target: Target) -> Target:
    TARGETS[target.name] = target
    return target


def all_options() -> list[Option]:
    seen: dict[str, Option] = {}
    for target in TARGETS.values():
        for option in target.options:
            seen.setdefault(option.dest, option)
    return list(seen.values())


def by_count(counts: Mapping[str, int]) -> dict[str, int]:
    """Op type -> count, most frequent first (ties by name) for stable manifests; zeros dropped."""
    return {op: n for op, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n}


def inside(node, module: str) -> bool:
    """Whether a `torch.export` node was traced inside `module` (a module path)."""
    stack = node.meta.get("nn_module_stack") or {}
    return any(path == module or path.startswith(module + ".") for path, _ in stack.values())


def op_counts(names: Iterable[str]) -> dict[str, int]:
    return by_count(Counter(names))


# Registration order is the order of --target all and of --help: quickest first.
from . import onnx, coreml, executorch  # noqa: E402,F401,I001
