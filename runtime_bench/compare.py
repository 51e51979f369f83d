"""`cloformer-bench compare`: results from every platform merged into one table (Markdown and CSV)
and plots (PNG); counted runs (instructions, never a latency) in a table of their own."""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from ..export.api import commit, reference_runtime, staged
from ..models import list_models
from . import result as results

COLUMNS = ("device", "model", "input", "runtime", "backend", "precision", "threads", "median_ms", "vs_fp32", "p90_ms",
           "p99_ms", "trimmed_mean_ms", "std_ms", "min_ms", "first_ms", "load_ms", "peak_rss_mb", "n", "check", "valid")
# Counted runs (instructions under emulation), never a latency, in a table of their own.
# ratio_X: this row's instructions / those of the matching X row (the fewest, if several match).
COUNTED_COLUMNS = ("device", "model", "input", "runtime", "backend", "precision", "form", "instructions_M",
                   "ratio_fp32", "ratio_reference", "ratio_naive", "load_M", "check", "valid", "rewrites")


def counted_legend() -> str:
    return ("Guest instructions per inference under emulation (not a latency). ratio_X: this row's "
            f"instructions / the matching X row's: same device, model and input; fp32: same runtime, backend "
            f"and form; reference: {reference_runtime()}, same precision and form; naive: same runtime, backend and "
            "precision.\n")


def _device(r: dict) -> str:
    return f"{r['device']['model']} ({r['device']['kind']})"


def _same_run_but_precision(r: dict) -> tuple:
    return (r["device"]["model"], r["device"].get("serial"), r["model"], tuple(r["input_shape"] or ()), r["runtime"]["name"],
            r["runtime"]["backend"], r["runtime"]["threads"])


def _check(r: dict) -> str:
    """The output check: its status and the worst case's SQNR and max abs diff."""
    c = r["check"]
    if not c["cases"]:
        return c["status"]
    worst = min(c["cases"], key=lambda case: case["sqnr_db"])
    return f"{c['status']} ({worst['sqnr_db']:.0f} dB, {max(x['max_abs_diff'] for x in c['cases']):.1g})"


def row(r: dict, fp32_median: float | None = None) -> dict:
    """One table row; `vs_fp32`: how many times faster than the fp32 artifact measured on the
    same device, runtime, backend and threads (blank for fp32, or when there is none). A failed
    run (an app could not load or run the artifact) has no figures, only its reason."""
    s = r["stats"]
    context = {
        "device": _device(r), "model": r["model"] or "", "input": results.input_label(r), "runtime": r["runtime"]["name"],
        "backend": r["runtime"]["backend"], "precision": r["precision"] or "",
        "threads": r["runtime"]["threads"] if r["runtime"]["threads"] is not None else "",
        "n": len(r["latencies_ms"]), "check": _check(r), "valid": "yes" if r["valid"] else "no: " + "; ".join(r["invalid_reasons"]),
    }
    if s is None:
        return {c: context.get(c, "") for c in COLUMNS}
    return context | {
        "median_ms": f"{s['median']:.2f}",
        "vs_fp32": f"{fp32_median / s['median']:.2f}x" if fp32_median and s["median"] and r["precision"] != "fp32" else "",
        "p90_ms": f"{s['p90']:.2f}", "p99_ms": f"{s['p99']:.2f}",
        "trimmed_mean_ms": f"{s['trimmed_mean']:.2f}", "std_ms": f"{s['std']:.2f}", "min_ms": f"{s['min']:.2f}",
        "first_ms": f"{r['first_ms']:.1f}", "load_ms": f"{r['load_ms']:.0f}",
        "peak_rss_mb": "" if r["memory"]["peak_rss_mb"] is None else f"{r['memory']['peak_rss_mb']:.0f}",
    }


def _form(r: dict) -> str:
    return "naive" if not r["instructions"]["rewrites"] else "deploy"


def counted_rows(loaded: list[dict]) -> list[dict]:
    """The counted runs' table: instructions and their ratios to fp32, the reference runtime and the naive form."""
    def fields(o: dict) -> dict:
        return {"at": (o["device"]["model"], o["model"], results.input_label(o)), "runtime": o["runtime"]["name"],
                "backend": o["runtime"]["backend"], "precision": o["precision"], "form": _form(o)}
    described = [(fields(o), o["instructions"]["per_inference"]) for o in loaded]

    def ratio(r: dict, **baseline) -> str:
        """r's count / the fewest of the rows that differ from r as `baseline` says (None: any value);
        blank when r is itself such a row."""
        mine = fields(r)
        if all(v is None or mine[k] == v for k, v in baseline.items()):
            return ""
        want = {**mine, **baseline}
        found = [n for f, n in described if all(v is None or f[k] == v for k, v in want.items())]
        return f"{r['instructions']['per_inference'] / min(found):.2f}x" if found else ""

    rows = []
    for r in loaded:
        ins = r["instructions"]
        rows.append({
            "device": _device(r), "model": r["model"], "input": results.input_label(r), "runtime": r["runtime"]["name"],
            "backend": r["runtime"]["backend"], "precision": r["precision"], "form": _form(r),
            "instructions_M": f"{ins['per_inference'] / 1e6:.1f}", "ratio_fp32": ratio(r, precision="fp32"),
            "ratio_reference": ratio(r, runtime=reference_runtime(), backend=None), "ratio_naive": ratio(r, form="naive"),
            "load_M": f"{ins['load'] / 1e6:.0f}", "check": _check(r),
            "valid": "yes" if r["valid"] else "no: " + "; ".join(r["invalid_reasons"]),
            "rewrites": " ".join(ins["rewrites"])})
    return rows


