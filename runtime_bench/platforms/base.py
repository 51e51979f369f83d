"""What a platform is: one place `cloformer-bench` runs artifacts (this machine, phones over adb,
result files copied off an iPhone, a CPU under qemu, a hosted-device service), each its own module in
this folder with its subcommand, the device kind its results carry and its runner. The CLI and
`all` iterate the registry and never name one."""
from __future__ import annotations

import argparse
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...export.api import Manifest, Protocol

# `cloformer-eval --on`: static batches of inputs -> the artifact's output for each; progress(inputs done)
Outputs = Callable[[list[np.ndarray], Callable[[int], None]], list[np.ndarray]]


@dataclass
class AllRun:
    """`cloformer-bench all`, shared by the platforms taking part, in their order: the protocol, the
    artifacts made so far (a platform that exports adds them for the next), the results written."""
    protocol: Protocol
    artifacts: list[Path] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


class Platform(ABC):
    name: str     # its `cloformer-bench` subcommand
    kind: str     # `device.kind` of its results (an enum of the result schema)
    summary: str  # the subcommand's help line
    order: int    # position in --help and in `all`
    in_all: bool = False  # takes part in `cloformer-bench all` (all_arguments, all_step)
    evaluates: bool = False  # `cloformer-eval --on NAME` computes outputs here (evaluator)

    @abstractmethod
    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Its subcommand's arguments."""

    @abstractmethod
    def run(self, args: argparse.Namespace) -> None:
        """Its subcommand: writes result files; raises `UsageError` (exit 2) or `CommandError` (exit 1)."""

    def all_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Its arguments of `cloformer-bench all` (the protocol's, --output and --comparison are shared)."""

    def check_all(self, args: argparse.Namespace) -> None:
        """Refuse bad `all` arguments before any platform's step runs."""

    def all_step(self, args: argparse.Namespace, run: AllRun) -> None:
        """Its step of `cloformer-bench all`: say why it is skipped, or add to `run.written`."""

    def evaluator(self, m: Manifest) -> tuple[str, Outputs]:
        """`cloformer-eval --on` this platform: where the outputs are computed (the report says it) and
        the function computing them there. Refuses (UsageError), before any work, an artifact that does
        not run here."""
        raise NotImplementedError


def cache(name: str) -> Path:
    """Where platform `name` keeps what it sets up or fetches once: $CLOFORMER_CACHE/<name>
    (default ~/.cache/cloformer/<name>)."""
    return Path(os.environ.get("CLOFORMER_CACHE", Path.home() / ".cache" / "cloformer")) / name


PLATFORMS: dict[str, Platform] = {}


def register(cls: type[Platform]) -> type[Platform]:
    """Class decorator: the platform joins the registry (kept in `order`)."""
    PLATFORMS[cls.name] = cls()
    for name in sorted(PLATFORMS, key=lambda n: PLATFORMS[n].order):
        PLATFORMS[name] = PLATFORMS.pop(name)
    return cls
