"""The package's shape, read from the source with `ast` (nothing of it executed but the registries):
no import cycle (imports inside functions included, so none can hide one; `if TYPE_CHECKING:`
imports are for annotations only and are left out), layers that import downward only, runtime_bench
on export's public API, no target importing another target and no platform another platform, and
generic modules that never name a target or a platform: the words come from the registries
themselves (names, suffixes, runtimes, app runners, guest runtimes, device kinds), so a new member's
words are checked the moment it registers."""
from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterable
from fnmatch import fnmatch
from pathlib import Path

from cloformer.export.targets import TARGETS
from cloformer.runtime_bench.platforms import PLATFORMS

ROOT = Path(__file__).parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
PACKAGE_DIRS = SETUPTOOLS["package-dir"]
TARGETS_PACKAGE = "cloformer.export.targets"
PLATFORMS_PACKAGE = "cloformer.runtime_bench.platforms"
# A registry's folder holds its members and these, which are not members.
NOT_MEMBERS = {TARGETS_PACKAGE: ("base", "shared"), PLATFORMS_PACKAGE: ("base",)}

# Bottom to top: a module may import from its own layer or one below, never above.
LAYERS = [
    ("shared leaves", ["cloformer.export.errors", "cloformer.export.files", "cloformer.export.console",
                       "cloformer.export.arguments",
                       "cloformer.export.contracts*"]),
    ("models", ["cloformer.models*"]),
    ("numerics", ["cloformer.export.inputs", "cloformer.export.check", "cloformer.export.parity",
                  "cloformer.export.fidelity", "cloformer.export.calibration", "cloformer.export.options"]),
    ("rewrites", ["cloformer.export.rewrites*", "cloformer.export.placement"]),
    ("what a target is", ["cloformer.export.targets.base", "cloformer.export.targets.shared*"]),
    ("targets", ["cloformer.export.targets.*"]),
    ("the target registry, requests, manifests", ["cloformer.export.targets", "cloformer.export.request",
                                                  "cloformer.export.manifest"]),
    ("diagnose", ["cloformer.export.diagnose"]),
    ("pipeline", ["cloformer.export.pipeline", "cloformer.export.report"]),
    ("export's CLIs and public API", ["cloformer.export.cli", "cloformer.export.diagnose_cli", "cloformer.export.api",
                                      "cloformer.export.__main__", "cloformer.export"]),
    ("results and shared flags", ["cloformer.runtime_bench.result", "cloformer.runtime_bench.flags",
                                  "cloformer.runtime_bench.compare", "cloformer.runtime_bench.platforms.base"]),
    ("platforms", ["cloformer.runtime_bench.platforms.*"]),
    ("the platform registry and the bench CLIs", ["cloformer.runtime_bench*"]),
]


def modules() -> dict[str, Path]:
    """Module name -> source file, for every module under the package's folders."""
    found = {}
    for package, folder in PACKAGE_DIRS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = [package, *path.relative_to(ROOT / folder).with_suffix("").parts]
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _runtime_nodes(tree: ast.AST) -> Iterable[ast.AST]:
    """Every node but those under `if TYPE_CHECKING:` (annotations only: no import at run time)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's own modules that `name` imports at run time, anywhere in its source."""
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            source = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:  # `from x import y`: the submodule y if there is one, else x
                found.add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source)
    return {m for m in found if m in known and m != name}


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    known = {name: root / path.relative_to(ROOT) for name, path in modules().items()}
    return {name: imports(name, path, known) for name, path in known.items() if path.exists()}


def layer(name: str) -> int:
    return next(i for i, (_, patterns) in enumerate(LAYERS) if any(fnmatch(name, p) for p in patterns))


def member(name: str) -> tuple[str, str] | None:
    """(registry, member) of a module inside a target's or a platform's own module or package."""
    for registry, skip in NOT_MEMBERS.items():
        if name.startswith(registry + "."):
            first = name[len(registry) + 1:].split(".")[0]
            return None if first in skip else (registry, first)
    return None


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


