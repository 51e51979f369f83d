import json
import re

import pytest

from cloformer.runtime_bench import result as results
from cloformer.runtime_bench.result import ResultError

from ..conftest import make_counted, make_result


def test_a_new_result_is_valid_and_round_trips(tmp_path):
    made = make_result()
    assert made["valid"] and made["invalid_reasons"] == [] and made["schema_version"] == 1
    path = results.write(made, tmp_path)
    assert path.name.startswith("Pixel-8_cloformer_xxs_224x224_executorch_xnnpack_fp32_")
    assert results.load(path) == made
    again = results.write(made, tmp_path)  # same second, same measurement: a second file
    assert again != path and again.name.endswith("_2.json")


def test_invalid_runs_say_why():
    few = make_result(latencies=[10.0] * 12)
    assert not few["valid"] and few["invalid_reasons"] == ["too few iterations: 12 < 30"]
    hot = make_result(latencies=[10.0] * 25 + [12.5] * 25, sustained=True)
    assert not hot["valid"] and hot["invalid_reasons"][0].startswith("throttling detected: latency drifted x1.25")


@pytest.mark.parametrize("breakage, field", [
    (lambda r: r["stats"].pop("p90"), "stats"),
    (lambda r: r["stats"].update(median="fast"), "stats.median"),
    (lambda r: r["device"].update(kind="watch"), "device.kind"),
    (lambda r: r["artifact"].update(sha256="xyz"), "artifact.sha256"),
    (lambda r: r.update(precision="fp64"), "precision"),
    (lambda r: r.update(schema_version=2), "schema_version"),
    (lambda r: r.update(extra=1), "(top level)"),
    (lambda r: r.update(created="yesterday"), "created"),
])
def test_a_schema_breaking_file_is_named_with_its_field(tmp_path, breakage, field):
    _refused_naming(tmp_path, breakage, field)


def _refused_naming(tmp_path, breakage, field):
    """A result broken by `breakage` is refused by `load`, the line naming the file and `field`."""
    made = make_result()
    breakage(made)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(made))
    with pytest.raises(ResultError, match=rf"^{re.escape(str(path))}: field {re.escape(field)}: "):
        results.load(path)


def test_unreadable_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ResultError, match=r"bad.json: not JSON \(Expecting property name"):
        results.load(bad)
    with pytest.raises(ResultError, match="missing.json: cannot read it"):
        results.load(tmp_path / "missing.json")


def failed_run() -> dict:
    """What an app writes when it cannot load or run the artifact: no figures, the reason."""
    made = make_result(check="absent")
    made.update(load_ms=None, first_ms=None, latencies_ms=[], stats=None, valid=False,
                invalid_reasons=["/data/local/tmp/cloformer/m.pte: missing or unreadable; push it first"])
    return made


def test_a_failed_run_is_a_result_with_its_reason(tmp_path):
    results.validate(failed_run(), "failed")
    unknown = failed_run() | {"model": None, "input_shape": None, "precision": None}
    unknown["runtime"]["name"] = "tflite"  # a runtime the app does not know: recorded as asked
    results.validate(unknown, "unknown")
    assert results.write(unknown, tmp_path).name.startswith("Pixel-8_unknown__tflite_xnnpack_failed_")
    for broken, message in [({"valid": True}, "False was expected"), ({"invalid_reasons": []}, "should be non-empty"),
                            ({"stats": make_result()["stats"]}, "is not of type 'null'")]:
        with pytest.raises(ResultError, match=message):
            results.validate(failed_run() | broken, "failed")


def test_a_measurement_must_be_complete():
    for field in ("model", "input_shape", "precision", "load_ms", "first_ms", "stats"):
        with pytest.raises(ResultError, match=f"field {field}: None is not of type"):
            results.validate(make_result() | {field: None}, "measured")
    odd = make_result()
    odd["runtime"]["name"] = "tflite"
    with pytest.raises(ResultError, match="field runtime.name: 'tflite' is not one of"):
        results.validate(odd, "measured")


def test_a_failed_output_check_is_an_invalid_result_with_its_figures(tmp_path):
    failed = make_result(check="fail")
    assert not failed["valid"] and failed["invalid_reasons"] == [
        "outputs differ from the reference: astronaut max abs diff 0.31 > 0.0001"]
    assert failed["stats"]["median"] > 0  # the latency is still recorded
    assert results.load(results.write(failed, tmp_path)) == failed
    absent = make_result(check="absent")
    assert absent["valid"] and absent["check"]["reason"].endswith("is missing")


@pytest.mark.parametrize("breakage, message", [
    (lambda r: r["check"].update(status="fail", reason="x"), "check.status: 'fail' but invalid_reasons does not say"),
    (lambda r: r.update(invalid_reasons=["outputs differ from the reference: x"], valid=False),
     "check.status: 'pass' but invalid_reasons says"),
    (lambda r: r["check"].update(status="absent"), "check.reason: None is not of type 'string'"),
    (lambda r: r["check"].update(cases=[]), "check.cases: [] should be non-empty"),
    (lambda r: r["check"]["cases"][0].update(top5_agreement=1.5), "check.cases.0.top5_agreement"),
    (lambda r: r["check"].update(status="skipped"), "check.status: 'skipped' is not one of"),
])
def test_a_check_that_contradicts_itself_is_refused(breakage, message):
    made = make_result()
    breakage(made)
    with pytest.raises(ResultError, match=re.escape(message)):
        results.validate(made, "r.json")


