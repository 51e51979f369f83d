"""The manifests the Android and iOS tests run against (tests/fixtures/manifests) are real ones:
written by cloformer-export, valid against the manifest schema, and of the shape the exporter
writes today. After a change to the manifest, regenerate them from this session's exports:

    CLOFORMER_REGENERATE_FIXTURES=1 pytest tests/test_fixtures.py
"""
import json
import os

import pytest

from cloformer.export import manifest

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "manifests"
# What the apps read of a manifest (android_app core/Manifest.java, ios_app Manifest.swift).
APP_READS = ("model", "target", "backend", "precision", "input_shape", "num_classes", "preprocessing")


def shape(value):
    """Keys and types all the way down (lists: the set of their items' shapes)."""
    if isinstance(value, dict):
        return {key: shape(v) for key, v in value.items()}
    if isinstance(value, list):
        return ["list", sorted({json.dumps(shape(v), sort_keys=True) for v in value})]
    return type(value).__name__


@pytest.mark.parametrize("name, exported", [
    ("cloformer_xxs_224x224_executorch_xnnpack_fp32.pte.json", "executorch_export"),  # the Android tests'
    ("cloformer_xxs_224x224_coreml_fp32.mlpackage.json", "coreml_export"),  # the iOS tests'
])
def test_app_fixtures_are_manifests_the_exporter_writes(request, name, exported):
    artifact, fresh = request.getfixturevalue(exported)
    assert artifact.name + ".json" == name
    if os.environ.get("CLOFORMER_REGENERATE_FIXTURES"):
        (FIXTURES / name).write_text(manifest.dumps(fresh))
    committed = json.loads((FIXTURES / name).read_text())
    manifest.validate(committed, name)
    # `versions` says what this machine has installed: not the manifest's shape
    assert shape({**committed, "versions": {}}) == shape({**fresh, "versions": {}}), \
        "the exporter's manifest changed: regenerate (module docstring)"
    assert {k: committed[k] for k in APP_READS} == {k: fresh[k] for k in APP_READS}
