"""`cloformer-bench compare`: results from every platform merged into one table (Markdown and CSV)
and plots (PNG); counted runs (instructions, never a latency) in a table of their own."""
from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import sys
from pathlib import Path

from ..export.api import UsageError, arguments, folder_made, reference_runtime, shortened, staged
from ..models import is_reference, list_models
from . import result as results

COLUMNS = ("device", "model", "input", "runtime", "backend", "precision", "threads", "median_ms", "vs_fp32", "p90_ms",
           "p99_ms", "trimmed_mean_ms", "std_ms", "min_ms", "first_ms", "load_ms", "peak_rss_mb", "n", "protocol", "check",
           "valid")
# Counted runs (instructions under emulation), never a latency, in a table of their own.
# ratio_X: this row's instructions / those of the matching X row (the fewest, if several match).
COUNTED_COLUMNS = ("device", "model", "input", "runtime", "backend", "precision", "form", "instructions_M",
                   "estimate_ms", "estimate_band_ms", "estimated_on", "transfer", "vs_floor", "ratio_fp32",
                   "ratio_reference", "ratio_naive", "ratio_peers", "load_M", "check", "valid", "rewrites")


def counted_legend() -> str:
    return ("Guest instructions per inference under emulation (not a latency). ratio_X: this row's "
            f"instructions / the matching X row's: same device, model and input; fp32: same runtime, backend "
            f"and form; reference: {reference_runtime()}, same precision and form; naive: same runtime, backend and "
            "precision; peers: each reference model's row (marked [reference]) of the same runtime, backend, precision "
            "and form. vs_floor: instructions / the fewest the model's MACs take at its precision (MACs / 4 fp32, 8 "
            "fp16, 16 int8 lanes per NEON instruction). estimate_ms: milliseconds on a real core estimated from the counts by a calibration against "
            "published latencies (band: where its left-out nets fell; transfer: whether the calibration is known "
            "to hold for the runtime), never a measured latency.\n")


def _model(r: dict) -> str:
    """The model, marked when it is a reference peer (not CloFormer)."""
    if not r["model"]:
        return ""
    return r["model"] + (" [reference]" if r.get("reference") or is_reference(r["model"]) else "")


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
        "device": _device(r), "model": _model(r), "input": results.input_label(r), "runtime": r["runtime"]["name"],
        "backend": r["runtime"]["backend"], "precision": r["precision"] or "",
        "threads": r["runtime"]["threads"] if r["runtime"]["threads"] is not None else "",
        "n": len(r["latencies_ms"]), "protocol": r["protocol"].get("differs", "ours"), "check": _check(r), "valid": "yes" if r["valid"] else "no: " + "; ".join(r["invalid_reasons"]),
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


def _estimate(e: dict | None) -> dict:
    if e is None:
        return dict.fromkeys(("estimate_ms", "estimate_band_ms", "estimated_on", "transfer"), "")
    return {"estimate_ms": f"{e['ms']:.1f}", "estimate_band_ms": f"{e['low_ms']:.1f}-{e['high_ms']:.1f}",
            "estimated_on": e["reference"], "transfer": e["transfer"].split(":")[0]}


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

    def peers(r: dict) -> str:
        """r's count / each reference model's of the same runtime, backend, precision and form."""
        mine = fields(r)
        if is_reference(r["model"]):
            return ""
        found = {}
        for f, n in described:
            device, model, size = f["at"]
            if (is_reference(model) and (device, size) == (mine["at"][0], mine["at"][2])
                    and all(f[k] == mine[k] for k in ("runtime", "backend", "precision", "form"))):
                found[model] = min(n, found.get(model, n))
        return "; ".join(f"{model} {r['instructions']['per_inference'] / n:.2f}x" for model, n in found.items())

    rows = []
    for r in loaded:
        ins = r["instructions"]
        rows.append({
            "device": _device(r), "model": _model(r), "input": results.input_label(r), "runtime": r["runtime"]["name"],
            "backend": r["runtime"]["backend"], "precision": r["precision"], "form": _form(r),
            "instructions_M": f"{ins['per_inference'] / 1e6:.1f}", **_estimate(r.get("estimate")),
            "vs_floor": f"{ins['floor']['ratio']:.1f}x" if "floor" in ins else "",
            # any backend: some runtimes name their fp16 arithmetic as a backend of its own
            "ratio_fp32": ratio(r, precision="fp32", backend=None),
            "ratio_reference": ratio(r, runtime=reference_runtime(), backend=None), "ratio_naive": ratio(r, form="naive"),
            "ratio_peers": peers(r),
            "load_M": f"{ins['load'] / 1e6:.0f}", "check": _check(r),
            "valid": "yes" if r["valid"] else "no: " + "; ".join(r["invalid_reasons"]),
            "rewrites": " ".join(ins["rewrites"])})
    return rows


