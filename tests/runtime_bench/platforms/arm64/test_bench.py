"""cloformer-bench arm64 for real: XXS at 64x64 (the 224x224 kernels at a twelfth of the work), fp32
and int8 of ONNX Runtime and ExecuTorch, on the emulated Cortex-A76; and its refusals."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
from importlib import metadata
from pathlib import Path

import pytest

from cloformer.export.api import CHECK_FAILED
from cloformer.runtime_bench import result as results
from cloformer.runtime_bench.cli import main
from cloformer.runtime_bench.compare import compare

from ....conftest import export

arm64 = pytest.mark.arm64


def bench(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["arm64", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def counted(small_onnx_export, small_executorch_export, small_litert_export, small_export, tmp_path_factory):
    """One run over four artifacts of three runtimes, one of them int8, and a reference peer's, two
    counted inferences each: (result files, stdout). ncnn and MNN are counted below; ExecuTorch int8
    in test_recipes' slow half (its export alone takes about 400 s: a 2,768-node graph to lower)."""
    output = tmp_path_factory.mktemp("arm64_results")
    artifacts = [small_onnx_export[0], small_executorch_export[0], small_export("onnx", "int8")[0],
                 small_litert_export[0], small_export("litert", model="efficientnet_b0")[0]]
    said = io.StringIO()  # capsys is function-scoped
    with contextlib.redirect_stdout(said):
        code = main(["arm64", *map(str, artifacts), "--inferences", "2", "--output", str(output)])
    assert code == 0, said.getvalue()
    return sorted(output.glob("*.json")), said.getvalue()