def test_results_written_at_once_by_parallel_devices_never_collide(tmp_path):
    """cloformer-bench android writes one result per device from threads; two phones of the same
    model finishing in the same second get two files, neither overwritten, no temp file left."""
    from concurrent.futures import ThreadPoolExecutor

    made = make_result()
    for _ in range(10):
        with ThreadPoolExecutor(8) as pool:
            paths = list(pool.map(lambda _: results.write(made, tmp_path), range(8)))
        assert len(set(paths)) == 8 and sorted(tmp_path.iterdir()) == sorted(paths)
        assert all(results.load(p) == made for p in paths)
        for p in paths:
            p.unlink()


def test_an_emulated_run_holds_instructions_and_never_a_latency(tmp_path):
    made = make_counted(311_000_000)
    assert made["valid"] and made["latencies_ms"] == [] and made["stats"] is None
    assert results.load(results.write(made, tmp_path)) == made
    for breakage, field in [(lambda r: r.update(latencies_ms=[10.0]), "latencies_ms"),
                            (lambda r: r.update(load_ms=12.0), "load_ms"),
                            (lambda r: r["device"].update(kind="android"), "device.kind"),
                            (lambda r: r["instructions"].pop("counted"), "instructions")]:
        broken = json.loads(json.dumps(made))
        breakage(broken)
        with pytest.raises(ResultError, match=rf"^r: field {field}: "):
            results.validate(broken, "r")


def test_an_emulated_device_never_reports_a_latency():
    timed = make_result()
    timed["device"] = {**timed["device"], "kind": "emulated"}
    with pytest.raises(ResultError, match=r"field device.kind: "):
        results.validate(timed, "r")


def test_a_number_beyond_a_double_is_refused_naming_it(tmp_path):
    path = results.write(make_result(), tmp_path)
    path.write_text(path.read_text().replace('"load_ms": 120.0', '"load_ms": 1e400'))
    with pytest.raises(ResultError, match=rf"^{re.escape(str(path))}: 1e400 is out of range \(not a finite number\)$"):
        results.load(path)


def _numbers(node, where=""):
    """Every number and integer field of the schema (the conditionals only narrow types), $refs resolved."""
    if isinstance(node, dict):
        if "$ref" in node:
            node = results.SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]] | node
        kinds = node.get("type", [])
        if {"number", "integer"} & set([kinds] if isinstance(kinds, str) else kinds):
            yield where, node
        for key, value in node.items():
            if key not in ("if", "then", "else"):
                yield from _numbers(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _numbers(value, f"{where}[{i}]")


def test_every_number_in_the_schema_has_a_range():
    found = dict(_numbers(results.SCHEMA))
    assert len(found) >= 30, sorted(found)
    unbounded = [w for w, n in found.items() if "maximum" not in n and "exclusiveMaximum" not in n
                 or "minimum" not in n and "exclusiveMinimum" not in n]
    assert unbounded == []


@pytest.mark.parametrize("breakage, field", [
    (lambda r: r["latencies_ms"].__setitem__(0, 2e7), "latencies_ms.0"),
    (lambda r: r.update(load_ms=1e300), "load_ms"),
    (lambda r: r["memory"].update(pss_mb=2e9), "memory.pss_mb"),
    (lambda r: r["device"].update(cores=10**6), "device.cores"),
    (lambda r: r["protocol"].update(cooldown_seconds=1e300), "protocol.cooldown_seconds"),
    (lambda r: r["check"]["cases"][0].update(max_abs_diff=1e300), "check.cases.0.max_abs_diff"),
    (lambda r: r["check"]["cases"][0].update(sqnr_db=-1e300), "check.cases.0.sqnr_db"),
])
def test_numbers_out_of_their_range_are_refused(tmp_path, breakage, field):
    _refused_naming(tmp_path, breakage, field)


def test_instruction_counts_are_bounded():
    for breakage in (lambda i: i.update(per_inference=2 * 10**15), lambda i: i.update(counted=[2 * 10**15]),
                     lambda i: i.update(load=-1)):
        made = make_counted(311_000_000)
        breakage(made["instructions"])
        with pytest.raises(ResultError, match=r"^r: field instructions"):
            results.validate(made, "r")


def test_a_file_over_the_cap_is_refused_unread(tmp_path, monkeypatch):
    big = tmp_path / "big.json"
    with big.open("wb") as f:  # sparse: nothing is written to disk
        f.truncate(100_000_000)
    monkeypatch.setattr(results.Path, "open", lambda *a, **k: pytest.fail("read a file over the cap"))
    with pytest.raises(ResultError, match=rf"^{re.escape(str(big))}: 100,000,000 bytes \(95.4 MiB\), more than a "
                                          r"result file holds \(at most 64 MiB\); pass a result file"):
        results.load(big)
    monkeypatch.undo()
    with big.open("r+b") as f:  # at the cap: read (and refused for what it holds, not its size)
        f.truncate(results.MAX_BYTES)
    with pytest.raises(ResultError, match=r"big.json: not JSON"):
        results.load(big)
    with pytest.raises(ResultError, match=rf"^{re.escape(str(tmp_path))}: not a file; "):
        results.load(tmp_path)