def _sorted(loaded: list[dict]) -> list[dict]:
    order = {name: i for i, name in enumerate(list_models())}  # smallest variant first
    return sorted(loaded, key=lambda r: (r["device"]["model"], order.get(r["model"], len(order)), r["model"] or "",
                                         r["input_shape"] or [], r["runtime"]["name"], r["runtime"]["backend"],
                                         r["precision"] or ""))


def markdown(rows: list[dict], columns: tuple[str, ...] = COLUMNS) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def csv_text(rows: list[dict], columns: tuple[str, ...] = COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _plots(loaded: list[dict], output: Path) -> list[Path]:
    loaded = [r for r in loaded if r["stats"] is not None]  # failed runs: in the table only
    if not loaded:
        return []
    os.environ.setdefault("MPLBACKEND", "Agg")  # files only, no display
    import matplotlib.pyplot as plt

    def series(r: dict) -> str:
        return f"{r['runtime']['name']} {r['runtime']['backend']} {r['precision']}"

    def group(r: dict) -> str:
        return f"{r['model']} {results.input_label(r)}\n{_device(r)}"

    written = []
    groups, names = list(dict.fromkeys(map(group, loaded))), list(dict.fromkeys(map(series, loaded)))
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(max(7.0, 1.2 + 0.5 * len(loaded)), 4.8))
    for i, name in enumerate(names):
        members = [r for r in loaded if series(r) == name]
        x = [groups.index(group(r)) - 0.4 + width * (i + 0.5) for r in members]
        medians = [r["stats"]["median"] for r in members]
        whiskers = [r["stats"]["p90"] - r["stats"]["median"] for r in members]
        bars = ax.bar(x, medians, width, yerr=[[0] * len(members), whiskers], capsize=3, label=name)
        for bar, r in zip(bars, members):
            if not r["valid"]:
                bar.set_hatch("//")
    ax.set_xticks(range(len(groups)), groups, fontsize=8)
    ax.set_ylabel("latency, ms (median; whisker: p90)")
    ax.set_title("CloFormer latency by model, device and runtime (hatched: invalid run)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    written.append(_save(fig, output / "latency.png"))
    plt.close(fig)

    sustained = [r for r in loaded if r["sustained"]]
    if sustained:
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for r in sustained:
            rows = r["sustained"]["intervals"]
            ax.plot([x["start_seconds"] for x in rows], [x["median_ms"] for x in rows], marker=".",
                    label=f"{group(r)} {series(r)}".replace("\n", " "))
        ax.set_xlabel("time into the sustained run, s")
        ax.set_ylabel("median latency per interval, ms")
        ax.set_title("Sustained runs: latency over time (drift = thermal proxy)")
        ax.legend(fontsize=7)
        fig.tight_layout()
        written.append(_save(fig, output / "sustained.png"))
        plt.close(fig)
    return written


def _save(fig, path: Path) -> Path:
    with staged(path) as tmp:  # keeps the .png suffix matplotlib reads the format from
        fig.savefig(tmp, dpi=120)
        commit(tmp, path, overwrite=True)
    return path


def _write(path: Path, text: str) -> Path:
    with staged(path) as tmp:
        tmp.write_text(text)
        commit(tmp, path, overwrite=True)
    return path


def compare(paths: list[Path], output: Path) -> tuple[str, list[Path]]:
    """Validate every file first (one bad file: `ResultError` naming it, nothing written), then
    write table.md, table.csv and the plots into `output` (and instructions.csv when there are
    counted runs: their table follows the latency table in table.md); return the Markdown and
    the files."""
    loaded = _sorted([results.load(p) for p in paths])
    counted_runs = [r for r in loaded if r.get("instructions")]
    loaded = [r for r in loaded if not r.get("instructions")]
    fp32 = {_same_run_but_precision(r): r["stats"]["median"] for r in loaded if r["precision"] == "fp32" and r["stats"]}
    rows = [row(r, fp32.get(_same_run_but_precision(r))) for r in loaded]
    output.mkdir(parents=True, exist_ok=True)
    table, written = markdown(rows) if rows else "", []
    if rows:
        written.append(_write(output / "table.csv", csv_text(rows)))
    if counted_runs:
        counted = counted_rows(counted_runs)
        table += ("\n" if table else "") + counted_legend() + "\n" + markdown(counted, COUNTED_COLUMNS)
        written.append(_write(output / "instructions.csv", csv_text(counted, COUNTED_COLUMNS)))
    return table, [_write(output / "table.md", table), *written, *_plots(loaded, output)]