@arm64
def test_every_artifact_is_checked_and_counted_on_arm64(counted):
    files, said = counted
    loaded = [results.load(f) for f in files]
    assert sorted((r["model"], r["runtime"]["name"], r["precision"]) for r in loaded) == [
        ("cloformer_xxs", "executorch", "fp32"), ("cloformer_xxs", "litert", "fp32"), ("cloformer_xxs", "onnxruntime", "fp32"),
        ("cloformer_xxs", "onnxruntime", "int8"), ("efficientnet_b0", "litert", "fp32")]
    for r in loaded:
        assert r.get("reference") is (True if r["model"] == "efficientnet_b0" else None)
        assert r["check"]["status"] == "pass" and r["valid"], r["check"]
        # ARM kernels agree with the eager reference: fp32 to float rounding, int8 within its tolerance
        assert all(c["sqnr_db"] > (80 if r["precision"] == "fp32" else 20) for c in r["check"]["cases"])
        assert r["device"]["kind"] == "emulated" and "asimddp" in r["device"]["features"]
        assert r["latencies_ms"] == [] and r["stats"] is None and r["load_ms"] is None
        ins = r["instructions"]
        assert len(ins["counted"]) == 2 and ins["per_inference"] > 1e6 and ins["load"] > 0
        # repeatable to within what Python's and ORT's allocators move between two runs (ORT int8: 0.5 %)
        assert abs(ins["counted"][0] - ins["counted"][1]) < 1e-2 * ins["per_inference"]
        assert r["runtime"]["version"] == metadata.version(
            {"executorch": "executorch", "onnxruntime": "onnxruntime", "litert": "ai-edge-litert"}[r["runtime"]["name"]])
        assert ins["rewrites"]  # the default deploy form
        assert sum(ins["classes"].values()) in ins["counted"] and ins["classes"]["simd"] > 0
        # the floor: the model's MACs over the precision's lanes; no run reaches it
        f = ins["floor"]
        assert f["lanes"] == {"fp32": 4, "int8": 16}[r["precision"]] and f["instructions"] == -(-f["macs"] // f["lanes"])
        assert f["ratio"] == pytest.approx(ins["per_inference"] / f["instructions"], rel=1e-3) and f["ratio"] > 1
        # milliseconds on a Pi 5 core from the committed calibration, in their own field with their band; the
        # calibration is ncnn's, so for these runtimes it says its transfer is unverified
        e = r["estimate"]
        assert 0 < e["low_ms"] < e["ms"] < e["high_ms"] and e["reference"].startswith("Raspberry Pi 5 (Cortex-A76")
        assert e["transfer"].startswith("unverified")
    assert said.count("check pass") == 5 and "M instructions per inference" in said and "x the fp32 floor)" in said
    assert said.count("transfer to this runtime unverified") == 5


@arm64
def test_ncnn_and_mnn_check_on_arm64_at_each_precision(small_ncnn_export, small_ncnn_fp16_export, small_mnn_export,
                                                        small_mnn_fp16_export, small_mnn_int8_export, tmp_path, capsys):
    """ncnn and MNN run from their aarch64 wheels with the manifest's runtime options: fp16 computes in
    fp16 on the A76 (fewer instructions than fp32, within the fp16 check), MNN int8 within its tolerance."""
    out = tmp_path
    artifacts = [e[0] for e in (small_ncnn_export, small_ncnn_fp16_export, small_mnn_export, small_mnn_fp16_export,
                                small_mnn_int8_export)]
    code, said, err = bench(capsys, *artifacts, "--output", out / "results")
    assert code == 0, err
    loaded = {(r["runtime"]["name"], r["precision"]): r for r in map(results.load, (out / "results").glob("*.json"))}
    assert sorted(loaded) == [("mnn", "fp16"), ("mnn", "fp32"), ("mnn", "int8"), ("ncnn", "fp16"), ("ncnn", "fp32")]
    for (runtime, precision), r in loaded.items():
        assert r["check"]["status"] == "pass" and r["valid"], r["check"]
        assert r["runtime"]["version"] == metadata.version({"ncnn": "ncnn", "mnn": "MNN"}[runtime])
        assert r["runtime"]["backend"] == ("cpu-fp16" if precision == "fp16" else "cpu")
    assert loaded["ncnn", "fp16"]["estimate"]["transfer"].startswith("measured")  # the calibration's own runtime
    assert loaded["mnn", "fp16"]["estimate"]["transfer"].startswith("unverified")
    for runtime in ("ncnn", "mnn"):  # the A76 has fp16 arithmetic: the runtime options reached the guest
        fp16, fp32 = (loaded[runtime, p]["instructions"]["per_inference"] for p in ("fp16", "fp32"))
        assert fp16 < 0.85 * fp32, (runtime, fp16, fp32)
    assert said.count("check pass") == 5


@arm64
def test_compare_puts_instructions_in_their_own_table_with_ratios(counted, tmp_path):
    files, _ = counted
    table, written = compare(files, tmp_path)
    # no latency: no latency table; the estimates and their bands are plotted
    assert [p.name for p in written] == ["table.md", "instructions.csv", "estimates.png"]
    assert table.startswith("Guest instructions per inference under emulation (not a latency)")
    every = list(csv.DictReader((tmp_path / "instructions.csv").open()))
    peer = next(r for r in every if r["model"] == "efficientnet_b0 [reference]")
    rows = {(r["runtime"], r["precision"]): r for r in every if r is not peer}
    # CloFormer beside its peer in the same runtime, precision and form; the peer has no peers of its own
    name, ratio = rows[("litert", "fp32")]["ratio_peers"].split()
    assert peer["ratio_peers"] == "" and name == "efficientnet_b0" and float(ratio.rstrip("x")) == pytest.approx(
        float(rows[("litert", "fp32")]["instructions_M"]) / float(peer["instructions_M"]), abs=0.01)
    assert all(row["ratio_peers"] == "" for key, row in rows.items() if key != ("litert", "fp32"))
    for (runtime, precision), row in rows.items():
        assert float(row["vs_floor"].rstrip("x")) > 1
        assert (row["ratio_fp32"] != "") == (precision == "int8")
        assert (row["ratio_reference"] != "") == (runtime != "onnxruntime")
        assert float(row["estimate_ms"]) > 0 and row["transfer"] == "unverified" and "-" in row["estimate_band_ms"]
    ratio = float(rows[("onnxruntime", "int8")]["ratio_fp32"].rstrip("x"))
    assert ratio == pytest.approx(float(rows[("onnxruntime", "int8")]["instructions_M"])
                                  / float(rows[("onnxruntime", "fp32")]["instructions_M"]), abs=0.01)


def _copy(artifact: Path, into: Path, bundle: bool = True) -> Path:
    for suffix in ("", ".json", ".check") if bundle else ("", ".json"):
        source = artifact.with_name(artifact.name + suffix)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, into / source.name)
    return into / artifact.name