def member_words() -> set[str]:
    """Every word that names a registered target or platform: names, artifact suffixes, runtimes and
    the distributions that carry them, the apps' runners, the guests' runtimes, device kinds."""
    words = set()
    for target in TARGETS.values():
        words |= {target.name, target.suffix, target.result_runtime, target.runtime_package, *target.packages,
                  *(run.runner for run in target.apps.values())}
        if target.guest:
            words |= {target.guest.distribution, *target.guest.wheels}
    for platform in PLATFORMS.values():
        words |= {platform.name, platform.kind}
    return {word.lower() for word in words}


def naming(words: set[str], root: Path = ROOT) -> list[str]:
    """Lines of generic modules (every module outside a target's or a platform's own) that name one."""
    pattern = re.compile("|".join(rf"(?<![a-z0-9_]){re.escape(w)}(?![a-z0-9_])" for w in sorted(words, key=len,
                                                                                               reverse=True)),
                         re.IGNORECASE)
    found = []
    for name, path in modules().items():
        if member(name) or name.startswith(TARGETS_PACKAGE + ".shared"):  # shared pieces are named by their format
            continue
        source = root / path.relative_to(ROOT)
        for n, line in enumerate(source.read_text().splitlines() if source.exists() else [], 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    return found


def crossings(edges: dict[str, set[str]]) -> list[str]:
    """Imports from one member of a registry into another, or from its shared pieces into a member."""
    found = []
    for a, targets in edges.items():
        for b in targets:
            mb = member(b)
            if mb and member(a) != mb and a.startswith(mb[0] + ".") and not a == mb[0]:
                found.append(f"{a} imports {b}")
    return found


def test_the_walk_sees_the_package():
    edges = graph()
    assert len(edges) > 50
    assert "cloformer.export.targets.base" in edges["cloformer.export.targets.onnx"]
    assert "cloformer.export.manifest" in edges["cloformer.export.pipeline"]
    assert member("cloformer.export.targets.coreml.ane") == (TARGETS_PACKAGE, "coreml")
    assert member("cloformer.runtime_bench.platforms.arm64.guest") == (PLATFORMS_PACKAGE, "arm64")
    assert member("cloformer.export.targets.shared.onnx_graph") is None


def test_type_checking_imports_are_left_out():
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\nelse:\n    import b\nimport c\n")
    found = {alias.name for node in _runtime_nodes(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert found == {"b", "c"}


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


def test_no_target_imports_another_and_no_platform_another():
    assert crossings(graph()) == []


def test_a_crossing_would_be_found():
    edges = {"cloformer.export.targets.qnn": {"cloformer.export.targets.onnx", "cloformer.export.targets.base"},
             "cloformer.export.targets.shared.onnx_graph": {"cloformer.export.targets.onnx"},
             "cloformer.export.targets.coreml.ane": {"cloformer.export.targets.coreml"},
             "cloformer.runtime_bench.platforms.host": {"cloformer.runtime_bench.platforms.arm64.userland"}}
    assert crossings(edges) == ["cloformer.export.targets.qnn imports cloformer.export.targets.onnx",
                                "cloformer.export.targets.shared.onnx_graph imports cloformer.export.targets.onnx",
                                "cloformer.runtime_bench.platforms.host imports "
                                "cloformer.runtime_bench.platforms.arm64.userland"]


def test_the_words_come_from_the_registries():
    words = member_words()
    assert {"onnx", ".mlpackage", "onnxruntime", "executorch", "litert", "qnn", "ai-edge-litert"} <= words
    assert {"host", "android", "ios", "arm64", "emulated"} <= words


def test_generic_modules_name_no_target_and_no_platform():
    assert naming(member_words()) == []


def test_every_package_folder_is_installed():
    """A wheel carries only the packages pyproject lists: a target or platform that is a package adds itself."""
    folders = {name for name, path in modules().items() if path.name == "__init__.py"}
    assert folders == set(SETUPTOOLS["packages"])
