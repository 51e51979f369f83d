"""The rewrite registry and the helpers passes share (see the package docstring)."""
from __future__ import annotations

import copy
import types
from collections.abc import Callable

import torch.nn as nn

Pass = Callable[[nn.Module], int]
PASSES: dict[str, Pass] = {}
# Pass -> fragments of the op names (as the targets' graphs and op lists name them) it removes from a graph:
# the placement report names it as the fix for those ops.
REMOVES: dict[str, tuple[str, ...]] = {}
# Pass -> the largest difference it may make to one activation, for the few passes that approximate
# (listed only where a target computes at a precision that cannot see it); the rest are exact.
APPROXIMATE: dict[str, float] = {}


def rewrite(name: str, removes: tuple[str, ...] = (), approximate: float = 0.0) -> Callable[[Pass], Pass]:
    """Register a pass under `name` (the name the manifest's `rewrites` lists)."""
    def register(fn: Pass) -> Pass:
        PASSES[name] = fn
        REMOVES[name] = removes
        if approximate:
            APPROXIMATE[name] = approximate
        return fn
    return register


def override(module: nn.Module, method: str, fn: Callable) -> None:
    """Replace one module instance's method (not its class): passes compose freely."""
    setattr(module, method, types.MethodType(fn, module))


def replace_modules(model: nn.Module, matches: Callable[[nn.Module], bool],
                    replacement: Callable[[nn.Module], nn.Module]) -> int:
    """Swap every submodule that `matches` for `replacement(it)`; return how many."""
    replaced = 0
    for parent in list(model.modules()):
        for name, child in parent.named_children():
            if matches(child):
                setattr(parent, name, replacement(child))
                replaced += 1
    return replaced


def apply(model: nn.Module, names: list[str] | tuple[str, ...]) -> tuple[nn.Module, dict[str, int]]:
    """Run the named passes in order on a deep copy; return it and the rewrite counts."""
    unknown = [n for n in names if n not in PASSES]
    if unknown:
        raise KeyError(f"unknown rewrite pass(es): {', '.join(unknown)}; known: {', '.join(PASSES)}")
    model = copy.deepcopy(model).eval()
    return model, {name: PASSES[name](model) for name in names}