@arm64
def test_wrong_outputs_fail_the_check_and_the_result_says_so(small_executorch_export, tmp_path, capsys):
    artifact = _copy(small_executorch_export[0], tmp_path)
    manifest = artifact.with_name(artifact.name + ".json")
    record = json.loads(manifest.read_text())
    record["check"]["tolerance"] = {"max_abs_diff": 0.0, "min_sqnr_db": 190.0}  # nothing computed passes this
    manifest.write_text(json.dumps(record))
    code, out, _ = bench(capsys, artifact, "--output", tmp_path / "res")
    [file] = (tmp_path / "res").glob("*.json")
    result = results.load(file)
    assert code == 0 and "check fail" in out and "INVALID: " + CHECK_FAILED in out
    assert not result["valid"] and result["invalid_reasons"][0].startswith(CHECK_FAILED + "astronaut max abs diff")


@arm64
def test_without_its_bundle_the_eager_model_is_the_reference(small_onnx_export, tmp_path, capsys):
    artifact = _copy(small_onnx_export[0], tmp_path, bundle=False)
    code, out, _ = bench(capsys, artifact, "--output", tmp_path / "res", "--calibration", "none")
    [file] = (tmp_path / "res").glob("*.json")
    result = results.load(file)
    assert code == 0 and result["check"]["status"] == "pass"
    assert "estimate" not in result and "estimated" not in out  # --calibration none: counts only


@arm64
def test_a_guest_that_does_not_finish_fails_the_command(small_onnx_export, tmp_path, capsys):
    code, out, err = bench(capsys, small_onnx_export[0], "--timeout", "0.01", "--output", tmp_path / "res")
    assert code == 1 and "no result within 0 s (pass a longer --timeout)" in out
    assert err.strip() == "cloformer-bench: error: 1 artifact(s) failed on emulated cortex-a76 (lines above); 0 result(s) written"
    assert not (tmp_path / "res").exists()


@pytest.mark.parametrize("args, message", [
    (["--inferences", "0"], "argument --inferences: 0 is out of range; pass an integer from 1 to 1,000"),
    (["--timeout=-1"], "argument --timeout: -1 is out of range; pass a number of seconds above 0, at most 604,800"),
    (["--cpu", "m1"], "argument --cpu: invalid choice: 'm1'"),
])
def test_bad_flags(small_onnx_export, args, message, capsys):
    code, _, err = bench(capsys, small_onnx_export[0], *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) <= 2 and "Traceback" not in err


def test_an_artifact_without_an_arm64_runtime_is_refused_before_anything_runs(small_coreml_export, tmp_path, capsys):
    code, _, err = bench(capsys, small_coreml_export[0], "--output", tmp_path)
    assert code == 2 and err.strip() == (f"cloformer-bench: error: {small_coreml_export[0]}: --target coreml does not run on an "
                                         "ARM64 CPU here; cloformer-bench arm64 runs --target onnx (.onnx), "
                                         "litert (.tflite), ncnn (.ncnn), mnn (.mnn), executorch (.pte: xnnpack, portable)")


def test_a_missing_artifact_is_a_usage_error(tmp_path, capsys):
    code, _, err = bench(capsys, tmp_path / "nothing.onnx")
    assert code == 2 and "nothing.onnx" in err and "Traceback" not in err


@arm64
@pytest.mark.slow
def test_full_size_artifacts_pass_their_check_on_arm64(tmp_path, capsys):
    """The issue's target at 224x224: XXS fp32 and int8 of ONNX Runtime (int8: static QDQ) and
    ExecuTorch-XNNPACK computed by ARM kernels, each within its check's tolerance (about 4 minutes)."""
    artifacts = [export(tmp_path / "exports", "--target", target, "--precision", precision)[0]
                 for target in ("onnx", "executorch") for precision in ("fp32", "int8")]
    code, out, _ = bench(capsys, *artifacts, "--output", tmp_path / "res")
    loaded = [results.load(f) for f in (tmp_path / "res").glob("*.json")]
    assert code == 0 and out.count("check pass") == 4, out
    assert sorted(results.input_label(r) for r in loaded) == ["224x224"] * 4
    for r in loaded:
        assert r["valid"] and all(c["sqnr_db"] > (80 if r["precision"] == "fp32" else 20) for c in r["check"]["cases"])
        assert r["instructions"]["per_inference"] > 1e8
