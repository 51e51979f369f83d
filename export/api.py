"""The export package's public API: what `runtime_bench` and users' scripts may use. Everything
else in `cloformer.export` may change behind it."""
from .check import FAILED as CHECK_FAILED
from .check import Case as CheckCase
from .check import absent as check_absent
from .check import bundle_path as check_bundle
from .check import read as read_check
from .check import run as run_check
from .console import Progress
from .errors import (CommandError, ExportError, ManifestError, Unverifiable, UsageError, UsageParser, run_cli,
                     shortened)
from .fidelity import logits as batched_logits
from .files import commit, json_object, sha256, staged
from .inputs import parity_inputs, preprocess, preprocessing, random_input
from .manifest import Manifest, eager_model, manifest_path
from .manifest import load as load_manifest
from .pipeline import run as export
from .request import ExportRequest, parse_size
from .targets import TARGETS, Target, for_app, quiet_libraries, result_runtimes

__all__ = ["CHECK_FAILED", "TARGETS", "CheckCase", "CommandError", "ExportError", "ExportRequest", "Manifest", "ManifestError",
           "Progress", "Target", "Unverifiable", "UsageError", "UsageParser", "batched_logits", "check_absent",
           "check_bundle", "commit", "eager_model", "export", "for_app", "json_object", "load_manifest",
           "manifest_path", "parity_inputs", "parse_size", "preprocess", "preprocessing", "quiet_libraries", "random_input",
           "read_check", "result_runtimes", "run_check", "run_cli", "sha256", "shortened", "staged"]
