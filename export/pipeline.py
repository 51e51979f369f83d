"""The export pipeline: request -> model -> for each target: artifact, parity, manifest."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

from ..models import ModelError, create_model
from . import calibration, check, diagnose, fidelity, files, manifest, parity, placement, rewrites
from .console import Progress, library_chatter_hidden
from .errors import ExportError, UsageError
from .inputs import parity_inputs, random_input
from .request import ExportRequest
from .targets import Target


def build_model(request: ExportRequest) -> torch.nn.Module:
    try:
        return create_model(request.model, num_classes=request.num_classes, checkpoint=request.checkpoint,
                            seed=request.seed)
    except ModelError as e:
        raise UsageError(str(e)) from None


def export_target(target: Target, model: torch.nn.Module, request: ExportRequest,
                  cases: dict, weights: dict, progress: Progress) -> Path:
    """Export one artifact and its manifest atomically; return the artifact's path."""
    final = request.artifact(target)
    example = random_input(request.height, request.width, request.batch, seed=request.seed)
    passes = target.rewrites(request) if request.rewrite else ()
    with (files.staged(final) as tmp, files.staged(manifest.manifest_path(final)) as tmp_manifest,
          files.staged(check.bundle_path(final)) as tmp_bundle):
        with progress.step(f"[{target.tag(request)}] export"), library_chatter_hidden():
            start = time.perf_counter()
            deploy, counts = rewrites.apply(model, passes)
            try:
                fields = target.export(deploy, example, request, tmp)
            except ExportError as e:  # e.g. the converted graph does not load in the target's runtime
                raise ExportError(f"{target.tag(request)} export: {e}; no artifact written") from None
            fields["rewrites"] = list(passes)
            fields["rewrite_counts"] = counts
            if "placement" in fields:
                fields["placement"] = placement.summarize(fields["placement"], passes)
            export_seconds = time.perf_counter() - start
        with progress.step(f"[{target.tag(request)}] parity in {target.runtime}"):
            start = time.perf_counter()
            try:
                checked = parity.check(cases, lambda: target.reference_runner(tmp, target.backend(request)),
                                       target.runtime, target.tolerance(request))
            except ExportError as e:  # the runtime refused the artifact outright
                raise ExportError(f"{target.tag(request)} parity: {e}; no artifact written") from None
            parity_seconds = time.perf_counter() - start
        _report(checked, target, request, progress)
        if request.precision != "fp32" and checked["status"] != "fail":
            fields["fidelity"] = _fidelity(target, model, passes, request, tmp, checked, progress)
        first = _diagnose(target, model, passes, request, tmp, cases, progress) if request.diagnose else None
        if "placement" in fields and not progress.quiet:
            print(placement.table(fields["placement"]), file=sys.stderr)
        if checked["status"] == "fail":
            raise ExportError(f"{target.tag(request)} parity failed: max abs diff {checked['max_abs_diff']:.3g} "
                              f"(tolerance {checked['tolerance']['max_abs_diff']:g}), cosine {checked['cosine']:.6f}; "
                              + (f"first diverging module: {first}; " if first else
                                 "" if request.diagnose else "--diagnose names the module where it diverges; ")
                              + "no artifact written")
        fields["check"] = {"bundle": check.bundle_path(final).name,
                           **check.write(tmp_bundle, cases, target.tolerance(request))}
        record = manifest.describe(request, target, tmp, final.name, fields, checked, weights,
                                   export_seconds=export_seconds, parity_seconds=parity_seconds)
        manifest.validate(record, f"the manifest of {final.name}")  # the contract holds on write too
        tmp_manifest.write_text(manifest.dumps(record))
        with files.locked(final.parent):  # another export into this folder puts its three files in place after
            files.commit(tmp, final, request.overwrite)
            files.commit(tmp_bundle, check.bundle_path(final), overwrite=True)
            files.commit(tmp_manifest, manifest.manifest_path(final), overwrite=True)  # last: the export is whole
    return final


