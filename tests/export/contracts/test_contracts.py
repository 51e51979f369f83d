"""The contracts Python and the apps share (export/contracts/) hold what the registries say: the
manifest schema types each target's own section as the target declares it, and the result schema's
device kinds are the platforms'. After changing a target's options or `section`, rewrite the
committed schema from the registry:

    CLOFORMER_UPDATE_CONTRACTS=1 pytest tests/export/contracts/test_contracts.py
"""
from __future__ import annotations

import json
import os

import jsonschema
import pytest

from cloformer.export import contracts, manifest
from cloformer.export.targets import TARGETS
from cloformer.runtime_bench.platforms import kinds

from ...conftest import ROOT

FOLDER = ROOT / "export" / "contracts"
WIDTH = 110


def compact(value, indent: int = 0, used: int = 0) -> str:
    """JSON with every object or list that fits in WIDTH characters on one line (a schema stays
    readable); `used`: how much of the line a key already takes."""
    flat = json.dumps(value)
    if indent + used + len(flat) <= WIDTH or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, list) and not any(isinstance(v, (dict, list)) for v in value):  # scalars: filled lines
        lines = [""]
        for item in map(json.dumps, value):
            if lines[-1] and len(pad) + len(lines[-1]) + len(item) + 2 > WIDTH:
                lines.append("")
            lines[-1] += (", " if lines[-1] else "") + item
        return "[\n" + ",\n".join(pad + line for line in lines) + "\n" + " " * indent + "]"
    if isinstance(value, list):
        return "[\n" + ",\n".join(pad + compact(v, indent + 2) for v in value) + "\n" + " " * indent + "]"
    return "{\n" + ",\n".join(f"{pad}{json.dumps(k)}: {compact(v, indent + 2, len(json.dumps(k)) + 2)}"
                              for k, v in value.items()) + "\n" + " " * indent + "}"


def test_compact_json_round_trips():
    value = {"a": [1, 2, {"b": "x" * 200}], "c": {"d": None}}
    assert json.loads(compact(value)) == value and "\n" in compact(value)


def test_the_committed_manifest_schema_types_each_target_section_as_the_target_declares():
    composed = manifest.schema()
    path = FOLDER / "manifest.schema.json"
    if os.environ.get("CLOFORMER_UPDATE_CONTRACTS"):
        path.write_text(compact(composed) + "\n")
    assert json.loads(path.read_text()) == composed, "a target's section changed: rewrite it (module docstring)"
    jsonschema.Draft202012Validator.check_schema(composed)
    for name in TARGETS:
        assert composed["properties"][name] == {"$ref": f"#/$defs/section.{name}"}


@pytest.mark.parametrize("key", ["onnx", "coreml"])
def test_a_target_section_is_required_for_its_own_target_and_refused_for_another(small_onnx_export, key):
    _, record = small_onnx_export
    broken = {k: v for k, v in record.items() if k != "onnx"} if key == "onnx" else {**record, "coreml": {}}
    errors = list(jsonschema.Draft202012Validator(manifest.schema()).iter_errors(broken))
    assert any(key in e.message for e in errors)  # onnx: required at the top level; coreml: not this target's


def test_an_unknown_option_in_a_section_is_refused(small_onnx_export):
    _, record = small_onnx_export
    broken = {**record, "onnx": {**record["onnx"], "opset": "18"}}
    with pytest.raises(Exception, match=r"field onnx\.opset: '18' is not of type 'integer'"):
        manifest.validate(broken, "m.json")


def test_the_result_schemas_device_kinds_are_the_platforms():
    schema = contracts.load("result.schema.json")
    assert sorted(schema["properties"]["device"]["properties"]["kind"]["enum"]) == sorted(kinds())


def test_every_contract_parses_and_the_schemas_are_valid():
    for path in sorted(FOLDER.glob("*.json")):
        document = contracts.load(path.name)
        if path.name.endswith(".schema.json"):
            jsonschema.Draft202012Validator.check_schema(document)


def test_a_manifest_of_another_schema_version_is_one_line(small_onnx_export):
    _, record = small_onnx_export
    with pytest.raises(Exception, match=r"^old.json: field schema_version: 1 is not 2, the version this cloformer reads; "
                                        r"re-export the artifact with this cloformer$"):
        manifest.validate({**record, "schema_version": 1}, "old.json")
