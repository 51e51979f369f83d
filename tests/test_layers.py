"""The package's shape: no import cycle (imports inside functions included, so none can hide one),
layers that import downward only, runtime_bench on export's public API, and generic modules that
never name a target. Read from the source with `ast`, nothing imported."""
from __future__ import annotations

import ast
import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGE_DIRS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]

# Bottom to top: a module may import from its own layer or one below, never above.
LAYERS = [
    ("shared leaves", ["cloformer.export.errors", "cloformer.export.files", "cloformer.export.console",
                       "cloformer.runtime_bench.protocol"]),
    ("models", ["cloformer.models*"]),
    ("numerics", ["cloformer.export.inputs", "cloformer.export.check", "cloformer.export.parity", "cloformer.export.fidelity",
                  "cloformer.export.calibration", "cloformer.export.options", "cloformer.export.ane",
                  "cloformer.export.mil_reference"]),
    ("targets and rewrites", ["cloformer.export.targets*", "cloformer.export.rewrites*", "cloformer.export.placement",
                              "cloformer.export.manifest", "cloformer.export.request"]),
    ("diagnose", ["cloformer.export.diagnose"]),
    ("pipeline", ["cloformer.export.pipeline", "cloformer.export.report"]),
    ("CLIs and the public API", ["cloformer.export.cli", "cloformer.export.diagnose_cli", "cloformer.export.api",
                                 "cloformer.export.__main__", "cloformer.export"]),
    ("runtime_bench", ["cloformer.runtime_bench*"]),
]
# Generic code asks the targets and never names one (the grep, as a test).
GENERIC = ["export/pipeline.py", "export/request.py", "export/report.py", "export/diagnose.py",
           "export/diagnose_cli.py", "export/manifest.py", "export/placement.py", "export/options.py",
           "export/console.py", "export/check.py", "runtime_bench/host.py", "runtime_bench/evaluate.py", "runtime_bench/cli.py", "runtime_bench/android.py",
           "runtime_bench/ios.py", "runtime_bench/compare.py", "runtime_bench/result.py"]
TARGET_WORDS = re.compile(r"coreml|executorch|onnx|litert", re.IGNORECASE)


def modules() -> dict[str, Path]:
    """Module name -> source file, for every module the package installs."""
    found = {}
    for package, folder in PACKAGE_DIRS.items():
        for path in (ROOT / folder).glob("*.py"):
            found[package if path.stem == "__init__" else f"{package}.{path.stem}"] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's own modules that `name` imports, anywhere in its source."""
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            source = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:  # `from x import y`: the submodule y if there is one, else x
                found.add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source)
    return {m for m in found if m in known and m != name}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def layer(name: str) -> int:
    return next(i for i, (_, patterns) in enumerate(LAYERS) if any(fnmatch(name, p) for p in patterns))


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while (w := stack.pop()) != v:
                component.append(w)
            if component:
                found.append(sorted([v, *component]))

    for v in edges:
        if v not in index:
            visit(v)
    return found


def test_the_walk_sees_the_package():
    edges = graph()
    assert len(edges) > 40
    assert "cloformer.export.targets.base" in edges["cloformer.export.targets.onnx"]
    assert "cloformer.export.manifest" in edges["cloformer.export.pipeline"]


def test_a_cycle_would_be_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_every_module_has_a_layer_and_imports_downward_only():
    upward = [f"{a} ({LAYERS[layer(a)][0]}) imports {b} ({LAYERS[layer(b)][0]})"
              for a, targets in graph().items() for b in targets if layer(b) > layer(a)]
    assert upward == []


def test_runtime_bench_uses_exports_public_api_only():
    reached = {b for a, targets in graph().items() if a.startswith("cloformer.runtime_bench")
               for b in targets if b.startswith("cloformer.export")}
    assert reached == {"cloformer.export.api"}


def test_generic_modules_name_no_target():
    named = [f"{path}:{n}: {line.strip()}" for path in GENERIC
             for n, line in enumerate((ROOT / path).read_text().splitlines(), 1) if TARGET_WORDS.search(line)]
    assert named == []
