"""`cloformer-eval ARTIFACT... --data DIR`: accuracy of exported artifacts on a labelled image
folder, each run in its runtime on this machine, beside the eager fp32 model they were exported from.

The data is an ImageFolder: one folder per class. Folders map to classes by the manifest's labels
when every folder is named after one (a "/" in a label is "-" in its folder name), otherwise in sorted
order. Every image goes through the manifest's own preprocessing; unreadable files are skipped and
counted. Reports top-1 and top-5 accuracy, top-1 agreement with the eager model and the change in
points, as a table (stdout) and JSON (--json)."""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..export.api import (UsageError, UsageParser, batched_logits, commit, eager_model, load_manifest, preprocess,
                          quiet_libraries, run_cli, staged)
from ..models.fashion_mnist import folder_name

PROG = "cloformer-eval"
BATCH = 256  # eager images per forward pass


@dataclass
class Images:
    """The decoded images (HWC uint8 RGB), their class indices, and what was left out."""
    pixels: list[np.ndarray]
    labels: np.ndarray
    classes: list[str]
    skipped: int
    first_skipped: str | None


def class_folders(data: Path, num_classes: int, labels: list[str] | None) -> list[tuple[Path, int]]:
    """(folder, class index) of every class folder, by the labels' names or in sorted order."""
    if not data.is_dir():
        raise UsageError(f"--data {data} is not a directory; pass an ImageFolder: one folder of images per class")
    folders = sorted(p for p in data.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise UsageError(f"--data {data} has no class folders; pass an ImageFolder: one folder of images per class")
    by_label = {folder_name(label): i for i, label in enumerate(labels or [])}
    if labels and all(f.name in by_label for f in folders):
        return [(f, by_label[f.name]) for f in folders]
    if len(folders) != num_classes:
        raise UsageError(f"--data {data} has {len(folders)} class folders but the model has {num_classes} classes; "
                         "pass a folder with one subfolder per class" + ("" if labels else
                                                                        " (or folders named after the manifest's labels)"))
    return [(f, i) for i, f in enumerate(folders)]


def read_images(folders: list[tuple[Path, int]], limit: int | None) -> Images:
    """Decode the images, classes interleaved (so --limit keeps every class); skip what cannot be read."""
    from PIL import Image, UnidentifiedImageError

    per_class = [sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
                 for folder, _ in folders]
    order = [(files[i], index) for i in range(max(map(len, per_class), default=0))
             for files, (_, index) in zip(per_class, folders) if i < len(files)]
    pixels, labels, skipped, first = [], [], 0, None
    for path, index in order:
        if limit is not None and len(pixels) >= limit:
            break
        try:
            with Image.open(path) as image:
                pixels.append(np.asarray(image.convert("RGB")))
            labels.append(index)
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
            skipped += 1
            first = first or f"{path.name}: {type(e).__name__}"
    return Images(pixels, np.array(labels, dtype=np.int64), [f.name for f, _ in folders], skipped, first)


def scores(logits: np.ndarray, labels: np.ndarray, eager: np.ndarray | None) -> dict:
    top5 = np.argsort(-logits, axis=1, kind="stable")[:, :5]
    found = {"top1": float(np.mean(top5[:, 0] == labels)), "top5": float(np.mean((top5 == labels[:, None]).any(1)))}
    if eager is not None:
        found["agreement"] = float(np.mean(top5[:, 0] == eager.argmax(1)))
    return found


class Bar:
    """One progress line per artifact on stderr, redrawn in place."""

    def __init__(self, label: str, total: int, quiet: bool) -> None:
        self.label, self.total, self.quiet, self.shown = label, total, quiet, -1

    def __call__(self, done: int) -> None:
        tenth = done * 20 // max(self.total, 1)
        if self.quiet or (tenth == self.shown and done != self.total):
            return
        self.shown = tenth
        end = "\n" if done >= self.total else ""
        print(f"\r{self.label:<40} |{'#' * tenth}{'.' * (20 - tenth)}| {done}/{self.total}", end=end, file=sys.stderr,
              flush=True)


def evaluate(artifacts: list[Path], data: Path, limit: int | None = None, checkpoint: Path | None = None,
             quiet: bool = False, say: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> dict:
    """Every artifact and its eager model on the images; the report (JSON-ready)."""
    manifests = [load_manifest(path) for path in artifacts]  # every bad artifact refused before any work
    first = manifests[0].record
    for m in manifests[1:]:
        if (m.record["num_classes"], m.record.get("labels")) != (first["num_classes"], first.get("labels")):
            raise UsageError(f"{m.artifact.name} has other classes than {manifests[0].artifact.name}; evaluate "
                             "artifacts of one model together")
    folders = class_folders(data, first["num_classes"], first.get("labels"))
    images = read_images(folders, limit)
    if not images.pixels:
        raise UsageError(f"--data {data} has no readable images in its {len(folders)} class folders ({images.skipped} "
                         "unreadable files); pass a folder of image files per class")
    if images.skipped:
        say(f"skipped {images.skipped} unreadable file(s) (first: {images.first_skipped})")
    rows, eagers = [], {}  # one eager model per (model, weights, size), evaluated once
    for m in manifests:
        _, _, h, w = m.record["input_shape"]
        inputs = torch.cat([preprocess(p, h, w) for p in images.pixels])
        key = (m.record["model"], json.dumps(m.record["weights"], sort_keys=True), h, w)
        if key not in eagers:
            model = eager_model(m.record, m.artifact, checkpoint)
            with torch.no_grad():
                logits = torch.cat([model(inputs[i:i + BATCH]) for i in range(0, len(inputs), BATCH)]).numpy()
            rows.append({"artifact": f"eager fp32 ({m.record['model']} {h}x{w})", "target": "torch",
                         "precision": "fp32", "size_bytes": None, **scores(logits, images.labels, None)})
            eagers[key] = logits, rows[-1]["top1"]
        eager, eager_top1 = eagers[key]
        start = time.perf_counter()
        # The runner parity uses: the artifact's defined numerics (e.g. int8 QDQ as written, Core ML's MIL).
        run = m.target.reference_runner(m.artifact, m.record["backend"])
        logits = batched_logits(run, inputs, m.record["input_shape"][0], progress=Bar(m.artifact.name, len(inputs), quiet))
        found = scores(logits, images.labels, eager)
        rows.append({"artifact": m.artifact.name, "target": m.target.name, "precision": m.record["precision"],
                     "size_bytes": m.record["size_bytes"], "runtime": m.target.runtime, **found,
                     "delta_points": round(100 * (found["top1"] - eager_top1), 2),
                     "seconds": round(time.perf_counter() - start, 1)})
    return {"data": str(data), "images": len(images.pixels), "skipped": images.skipped, "classes": images.classes,
            "rows": rows}


def table(report: dict) -> str:
    head = ["artifact", "precision", "size MB", "top-1", "top-5", "agreement", "Δ top-1 (points)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in report["rows"]:
        size = "" if r["size_bytes"] is None else f"{r['size_bytes'] / 1e6:.2f}"
        agree = f"{r['agreement']:.2%}" if "agreement" in r else ""
        delta = f"{r['delta_points']:+.2f}" if "delta_points" in r else ""
        lines.append(f"| {r['artifact']} | {r['precision']} | {size} | {r['top1']:.2%} | {r['top5']:.2%} | {agree} | "
                     f"{delta} |")
    return "\n".join(lines) + f"\n\n{report['images']} images from {report['data']} ({report['skipped']} skipped)\n"


def build_parser() -> UsageParser:
    p = UsageParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("artifacts", nargs="+", type=Path, metavar="ARTIFACT", help="artifacts made by cloformer-export")
    p.add_argument("--data", type=Path, required=True, metavar="DIR", help="an ImageFolder: one folder per class")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N images (classes interleaved)")
    p.add_argument("--checkpoint", type=Path, metavar="PATH",
                   help="where the manifest's checkpoint is, if not at the path it records")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the report as JSON (a new file)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def main(argv: list[str] | None = None) -> int:
    def body() -> None:
        args = build_parser().parse_args(argv)
        if args.limit is not None and args.limit < 1:
            raise UsageError(f"--limit must be at least 1, got {args.limit}")
        if args.json is not None and args.json.exists():
            raise UsageError(f"--json {args.json} already exists; choose another file")
        quiet_libraries()
        report = evaluate(args.artifacts, args.data, args.limit, args.checkpoint, args.quiet)
        print(table(report), end="")
        if args.json is not None:
            with staged(args.json) as tmp:
                tmp.write_text(json.dumps(report, indent=1) + "\n")
                commit(tmp, args.json, overwrite=False)
    return run_cli(PROG, body)
