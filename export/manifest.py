"""The export manifest, `<artifact>.json`: the contract read by the apps, the benchmark and the
diagnosis, checked against its schema (contracts/manifest.schema.json, each target's own section
typed by the target) when written and on every read.

`load` is the one reader: it names the file and the field of anything wrong (a `ManifestError`,
exit 2) and checks what a schema cannot: a known target whose suffix the artifact has, the
artifact's sha256, the model's config, the target's options, and the artifact's own shapes."""
from __future__ import annotations

import copy
import json
import platform
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import jsonschema
import torch

from ..models import ModelError, create_model, is_reference, list_models, model_config
from . import contracts, files
from .errors import ManifestError, Unverifiable, UsageError, shortened
from .inputs import preprocessing
from .options import Options
from .rewrites import PASSES
from .targets import TARGETS, Target

if TYPE_CHECKING:  # request.py imports this module
    from .request import ExportRequest

SCHEMA_VERSION = 2
CONTRACT = contracts.load("manifest.schema.json")
SECTION = "section."  # the $defs that type each target's own section
_FLAT_LIST = re.compile(r"\[\s+([^\[\]{}]*?)\s+\]")
_VALIDATORS: dict[tuple[str, ...], jsonschema.Draft202012Validator] = {}


def schema() -> dict:
    """The manifest's JSON Schema: the contract's, with every registered target's section typed by
    the target itself (`Target.section_schema`) and required exactly when it is the manifest's
    target. The committed contract holds this for the built-in targets (tests/export/test_contracts.py)."""
    composed = copy.deepcopy(CONTRACT)
    composed["properties"] = {key: value for key, value in composed["properties"].items()
                              if not value.get("$ref", "").startswith("#/$defs/" + SECTION)}
    composed["$defs"] = {key: value for key, value in composed["$defs"].items() if not key.startswith(SECTION)}
    composed["allOf"], composed["dependentSchemas"] = [], {}
    for name, target in TARGETS.items():
        composed["properties"][name] = {"$ref": f"#/$defs/{SECTION}{name}"}
        composed["$defs"][SECTION + name] = target.section_schema()
        composed["allOf"].append({"if": {"required": ["target"], "properties": {"target": {"const": name}}},
                                  "then": {"required": [name]}})
        composed["dependentSchemas"][name] = {"properties": {"target": {"const": name}}}  # no other's section
    return composed


def _validator() -> jsonschema.Draft202012Validator:
    key = tuple(TARGETS)
    if key not in _VALIDATORS:
        _VALIDATORS[key] = jsonschema.Draft202012Validator(schema())
    return _VALIDATORS[key]


def manifest_path(artifact: Path) -> Path:
    return artifact.with_name(artifact.name + ".json")


def versions() -> dict[str, str | None]:
    """Python, torch, this package and every target's libraries."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in dict.fromkeys(("torch", *(p for t in TARGETS.values() for p in t.packages), "cloformer")):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def describe(request: ExportRequest, target: Target, artifact: Path, name: str, fields: dict, parity: dict, weights: dict,
             export_seconds: float, parity_seconds: float) -> dict:
    """The manifest of one artifact (written at `artifact`, to be renamed to `name`); its
    options open the target's own section."""
    section = {**target.settings(request).to_manifest(), **fields.get(target.name, {})}
    return {
        "schema_version": SCHEMA_VERSION,
        "model": request.model,
        "config": model_config(request.model),
        **({"reference": True} if is_reference(request.model) else {}),
        "num_classes": request.num_classes,
        "weights": weights,
        "artifact": name,
        "input_shape": [request.batch, 3, request.height, request.width],
        "target": target.name,
        "backend": target.backend(request),
        "precision": request.precision,
        "size_bytes": files.size_bytes(artifact),
        "sha256": files.sha256(artifact),
        "export_seconds": round(export_seconds, 2),
        "parity_seconds": round(parity_seconds, 2),
        "versions": versions(),
        **fields,
        target.name: section,
        "parity": parity,
        "preprocessing": preprocessing(request.height, request.width),
        "apps": {app: {"runner": run.runner, "backend": run.backend} for app, run in target.apps.items()},
        **({"labels": request.label_names()} if request.labels else {}),
    }


def dumps(manifest: dict) -> str:
    """Indented JSON with lists of scalars kept on one line (shapes, configs stay readable)."""
    text = json.dumps(manifest, indent=2, allow_nan=False)
    return _FLAT_LIST.sub(lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text) + "\n"


@dataclass(frozen=True)
class Manifest:
    """A manifest that was read and checked, with what it says about its artifact."""

    artifact: Path
    record: dict
    target: Target
    options: Options


def _fail(source: object, where: str, problem: str) -> ManifestError:
    return ManifestError(f"{source}: field {shortened(where, 80)}: {shortened(problem)}")