def _fidelity(target: Target, model: torch.nn.Module, passes: tuple[str, ...], request: ExportRequest,
              artifact: Path, checked: dict, progress: Progress) -> dict:
    """Logits of the artifact vs fp32 eager over the image set; --min-sqnr fails the export."""
    if checked["status"] == "unverified":
        if request.min_sqnr is not None:
            raise ExportError(f"--min-sqnr cannot be checked for {target.tag(request)} here: {checked['reason']}; "
                              "no artifact written")
        return {"status": "unverified", "reason": checked["reason"]}
    images, source = calibration.images(request.calibration_dir, request.height, request.width)
    if target.fidelity_images and target.fidelity_images < len(images):
        source = {**source, "source": f"{target.fidelity_images} evenly spaced of {len(images)}: {source['source']}"}
        images = images[torch.linspace(0, len(images) - 1, target.fidelity_images).round().long()]
    with progress.step(f"[{target.tag(request)}] fidelity over {len(images)} images"):
        found = fidelity.evaluate(model, target.reference_runner(artifact, target.backend(request)), images,
                                  request.batch)
    if not progress.quiet:
        print(f"[{target.tag(request)}] fidelity vs fp32: SQNR {found['sqnr_db']:.1f} dB (worst image "
              f"{found['min_image_sqnr_db']:.1f}), top-1 agreement {found['top1_agreement']:.1%}, top-5 "
              f"{found['top5_agreement']:.1%} (fp32 picks {found['reference_classes']} classes over the set)",
              file=sys.stderr)
    if request.min_sqnr is not None and found["sqnr_db"] < request.min_sqnr:
        raise ExportError(f"{target.tag(request)} {request.precision} fidelity: SQNR {found['sqnr_db']:.1f} dB is "
                          f"below --min-sqnr {request.min_sqnr:g}; no artifact written")
    found = {"status": "measured", **found, "images_from": source["source"]}
    if request.precision == "int8":  # which modules lose the most (cloformer-diagnose's cuts)
        probed = diagnose.probe(model, passes, request, images[:request.batch])
        per_layer = diagnose.diagnose(target, artifact, probed, target.tag(request), min_sqnr=0.0)
        found["per_module_sqnr_db"] = per_layer.reason or {k: round(r["sqnr_db"], 1)
                                                           for k, r in per_layer.rows.items()}
        if per_layer.rows and not progress.quiet:
            print(f"[{target.tag(request)}] int8 SQNR lost most at: {diagnose.worst(per_layer)}", file=sys.stderr)
    return found


def _diagnose(target: Target, model: torch.nn.Module, passes: tuple[str, ...], request: ExportRequest,
              artifact: Path, cases: dict, progress: Progress) -> str | None:
    """Print the per-module table of the staged artifact (cloformer-diagnose); return the
    first module where it diverges."""
    image = torch.from_numpy(next(iter(cases.values()))[0])
    label = target.tag(request)
    with progress.step(f"[{label}] per-module diagnosis"):
        probed = diagnose.probe(model, passes, request, image)
        found = diagnose.diagnose(target, artifact, probed, label, target.min_sqnr(request.precision))
    print(diagnose.table(probed, [found]), end="", file=sys.stderr)
    return found.first


def _report(checked: dict, target: Target, request: ExportRequest, progress: Progress) -> None:
    if progress.quiet:
        return
    label = f"[{target.tag(request)}] parity"
    if checked["status"] == "unverified":
        print(f"{label}: UNVERIFIED - {checked['reason']}", file=sys.stderr)
        return
    for name, r in checked["inputs"].items():
        print(f"{label} {name}: max abs diff {r['max_abs_diff']:.3g}, cosine {r['cosine']:.8f}", file=sys.stderr)
    print(f"{label}: {checked['status'].upper()}", file=sys.stderr)


def prepare(request: ExportRequest) -> tuple[torch.nn.Module, dict, dict]:
    """Validate, build the model once (checkpoint errors are input errors: raised before any
    progress line); return model, parity cases, weights record."""
    request.validate()
    model = build_model(request)
    if request.precision != "fp32":  # a bad --calibration-dir is an input error: before anything is written
        calibration.images(request.calibration_dir, request.height, request.width)
    cases = parity.cases(model, parity_inputs(request.height, request.width, request.batch))
    weights = ({"checkpoint": str(request.checkpoint), "sha256": files.sha256(Path(request.checkpoint))}
               if request.checkpoint else {"checkpoint": None, "init": "random", "seed": request.seed})
    return model, cases, weights


def run(request: ExportRequest) -> list[Path]:
    """Export every selected target; return the artifact paths."""
    model, cases, weights = prepare(request)
    progress = Progress(request.quiet)
    with files.folder_made(request.output):
        return [export_target(target, model, request, cases, weights, progress) for target in request.selected]