def _sorted(loaded: list[dict]) -> list[dict]:
    order = {name: i for i, name in enumerate(list_models())}  # smallest variant first
    return sorted(loaded, key=lambda r: (r["device"]["model"], order.get(r["model"], len(order)), r["model"] or "",
                                         r["input_shape"] or [], r["runtime"]["name"], r["runtime"]["backend"],
                                         r["precision"] or ""))


def protocol_notes(rows: list[dict]) -> tuple[list[dict], str]:
    """The rows with each protocol that departs from ours (a hosted-device service's profiler) as a marker,
    and the notes the markers refer to, for the Markdown table (the CSV keeps the full text)."""
    notes = list(dict.fromkeys(r["protocol"] for r in rows if r["protocol"] != "ours"))
    marked = [r | {"protocol": f"differs [{notes.index(r['protocol']) + 1}]"} if r["protocol"] != "ours" else r
              for r in rows]
    return marked, "".join(f"\n[{i}] {note}\n" for i, note in enumerate(notes, 1))


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


def _estimate_plot(counted: list[dict], output: Path) -> list[Path]:
    """The estimated milliseconds of the counted runs that carry one, each with its band as a whisker."""
    estimated = [r for r in counted if r.get("estimate")]
    if not estimated:
        return []
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r['model']} {results.input_label(r)} {r['runtime']['name']} {r['runtime']['backend']} {r['precision']}"
              for r in estimated]
    ms = [r["estimate"]["ms"] for r in estimated]
    low = [m - r["estimate"]["low_ms"] for m, r in zip(ms, estimated)]
    high = [r["estimate"]["high_ms"] - m for m, r in zip(ms, estimated)]
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.35 * len(estimated)))
    bars = ax.barh(range(len(estimated)), ms, xerr=[low, high], capsize=3, color="tab:gray")
    for bar, r in zip(bars, estimated):
        if not r["estimate"]["transfer"].startswith("measured"):
            bar.set_hatch("//")
    ax.set_yticks(range(len(estimated)), labels, fontsize=7)
    ax.invert_yaxis()
    references = sorted({r["estimate"]["reference"] for r in estimated})
    ax.set_xlabel(f"estimated ms on {'; '.join(references)}\n(whisker: the calibration's band)", fontsize=8)
    ax.set_title("Estimated from counted instructions, not measured\n(hatched: transfer to the runtime unverified)",
                 fontsize=9)
    fig.tight_layout()
    written = [_save(fig, output / "estimates.png")]
    plt.close(fig)
    return written


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=120)  # into compare's staged folder (`compare`): the .png suffix says the format
    return path


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# What compare writes into its folder: these and PNG plots. A folder holding only these is an earlier
# compare's, which a new one replaces whole; anything else in it is the user's and is never removed.
WRITTEN = ("table.md", "table.csv", "instructions.csv")


def _written_by_compare(entry: Path) -> bool:
    return (entry.name in WRITTEN or entry.suffix == ".png") and entry.is_file() and not entry.is_symlink()


def _folder(output: Path) -> Path:
    """The folder `output` names (a link to a folder: the folder), absolute."""
    return Path(os.path.realpath(output))


