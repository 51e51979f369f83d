"""The export package's public API: what `runtime_bench` and users' scripts may use. Everything
else in `cloformer.export` may change behind it."""
from . import arguments
from .check import FAILED as CHECK_FAILED
from .check import Case as CheckCase
from .check import absent as check_absent
from .check import bundle_path as check_bundle
from .check import read as read_check
from .check import run as run_check
from .console import Progress
from .contracts import load as load_contract
from .contracts.protocol import Protocol, measure, summarize
from .contracts.protocol import invalid_reasons as protocol_invalid_reasons
from .errors import (CommandError, ExportError, ManifestError, Unverifiable, UsageError, UsageParser, run_cli,
                     shortened)
from .fidelity import batches
from .files import commit, folder_made, json_object, sha256, staged
from .inputs import parity_inputs, preprocess, preprocessing, random_input
from .manifest import Manifest, eager_model, manifest_path
from .manifest import load as load_manifest
from .pipeline import run as export
from .request import ExportRequest, parse_size
from .targets import TARGETS, Guest, Target, for_app, for_service, quiet_libraries, reference_runtime, result_runtimes

__all__ = ["CHECK_FAILED", "arguments", "TARGETS", "CheckCase", "CommandError", "ExportError", "ExportRequest", "Guest", "Manifest",
           "ManifestError", "Progress", "Protocol", "Target", "Unverifiable", "UsageError", "UsageParser",
           "batches", "check_absent", "check_bundle", "commit", "eager_model", "export", "folder_made", "for_app", "for_service", "json_object",
           "load_contract", "load_manifest", "manifest_path", "measure", "parity_inputs", "parse_size", "preprocess",
           "preprocessing", "protocol_invalid_reasons", "quiet_libraries", "random_input", "read_check", "reference_runtime", "result_runtimes",
           "run_check", "run_cli", "sha256", "shortened", "staged", "summarize"]
