"""The check bundle (export/check.py): written by the exporter, read back, and the figures every
runner computes before it times."""
import json
import re

import numpy as np
import pytest

from cloformer.export import check, files, manifest, parity
from cloformer.export.errors import ManifestError


def replaying(cases, perturbation=0.0):
    """A runner returning the bundle's expected outputs (x (1 + perturbation), rounded as the JVM does)."""
    by_input = {c.input.tobytes(): c.expected for c in cases}
    return lambda x: (by_input[np.asarray(x, np.float32).tobytes()].astype(np.float64) * (1 + perturbation)).astype(np.float32)


def assert_same_check(artifact, record, perturbation, other: dict) -> None:
    """Another language's check of the bundle (its fixture's JSON) against Python's, with a runner
    returning the bundle's outputs x (1 + perturbation): same verdict, same figures."""
    cases, _ = check.read(artifact, record["check"])
    python = check.run(cases, record["check"], replaying(cases, perturbation))
    assert other["status"] == python["status"] == ("pass" if perturbation == 0 else "fail")
    assert other["tolerance"] == python["tolerance"] and len(other["cases"]) == len(python["cases"]) == 2
    for o, p in zip(other["cases"], python["cases"]):
        assert o["name"] == p["name"] and o["top5_agreement"] == p["top5_agreement"]
        assert o["max_abs_diff"] == pytest.approx(p["max_abs_diff"], rel=1e-5)  # Swift scales in float32
        assert o["sqnr_db"] == pytest.approx(p["sqnr_db"], abs=0.011)
    assert (other.get("reason") is None) == (python["reason"] is None)
    if python["reason"]:
        assert other["reason"].count("SQNR 40.0 dB < 47 dB") == python["reason"].count("SQNR 40.0 dB < 47 dB") == 2


def test_the_tolerance_is_paritys_as_an_sqnr():
    assert check.tolerance(parity.FP32) == {"max_abs_diff": 1e-4, "min_sqnr_db": 47.0}
    assert [check.tolerance(t)["min_sqnr_db"] for t in (parity.TOLERANCE["fp16"], parity.TOLERANCE["int8"],
                                                         parity.LOSSY)] == [37.0, 17.0, 7.0]


def test_the_exporter_writes_the_bundle_its_manifest_describes(small_onnx_export):
    artifact, record = small_onnx_export
    section = record["check"]
    assert section["bundle"] == artifact.name + ".check" and section["tolerance"]["min_sqnr_db"] == 47.0
    assert [c["name"] for c in section["cases"]] == ["astronaut", "random"]
    cases, why = check.read(artifact, section)
    assert why is None and [c.input.shape for c in cases] == [(1, 3, 64, 64)] * 2
    assert all(c.expected.shape == (1, 1000) and c.expected.dtype == np.float32 for c in cases)
    raw = (check.bundle_path(artifact) / "astronaut.input.npy").read_bytes()
    assert raw[:8] == b"\x93NUMPY\x01\x00" and b"'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 64, 64)" in raw
    result = check.run(cases, section, replaying(cases))
    assert result == {"status": "pass", "reason": None, "tolerance": section["tolerance"], "cases": [
        {"name": n, "max_abs_diff": 0.0, "sqnr_db": 200.0, "top5_agreement": 1.0} for n in ("astronaut", "random")]}


def test_one_percent_off_fails_with_its_figures(small_onnx_export):
    artifact, record = small_onnx_export
    cases, _ = check.read(artifact, record["check"])
    result = check.run(cases, record["check"], replaying(cases, 0.01))
    assert result["status"] == "fail" and [round(c["sqnr_db"]) for c in result["cases"]] == [40, 40]
    assert result["reason"].startswith("astronaut max abs diff ") and "astronaut SQNR 40.0 dB < 47 dB" in result["reason"]


def test_nan_outputs_and_wrong_sizes_fail():
    case = check.Case("x", np.zeros((1, 3, 32, 32), np.float32), np.arange(10, dtype=np.float32)[None])
    section = {"tolerance": {"max_abs_diff": 1.0, "min_sqnr_db": 17.0}}
    nan = check.run([case], section, lambda x: np.full((1, 10), np.nan, np.float32))
    assert nan["status"] == "fail" and nan["reason"] == "x returned NaN or infinite values" and nan["cases"] == []
    short = check.run([case], section, lambda x: np.zeros((1, 9), np.float32))
    assert short["reason"] == "x returned 9 values, expected 10"


def test_top5_agreement_is_the_share_of_rows_whose_top1_stays_in_the_top5():
    expected = np.array([[9, 1, 2, 3, 4, 5, 0], [0, 9, 1, 2, 3, 4, 5]], np.float32)
    actual = expected.copy()
    actual[1, 1] = -1  # row 2's top-1 falls out of its top-5
    assert check.figures(expected, actual)["top5_agreement"] == 0.5


def test_a_missing_bundle_makes_the_check_absent_and_a_damaged_one_is_refused(small_onnx_export, tmp_path):
    artifact, record = small_onnx_export
    copy = tmp_path / artifact.name
    copy.write_bytes(artifact.read_bytes())
    assert check.read(copy, record["check"]) == ([], f"{artifact.name}.check is missing: copy the artifact's .check "
                                                     "folder beside it")
    bundle = check.bundle_path(copy)
    bundle.mkdir()
    damaged = f"the check bundle {artifact.name}.check is damaged: "
    fix = "; re-export the artifact, or copy its .check folder again"
    with pytest.raises(ManifestError, match=re.escape(damaged + "astronaut.input.npy is missing" + fix)):
        check.read(copy, record["check"])
    for file in check.bundle_path(artifact).iterdir():
        (bundle / file.name).write_bytes(file.read_bytes())
    (bundle / "random.expected.npy").write_bytes((bundle / "astronaut.expected.npy").read_bytes())
    with pytest.raises(ManifestError, match=re.escape(damaged + "random.expected.npy does not match its manifest's "
                                                      "sha256" + fix)):
        check.read(copy, record["check"])
    (bundle / "random.expected.npy").write_bytes(b"not npy")  # and a manifest edited to fit it
    edited = json.loads(json.dumps(record["check"]))
    edited["cases"][1]["expected"]["sha256"] = files.sha256(bundle / "random.expected.npy")
    with pytest.raises(ManifestError, match=re.escape(damaged + "random.expected.npy is not a .npy file (")):
        check.read(copy, edited)


@pytest.mark.parametrize("edit, field", [
    (lambda r: r["check"].update(bundle="other.onnx.check"), "check.bundle"),
    (lambda r: r["check"]["cases"][0]["input"].update(shape=[1, 3, 32, 32]), "check.cases.0.input.shape"),
    (lambda r: r["check"]["cases"][1]["expected"].update(shape=[1, 10]), "check.cases.1.expected.shape"),
    (lambda r: r["check"]["cases"][0]["input"].update(file="../x.npy"), "check.cases.0.input.file"),
    (lambda r: r.update(labels=["a", "b"]), "labels"),
    (lambda r: r.pop("check"), "(top level)"),
])
def test_the_manifest_reader_refuses_a_check_section_that_does_not_fit(small_onnx_export, edit, field):
    record = json.loads(json.dumps(small_onnx_export[1]))
    edit(record)
    with pytest.raises(ManifestError, match=rf"^m.json: field {field.replace('(', '[(]').replace(')', '[)]')}: "):
        manifest.validate(record, "m.json")
