"""`cloformer-eval ARTIFACT... --data DIR`: accuracy of exported artifacts on a labelled image
folder, each run in its runtime on this machine (or `--on` another platform that computes
outputs), beside the eager fp32 model they were exported from.

The data is an ImageFolder: one folder per class. When the manifest records the class names
(labels), the folders must be named exactly after them (a "/" in a label is "-" in its folder name),
one folder per class, and a folder's class is its label's position; a folder that is not a class
name is refused, not guessed. Without labels, the folders in sorted order are classes 0, 1, ...
Every image (16-bit ones scaled to 8 bits) goes through the manifest's own preprocessing; unreadable
files are skipped and counted. Reports top-1 and top-5 accuracy, top-1 agreement with the eager
model and the change in points, as a table (stdout) and JSON (--json)."""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from ..export.api import (UsageError, UsageParser, arguments, batches, commit, eager_model, load_manifest, preprocess,
                          quiet_libraries, run_cli, staged)
from ..models.fashion_mnist import folder_name
from .platforms import PLATFORMS

# --on: the platforms that compute outputs (`Platform.evaluates`); this machine by default
ON = [name for name, platform in PLATFORMS.items() if platform.evaluates]

if TYPE_CHECKING:
    from PIL import Image

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


def _some(names: list[str], most: int = 3) -> str:
    """The first `most` names, quoted, and how many more."""
    shown = ", ".join(repr(n) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _mismatch(data: Path, strays: list[str], missing: list[str]) -> str:
    """Why the class folders are not the manifest's labels, and the fix."""
    parts = []
    if strays:
        parts.append(f"folder {_some(strays)} is not a class name" if len(strays) == 1 else
                     f"folders {_some(strays)} are not class names")
    if missing:
        parts.append(f"class {_some(missing)} has no folder" if len(missing) == 1 else
                     f"classes {_some(missing)} have no folder")
    if len(strays) == 1 and len(missing) == 1:
        fix = f"rename the folder {strays[0]!r} to {missing[0]!r}"
    elif strays and missing:
        fix = "rename each folder to its class name"
    elif strays:
        fix = "rename " + ("it" if len(strays) == 1 else "them") + " to a class name or move " + \
              ("it" if len(strays) == 1 else "them") + " out of the folder"
    else:
        fix = "add a folder per class (an empty one if it has no images)"
    return f"--data {data}: {' and '.join(parts)}; {fix} (the class names are the manifest's labels, \"/\" as \"-\")"


def class_folders(data: Path, num_classes: int, labels: list[str] | None) -> list[tuple[Path, int]]:
    """(folder, class index) of every class folder, folders in sorted order. With the manifest's
    labels, the folder names must be exactly the labels' folder names (a "/" in a label is "-"), as a
    set, and a folder's class index is its label's position; a misspelled, extra or missing folder is
    refused rather than mapped by position. Without labels, the folders in sorted order are classes
    0, 1, ..."""
    if not data.is_dir():
        raise UsageError(f"--data {data} is not a directory; pass an ImageFolder: one folder of images per class")
    folders = sorted(p for p in data.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise UsageError(f"--data {data} has no class folders; pass an ImageFolder: one folder of images per class")
    if labels:
        names = [folder_name(label) for label in labels]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise UsageError(f"the manifest's labels name the class folder {_some(twice)} more than once, so its "
                             "classes cannot be told apart by folder; export again with distinct --labels")
        index = {name: i for i, name in enumerate(names)}
        strays = [f.name for f in folders if f.name not in index]
        missing = sorted(set(names) - {f.name for f in folders}, key=index.get)
        if strays or missing:
            raise UsageError(_mismatch(data, strays, missing))
        return [(f, index[f.name]) for f in folders]  # read in sorted order, as without labels
    if len(folders) != num_classes:
        raise UsageError(f"--data {data} has {len(folders)} class folders but the model has {num_classes} classes; "
                         "pass a folder with one subfolder per class")
    return [(f, i) for i, f in enumerate(folders)]


SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")  # PIL's modes of 16-bit grey (and 32-bit integer)


def rgb8(image: Image.Image) -> np.ndarray:
    """A PIL image as HWC uint8 RGB. 16-bit grey (0..65535) is scaled to 0..255 (divided by 257,
    rounded): PIL's own convert would clip it at 255. PIL reads 16-bit RGB(A) PNGs as 8-bit already."""
    if image.mode in SIXTEEN_BIT:
        grey = np.rint(np.clip(np.asarray(image, dtype=np.float64), 0, 65535) / 257).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    return np.asarray(image.convert("RGB"))


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
                pixels.append(rgb8(image))
            labels.append(index)
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
            skipped += 1
            first = first or f"{path.name}: {_why_unreadable(e)}"
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


def _eager_key(record: dict) -> tuple:
    _, _, h, w = record["input_shape"]
    return record["model"], json.dumps(record["weights"], sort_keys=True), h, w


def evaluate(artifacts: list[Path], data: Path, limit: int | None = None, checkpoint: Path | None = None,
             quiet: bool = False, say: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
             on: str = ON[0]) -> dict:
    """Every artifact (its outputs computed on platform `on`) and its eager model on the images; the
    report (JSON-ready)."""
    manifests = [load_manifest(path) for path in artifacts]  # every bad artifact refused before any work
    evaluators = [PLATFORMS[on].evaluator(m) for m in manifests]  # so is one that does not run there
    first = manifests[0].record
    for m in manifests[1:]:
        if (m.record["num_classes"], m.record.get("labels")) != (first["num_classes"], first.get("labels")):
            raise UsageError(f"{m.artifact.name} has other classes than {manifests[0].artifact.name}; evaluate "
                             "artifacts of one model together")
    models = {}  # one eager model per (model, weights, size), evaluated once; a missing checkpoint refused before any work
    for m in manifests:
        key = _eager_key(m.record)
        if key not in models:
            models[key] = eager_model(m.record, m.artifact, checkpoint)
    folders = class_folders(data, first["num_classes"], first.get("labels"))
    images = read_images(folders, limit)
    if not images.pixels:
        raise UsageError(f"--data {data} has no readable images in its {len(folders)} class folders ({images.skipped} "
                         "unreadable files); pass a folder of image files per class")
    if images.skipped:
        say(f"skipped {images.skipped} unreadable file(s) (first: {images.first_skipped})")
    rows, eagers = [], {}
    for m, (where, outputs) in zip(manifests, evaluators):
        _, _, h, w = m.record["input_shape"]
        inputs = torch.cat([preprocess(p, h, w) for p in images.pixels])
        key = _eager_key(m.record)
        if key not in eagers:
            model = models[key]
            with torch.no_grad():
                logits = torch.cat([model(inputs[i:i + BATCH]) for i in range(0, len(inputs), BATCH)]).numpy()
            rows.append({"artifact": f"eager fp32 ({m.record['model']} {h}x{w})", "target": "torch",
                         "precision": "fp32", "size_bytes": None, **scores(logits, images.labels, None)})
            eagers[key] = logits, rows[-1]["top1"]
        eager, eager_top1 = eagers[key]
        start = time.perf_counter()
        bar = Bar(m.artifact.name, len(inputs), quiet)
        chunks = batches(inputs, m.record["input_shape"][0])
        out = outputs(chunks, lambda done: bar(min(done, len(inputs))))
        logits = np.concatenate([np.asarray(o, dtype=np.float32).reshape(len(c), -1)
                                 for o, c in zip(out, chunks)])[:len(inputs)]
        found = scores(logits, images.labels, eager)
        rows.append({"artifact": m.artifact.name, "target": m.target.name, "precision": m.record["precision"],
                     "size_bytes": m.record["size_bytes"], "runtime": m.target.runtime, "on": where, **found,
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
    where = "; ".join(dict.fromkeys(r["on"] for r in report["rows"] if "on" in r))
    return ("\n".join(lines) + f"\n\n{report['images']} images from {report['data']} ({report['skipped']} skipped); "
            f"artifacts run on {where}\n")


def _why_unreadable(e: Exception) -> str:
    """Why an image file could not be read, in words (the user's line names no exception class)."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(e, UnidentifiedImageError):
        return "not an image file"
    if isinstance(e, Image.DecompressionBombError):
        return "too many pixels (more than Pillow decodes safely)"
    if isinstance(e, OSError):
        return e.strerror or "truncated or damaged image"
    return f"cannot be decoded ({e})"


def build_parser() -> UsageParser:
    p = UsageParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("artifacts", nargs="+", type=arguments.input_path, metavar="ARTIFACT",
                   help="artifacts made by cloformer-export")
    p.add_argument("--data", type=arguments.input_path, required=True, metavar="DIR",
                   help="an ImageFolder: one folder per class, named after the manifest's labels if it has them")
    p.add_argument("--limit", type=arguments.number(int, 1), metavar="N",
                   help="only the first N images (classes interleaved)")
    p.add_argument("--checkpoint", type=arguments.input_path, metavar="PATH",
                   help="where the manifest's checkpoint is, if not at the path it records")
    p.add_argument("--json", type=arguments.new_file, metavar="FILE",
                   help="also write the report as JSON (a new file in an existing folder)")
    p.add_argument("--on", choices=ON, default=ON[0],
                   help=f"the platform the artifacts run on, as cloformer-bench's of that name (default {ON[0]}); "
                        "the eager model runs on this machine")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def main(argv: list[str] | None = None) -> int:
    def body() -> None:
        args = build_parser().parse_args(argv)  # flags and paths checked here, before any work
        quiet_libraries()
        report = evaluate(args.artifacts, args.data, args.limit, args.checkpoint, args.quiet, on=args.on)
        print(table(report), end="")
        if args.json is not None:
            with staged(args.json) as tmp:
                tmp.write_text(json.dumps(report, indent=1) + "\n")
                commit(tmp, args.json, overwrite=False)
    return run_cli(PROG, body)
