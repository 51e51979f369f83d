"""The chosen ARM recipes, kept: each recipe's artifacts at 64x64 pass their check on the emulated
Cortex-A76, and each instruction ratio stays within 5 % of the figure committed in recipes_64.json
(measured in one run; docs/platforms/arm64.md#recipes says how each was chosen at 224x224).
A recipe marked "slow" is checked under -m slow only (ExecuTorch int8: its export takes about 400 s
at any input size, a 2,768-node graph to lower).
After an intended change:  CLOFORMER_UPDATE_RECIPES=1 pytest -m 'slow or not slow' tests/runtime_bench/platforms/arm64/test_recipes.py"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cloformer.runtime_bench import result as results
from cloformer.runtime_bench.cli import main

FIGURES = Path(__file__).with_name("recipes_64.json")
RECIPES = json.loads(FIGURES.read_text())
TOLERANCE = 0.05


def _key(model: str, target: str, precision: str) -> str:
    return f"{model} {target} {precision}"


def _counted(small_export, out: Path, recipes: list[dict]) -> dict[str, dict]:
    """Every artifact the recipes name, at 64x64, counted in one run: key -> result."""
    wanted = sorted({tuple(side) for recipe in recipes for side in (recipe["artifact"], recipe["over"])})
    artifacts = {_key(*w): small_export(w[1], w[2], w[0])[0] for w in wanted}
    assert main(["arm64", *map(str, artifacts.values()), "--output", str(out)]) == 0
    loaded = [results.load(f) for f in out.glob("*.json")]
    return {key: next(r for r in loaded if r["artifact"]["path"] == str(path)) for key, path in artifacts.items()}


@pytest.mark.arm64
@pytest.mark.parametrize("slow", [False, pytest.param(True, marks=pytest.mark.slow)], ids=["default", "slow"])
def test_each_recipe_checks_and_keeps_its_ratio(slow, small_export, tmp_path):
    recipes = [recipe for recipe in RECIPES if recipe.get("slow", False) == slow]
    counted = _counted(small_export, tmp_path, recipes)
    measured, drifted = {}, []
    for recipe in recipes:
        mine, theirs = (counted[_key(*recipe[side])] for side in ("artifact", "over"))
        for r in (mine, theirs):
            assert r["check"]["status"] == "pass" and r["valid"], (recipe["name"], r["check"])
        ratio = mine["instructions"]["per_inference"] / theirs["instructions"]["per_inference"]
        if abs(ratio / recipe["ratio"] - 1) > TOLERANCE:
            drifted.append(f"{recipe['name']}: {ratio:.3f} (committed {recipe['ratio']:.3f})")
        measured[recipe["name"]] = round(ratio, 3)
    if os.environ.get("CLOFORMER_UPDATE_RECIPES"):
        kept = [{**r, "ratio": measured.get(r["name"], r["ratio"])} for r in RECIPES]  # the other half as committed
        FIGURES.write_text("[\n" + ",\n".join(" " + json.dumps(r) for r in kept) + "\n]\n")
        return
    assert not drifted, "; ".join(drifted)
