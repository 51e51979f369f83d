"""Op placement: per target, which ops run on its fast paths (a delegate, an accelerator's op list,
an execution provider) and which fall off them, mapped back to model modules, with the
deploy-form pass that would remove each, where one exists.

Targets report raw entries (`path`, `partitions`, `ops_on_path`, `ops`, and `off` as (op, module)
pairs); `summarize` groups them for the manifest's `placement` and `table` prints them.
"""
from __future__ import annotations

from collections import Counter

from .rewrites import REMOVES


def fixes(op: str, applied: tuple[str, ...] | list[str]) -> list[str]:
    """Passes (not applied to this artifact) that remove ops like `op`."""
    label = op.lower()
    return [name for name, fragments in REMOVES.items()
            if name not in applied and any(fragment.lower() in label for fragment in fragments)]


def summarize(raw: list[dict], applied: tuple[str, ...] | list[str]) -> list[dict]:
    out = []
    for entry in raw:
        counts = Counter(op for op, _ in entry["off"])
        modules: dict[str, list[str]] = {}
        for op, module in entry["off"]:
            if module and module not in modules.setdefault(op, []):
                modules[op].append(module)
        off = [{"op": op, "count": n, "modules": modules.get(op, [])[:3] + (["..."] if len(modules.get(op, [])) > 3 else []),
                "fix": fixes(op, applied)} for op, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        out.append({**{k: v for k, v in entry.items() if k != "off"}, "off": off})
    return out


def table(placement: list[dict]) -> str:
    lines = []
    for entry in placement:
        parts = f", {entry['partitions']} partition(s)" if entry.get("partitions") is not None else ""
        lines.append(f"{entry['path']}: {entry['ops_on_path']}/{entry['ops']} ops on it{parts}")
        for item in entry["off"]:
            where = ", ".join(item["modules"]) or "top level"
            fix = f"  fix: {', '.join(item['fix'])}" if item["fix"] else ""
            lines.append(f"  off: {item['op']} x{item['count']} ({where}){fix}")
    return "\n".join(lines)