def check_output(output: Path, flag: str = "--output") -> None:
    """Refuse, in one line, an output folder that compare cannot make hold exactly its files: one
    that cannot be written (or whose parent cannot: the new folder is staged beside it), the current
    folder, or a folder holding anything compare did not write. A missing or empty folder, or an
    earlier compare's, is fine (the latter is replaced whole)."""
    folder = _folder(output)
    if folder == Path.cwd():
        raise UsageError(f"{flag} {output} is the current folder; choose a new or empty folder")
    problem = arguments.folder_problem(folder) or arguments.folder_problem(folder.parent)
    if problem:
        raise UsageError(f"{flag} {output}: {problem}")
    if folder.is_dir():
        try:
            foreign = sorted(entry.name for entry in folder.iterdir() if not _written_by_compare(entry))
        except OSError as e:
            raise UsageError(f"{flag} {output}: cannot list it ({e.strerror}); choose a new or empty folder") from None
        if foreign:
            raise UsageError(f"{flag} {output} holds files compare did not write (first: {shortened(foreign[0], 80)}); "
                             "choose a new or empty folder")


def _put_in_place(tmp: Path, folder: Path, output: Path, flag: str) -> None:
    """The staged folder `tmp` becomes `folder`; an earlier compare's folder there is replaced whole."""
    if not folder.exists():
        os.replace(tmp, folder)
        return
    check_output(output, flag)  # again: nothing put there since the first check is lost
    aside = tmp.with_name(tmp.name + "-old")
    os.replace(folder, aside)
    try:
        os.replace(tmp, folder)
    except BaseException:
        os.replace(aside, folder)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _load(paths: list[Path]) -> tuple[list[dict], list[str]]:
    """Every result, each content once: a file byte for byte the same as an earlier one is skipped,
    with a line saying so (returned, printed once everything is written)."""
    loaded, skipped, seen = [], [], {}
    for path in paths:
        data = results.read(path)
        digest = hashlib.sha256(data).digest()
        if digest in seen:
            skipped.append(f"skipped {path}: the same result as {seen[digest]}")
            continue
        seen[digest] = path
        loaded.append(results.parse(data, path))
    return loaded, skipped


def compare(paths: list[Path], output: Path, flag: str = "--output") -> tuple[str, list[Path]]:
    """Check `output` (`check_output`, before anything is read), validate every file (one bad file:
    `ResultError` naming it, nothing written), then write table.md, table.csv and the plots (and
    instructions.csv when there are counted runs: their table follows the latency table in
    table.md) into a folder staged beside `output` and put it in place, so that `output` holds
    exactly this run's files; return the Markdown and the files. `flag` names `output` in messages."""
    check_output(output, flag)
    everything, skipped = _load(paths)
    everything = _sorted(everything)
    counted_runs = [r for r in everything if r.get("instructions")]
    loaded = [r for r in everything if not r.get("instructions")]
    fp32 = {_same_run_but_precision(r): r["stats"]["median"] for r in loaded if r["precision"] == "fp32" and r["stats"]}
    rows = [row(r, fp32.get(_same_run_but_precision(r))) for r in loaded]
    marked, notes = protocol_notes(rows)
    table, texts = markdown(marked) + notes if rows else "", {}
    if rows:
        texts["table.csv"] = csv_text(rows)
    if counted_runs:
        counted = counted_rows(counted_runs)
        table += ("\n" if table else "") + counted_legend() + "\n" + markdown(counted, COUNTED_COLUMNS)
        texts["instructions.csv"] = csv_text(counted, COUNTED_COLUMNS)
    folder = _folder(output)
    with folder_made(folder.parent), staged(folder) as tmp:  # folders made for it go again if this fails
        tmp.mkdir()
        written = [_write(tmp / name, text) for name, text in {"table.md": table, **texts}.items()]
        written += _plots(loaded, tmp)
        written += _estimate_plot(counted_runs, tmp)
        _put_in_place(tmp, folder, output, flag)
    for line in skipped:
        print(line, file=sys.stderr)
    return table, [output / p.name for p in written]