def validate(record: dict, source: object) -> tuple[Target, Options]:
    """Check a manifest's own content (schema, then what a schema cannot say); return the target
    and the options it records."""
    version = record.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version != SCHEMA_VERSION:
        raise _fail(source, "schema_version", f"{version} is not {SCHEMA_VERSION}, the version this cloformer reads; "
                    "re-export the artifact with this cloformer")
    error = jsonschema.exceptions.best_match(_validator().iter_errors(record))
    if error is not None:
        raise _fail(source, ".".join(str(p) for p in error.absolute_path) or "(top level)", error.message)
    target = TARGETS.get(record["target"])
    if target is None:
        raise _fail(source, "target", f"{record['target']!r} is not a target of this cloformer "
                    f"({', '.join(TARGETS)}); re-export the artifact")
    if record["model"] not in list_models():
        raise _fail(source, "model", f"{record['model']!r} is not a registered model ({', '.join(list_models())})")
    if record.get("reference", False) != is_reference(record["model"]):
        raise _fail(source, "reference", f"{record['model']} is {'' if is_reference(record['model']) else 'not '}a "
                    "reference model; re-export the artifact")
    config = model_config(record["model"])
    if json.dumps(record["config"], sort_keys=True) != json.dumps(config, sort_keys=True):  # tuples are JSON lists
        raise _fail(source, "config", f"is not the configuration of {record['model']}; re-export the artifact")
    if record["preprocessing"]["size"] != record["input_shape"][2:]:
        raise _fail(source, "preprocessing.size", f"{record['preprocessing']['size']} is not the input's height and "
                    f"width {record['input_shape'][2:]}")
    if record["check"]["bundle"] != record["artifact"] + ".check":
        raise _fail(source, "check.bundle", f"{record['check']['bundle']!r} is not {record['artifact'] + '.check'!r}")
    for i, case in enumerate(record["check"]["cases"]):
        for role, shape in (("input", record["input_shape"]), ("expected", [record["input_shape"][0], record["num_classes"]])):
            if case[role]["shape"] != shape:
                raise _fail(source, f"check.cases.{i}.{role}.shape", f"{case[role]['shape']} is not {shape}")
    if "labels" in record and len(record["labels"]) != record["num_classes"]:
        raise _fail(source, "labels", f"{len(record['labels'])} labels for {record['num_classes']} classes")
    unknown = [name for name in record["rewrites"] if name not in PASSES]
    if unknown:
        raise _fail(source, "rewrites", f"unknown pass {unknown[0]!r}; known: {', '.join(PASSES)}")
    section = record.get(target.name, {})
    try:
        options = target.Options.from_manifest(section)
    except ValueError as e:
        raise _fail(source, f"{target.name}.{e}", "re-export the artifact") from None
    return target, options


def load(artifact: Path) -> Manifest:
    """Read and check the manifest beside `artifact`, and that it describes that file."""
    artifact = Path(artifact)
    if not artifact.exists():
        raise ManifestError(f"{artifact} does not exist; pass an artifact written by cloformer-export")
    path = manifest_path(artifact)
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError(f"{artifact} has no manifest beside it ({path.name}); pass an artifact written by "
                            "cloformer-export, with its .json beside it") from None
    except OSError as e:
        raise ManifestError(f"{path}: cannot read it ({e.strerror})") from None
    try:
        record = files.json_object(text, "manifest")
    except ValueError as e:
        raise ManifestError(f"{path}: {e}; re-export the artifact") from None
    target, options = validate(record, path)
    if not artifact.name.endswith(target.suffix):
        raise ManifestError(f"{artifact} does not fit its manifest, which describes a --target {target.name} "
                            f"artifact ({record['artifact']}, a {target.suffix}); pass the artifact it was written for")
    damage = target.damaged(artifact, record)
    if damage:
        raise ManifestError(damage)
    digest = files.sha256(artifact)
    if digest != record["sha256"]:
        raise ManifestError(f"{artifact} does not match its manifest: sha256 {digest[:12]}... is not the exported "
                            f"{record['sha256'][:12]}...; the file changed after export: re-export it")
    try:
        inputs, outputs = target.io_shapes(artifact)
    except Unverifiable:
        return Manifest(artifact, record, target, options)  # its runtime will say why it cannot run
    except Exception as e:  # a file with the right digest that its library cannot read
        raise ManifestError(f"{artifact}: {target.name} cannot read it ({type(e).__name__}: "
                            f"{str(e).splitlines()[0] if str(e) else ''}); re-export it") from None
    for field, own, said in (("input_shape", inputs, record["input_shape"]),
                             ("num_classes", outputs, [record["input_shape"][0], record["num_classes"]])):
        if list(own) != said:
            raise _fail(path, field, f"the artifact's own shape is {list(own)}, not {said}; this manifest was not "
                        "written for it")
    return Manifest(artifact, record, target, options)


def eager_model(record: dict, artifact: Path, checkpoint: Path | None = None) -> torch.nn.Module:
    """The eager fp32 model the artifact was exported from: its checkpoint (at `checkpoint` if it
    moved; checked by sha256) or its seeded random init."""
    weights = record["weights"]
    try:
        if not weights.get("checkpoint"):
            if checkpoint:
                raise UsageError(f"{artifact.name} was exported from random init (seed {weights.get('seed')}), "
                                 "not a checkpoint; drop --checkpoint")
            return create_model(record["model"], record["num_classes"], seed=weights["seed"])
        path = checkpoint or Path(weights["checkpoint"])
        if "\0" in str(path) or not path.is_file():
            raise UsageError(f"{artifact.name} was exported from checkpoint {weights['checkpoint']}, which is not "
                             "there; pass --checkpoint PATH")
        if files.sha256(path) != weights["sha256"]:
            raise UsageError(f"checkpoint {path} is not the one {artifact.name} was exported from (sha256 differs); "
                             "pass that checkpoint")
        return create_model(record["model"], record["num_classes"], checkpoint=path, seed=None)
    except ModelError as e:
        raise UsageError(str(e)) from None
