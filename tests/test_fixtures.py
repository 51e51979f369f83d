"""The manifests and check bundles the Android and iOS tests run against (tests/fixtures/manifests)
are real ones: written by cloformer-export, valid against the manifest schema, of the shape the
exporter writes today, with the bundle's files those the manifest names and hashes. After a change to the manifest, regenerate them from this session's exports:

    CLOFORMER_REGENERATE_FIXTURES=1 pytest tests/test_fixtures.py
"""
import json
import os
import shutil

import numpy as np
import pytest

from cloformer.export import check, files, manifest

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "manifests"
# What the apps read of a manifest (android_app core/Manifest.java, ios_app Manifest.swift).
APP_READS = ("schema_version", "model", "target", "backend", "precision", "input_shape", "num_classes", "preprocessing",
             "apps")


def shape(value):
    """Keys and types all the way down (lists: the set of their items' shapes)."""
    if isinstance(value, dict):
        return {key: shape(v) for key, v in value.items()}
    if isinstance(value, list):
        return ["list", sorted({json.dumps(shape(v), sort_keys=True) for v in value})]
    return type(value).__name__


@pytest.mark.parametrize("name, exported", [
    ("cloformer_xxs_64x64_executorch_xnnpack_fp32.pte.json", "small_executorch_export"),  # the Android tests'
    ("cloformer_xxs_64x64_coreml_fp32.mlpackage.json", "small_coreml_export"),  # the iOS tests'
])
def test_app_fixtures_are_manifests_the_exporter_writes(request, name, exported):
    artifact, fresh = request.getfixturevalue(exported)
    assert artifact.name + ".json" == name
    bundle = FIXTURES / fresh["check"]["bundle"]
    if os.environ.get("CLOFORMER_REGENERATE_FIXTURES"):
        (FIXTURES / name).write_text(manifest.dumps(fresh))
        shutil.rmtree(bundle, ignore_errors=True)
        shutil.copytree(check.bundle_path(artifact), bundle)
    committed = json.loads((FIXTURES / name).read_text())
    manifest.validate(committed, name)
    # `versions` says what this machine has installed: not the manifest's shape
    assert shape({**committed, "versions": {}}) == shape({**fresh, "versions": {}}), \
        "the exporter's manifest changed: regenerate (module docstring)"
    assert {k: committed[k] for k in APP_READS} == {k: fresh[k] for k in APP_READS}
    # the committed bundle is the one its manifest describes, and what the exporter computes here
    for case in committed["check"]["cases"]:
        for role in ("input", "expected"):
            path = bundle / case[role]["file"]
            assert files.sha256(path) == case[role]["sha256"]
            fresh_array = np.load(check.bundle_path(artifact) / case[role]["file"])
            np.testing.assert_allclose(np.load(path), fresh_array, atol=1e-4)
