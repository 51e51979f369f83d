"""ncnn: pnnx's param and bin in a `.ncnn` folder match eager in ncnn's Python binding; fp16 is
ncnn's runtime options, recorded; int8, the model as written and damaged folders are refused in
one line; the host bench runs it."""
import json
import shutil

from cloformer.export.cli import main
from cloformer.export.contracts.protocol import Protocol
from cloformer.export.manifest import manifest_path
from cloformer.export.targets import TARGETS
from cloformer.export.targets.ncnn import ARM_PATH, guest
from cloformer.runtime_bench.cli import main as bench
from cloformer.runtime_bench.platforms import host


def test_fp32_is_a_folder_of_param_and_bin_matching_eager(small_ncnn_export):
    path, manifest = small_ncnn_export
    assert path.is_dir() and sorted(p.name for p in path.iterdir()) == [guest.BIN, guest.PARAM]
    assert TARGETS["ncnn"].io_shapes(path) == ([1, 3, 64, 64], [1, 1000])  # the Input layer carries its size
    parity = manifest["parity"]
    assert parity["status"] == "pass" and parity["max_abs_diff"] < 1e-5 and parity["cosine"] > 0.999999
    assert manifest["backend"] == "cpu" and manifest["rewrites"] == list(TARGETS["ncnn"].passes)
    section = manifest["ncnn"]
    assert section["input"] == "in0" and section["output"] == "out0"
    assert section["options"] == {"use_fp16_storage": False, "use_fp16_packed": False, "use_fp16_arithmetic": False,
                                  "use_bf16_storage": False}  # ncnn's defaults would compute in fp16 on ARM
    assert set(section["files"]) == {guest.PARAM, guest.BIN}
    assert section["layers"] == sum(manifest["ops"].values())
    assert manifest["ops"]["GroupNorm"] == 26  # ncnn's own GroupNorm layer
    assert "MatMul" not in manifest["ops"]  # global_attention_conv: the attention as 1x1 convolutions


def test_placement_names_the_layers_without_arm_kernels(small_ncnn_export):
    _, manifest = small_ncnn_export
    entry, = manifest["placement"]
    assert entry["path"] == ARM_PATH and entry["ops"] - entry["ops_on_path"] == sum(i["count"] for i in entry["off"])
    assert {item["op"] for item in entry["off"]} == {"Permute (generic C++)"}  # the attention's transposes


def test_fp16_is_ncnns_fp16_storage_and_arithmetic(small_ncnn_export, small_ncnn_fp16_export):
    path, manifest = small_ncnn_fp16_export
    assert manifest["backend"] == "cpu-fp16" and manifest["parity"]["status"] == "pass"
    assert all(manifest["ncnn"]["options"][flag] for flag in ("use_fp16_storage", "use_fp16_arithmetic"))
    fp32_bin = small_ncnn_export[0] / guest.BIN
    assert (path / guest.BIN).stat().st_size < 0.55 * fp32_bin.stat().st_size  # fp16 weights
    assert manifest["fidelity"]["status"] == "measured" and manifest["fidelity"]["sqnr_db"] > 50


def test_int8_and_batches_are_refused_with_the_reason(tmp_path, capsys):
    for args, line in (
            (["--precision", "int8"], "--precision int8 is not available for --target ncnn: ncnn int8 needs ncnn's "
                                      "calibration tools (ncnn2table, ncnn2int8), which neither the ncnn nor the pnnx "
                                      "wheel ships (nor Debian); it takes fp32, fp16"),
            (["--batch", "2"], "--target ncnn runs one image per call (ncnn's Mat has no batch axis), not --batch 2; "
                               "pass --batch 1")):
        assert main(["--target", "ncnn", "--input-size", "64", "--output", str(tmp_path / "out"), *args]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and line in err, err
    assert not (tmp_path / "out").exists()


def test_the_model_as_written_names_each_unconverted_op_and_its_pass(tmp_path, capsys):
    code = main(["--target", "ncnn", "--no-rewrite", "--input-size", "64", "--output", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and list(tmp_path.iterdir()) == []
    assert "ncnn has no layer for torch.unbind x24 (the deploy-form pass local_qkv_slices removes it)" in err
    assert "Tensor.reshape x12 (the deploy-form passes" in err and "global_attention_bmm" in err
    assert "pnnx: reshape has unsupported physical rank 5" in err and err.rstrip().endswith(
        "export without --no-rewrite; no artifact written")


def test_a_param_without_its_bin_or_a_bin_from_another_export_is_named(small_ncnn_export, small_ncnn_fp16_export,
                                                                         tmp_path, capsys):
    path, _ = small_ncnn_export
    cases = {}
    for case in ("no_bin", "other_bin"):
        copy = tmp_path / case / path.name
        shutil.copytree(path, copy)
        shutil.copy(manifest_path(path), manifest_path(copy))
        cases[case] = copy
    (cases["no_bin"] / guest.BIN).unlink()
    shutil.copy(small_ncnn_fp16_export[0] / guest.BIN, cases["other_bin"] / guest.BIN)
    for case, line in (
            ("no_bin", f"{cases['no_bin']} lacks model.ncnn.bin (an ncnn model is the param and its bin together); "
                       "re-export it"),
            ("other_bin", f"{cases['other_bin']}/model.ncnn.bin is not the one exported with {path.name} (sha256 "
                          "differs): its param and bin come from different exports; re-export it")):
        assert bench(["host", str(cases[case]), "--output", str(tmp_path / "r")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and line in err, err
    assert not (tmp_path / "r").exists()


def test_host_bench_runs_it_with_the_manifests_options(small_ncnn_fp16_export):
    path, manifest = small_ncnn_fp16_export
    result = host.bench(host.artifact(path), Protocol(warmup=1, rounds=1, iterations=3), threads=1)
    assert result["runtime"]["name"] == "ncnn" and result["runtime"]["backend"] == "cpu-fp16"
    assert result["check"]["status"] == "pass" and result["artifact"]["sha256"] == manifest["sha256"]
    assert json.loads(manifest_path(path).read_text())["versions"]["ncnn"] == result["runtime"]["version"]


def test_without_the_extra_the_target_says_how_to_get_it(monkeypatch, tmp_path, capsys):
    from cloformer.export.targets import ncnn

    monkeypatch.setattr(ncnn, "missing_modules", lambda *modules: "pnnx")
    assert main(["--target", "ncnn", "--output", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == ("cloformer-export: error: --target ncnn needs pnnx, not installed "
                                               "here; pip install 'cloformer[ncnn]'")


def test_diagnose_extracts_the_taps_inside_the_artifact(small_ncnn_export):
    from cloformer.export.diagnose_cli import run
    from cloformer.export.targets.base import TAPS

    _, (result,) = run([small_ncnn_export[0]], quiet=True)
    assert result.how == TAPS and result.reason is None and result.missing == []
    assert len(result.rows) == 14 and min(r["sqnr_db"] for r in result.rows.values()) > 100  # fp32 kernels
