"""One registry of export targets. A target is one module or package in this folder that defines a
`Target` subclass (targets/base.py) decorated with `@register`; every one here is imported below
(`base` and `shared`, the pieces targets share, are not targets), so adding a target is adding its
module. The CLI, validation, parity, manifests, the report, the diagnosis and the benchmark's
platforms are driven from the registry."""
from __future__ import annotations

import importlib
import pkgutil

from .. import console
from ..options import Flag
from .base import TARGETS, AppRun, Guest, GuestBuild, HostedRun, Target

NOT_TARGETS = ("base", "shared")
for _module in pkgutil.iter_modules(__path__):
    if _module.name not in NOT_TARGETS:
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["TARGETS", "AppRun", "Guest", "GuestBuild", "HostedRun", "Target", "default", "flags", "for_app", "for_service",
           "quiet_libraries", "reference_runtime", "result_runtimes", "users"]


def flags() -> dict[str, Flag]:
    """Every target option's flag, once: targets that share a flag must define it alike."""
    seen: dict[str, Flag] = {}
    for target in TARGETS.values():
        for flag in target.Options.flags():
            if seen.setdefault(flag.flag, flag) != flag:
                raise TypeError(f"{flag.flag} is defined differently by two targets: {seen[flag.flag]} vs {flag}")
    return seen


def users(dest: str) -> list[str]:
    """The targets that take option `dest`."""
    return [name for name, target in TARGETS.items() if any(f.dest == dest for f in target.Options.flags())]


def default() -> Target:
    """The target made when none is named (the one that says `default = True`)."""
    chosen = [target for target in TARGETS.values() if target.default]
    if len(chosen) != 1:
        raise TypeError(f"exactly one target must be the default, not {[t.name for t in chosen]}")
    return chosen[0]


def result_runtimes() -> set[str]:
    """The runtime names a benchmark result may carry: eager torch and every target's runtime."""
    return {"torch"} | {target.result_runtime for target in TARGETS.values()}


def reference_runtime() -> str | None:
    """The runtime whose guest instruction counts the others' are compared with (`Guest.reference`)."""
    return next((t.result_runtime for t in TARGETS.values() if t.guest and t.guest.reference), None)


def for_app(app: str) -> list[Target]:
    """The targets whose artifacts a companion app (a platform's name) runs."""
    return [target for target in TARGETS.values() if app in target.apps]


def for_service(service: str) -> list[Target]:
    """The targets whose artifacts a hosted-device service (a platform's name) runs."""
    return [target for target in TARGETS.values() if service in target.hosted]


def quiet_libraries() -> None:
    """Every target's libraries kept to errors (console.quiet_libraries)."""
    console.quiet_libraries(tuple(name for target in TARGETS.values() for name in target.loggers))
