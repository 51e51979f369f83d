"""One registry of benchmark platforms. A platform is one module or package in this folder that
defines a `Platform` subclass (platforms/base.py) decorated with `@register`; every one here is
imported below, so adding a platform is adding its module. `cloformer-bench` makes one subcommand
per platform and runs the ones that take part in `all`."""
from __future__ import annotations

import importlib
import pkgutil

from .base import PLATFORMS, AllRun, Platform

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["PLATFORMS", "AllRun", "Platform", "kinds"]


def kinds() -> list[str]:
    """The device kinds results may carry, one per platform (the result schema's `device.kind`)."""
    return list(dict.fromkeys(platform.kind for platform in PLATFORMS.values()))
