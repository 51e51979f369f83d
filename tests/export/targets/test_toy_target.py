"""docs/adding-a-target.md, kept honest: a toy target (the shared ONNX graph under another name,
suffix and runtime name), registered from this test only, goes through export, manifest, check
bundle, `cloformer-bench host`, `cloformer-bench android`, `compare` and the layering test without a
line of generic code knowing it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloformer.export import manifest
from cloformer.export.cli import main as export
from cloformer.export.targets import TARGETS, AppRun, Target
from cloformer.export.targets.base import op_counts, register
from cloformer.export.targets.shared.onnx_graph import INPUT_NAME, io_shapes, write_graph
from cloformer.runtime_bench import result as results
from cloformer.runtime_bench.cli import main as bench

from ... import test_layers


class ToyTarget(Target):
    name = "toy"
    order = 99
    suffix = ".toy"
    runtime = "toy runner"
    summary = "the ONNX graph under another name (tests only)"
    result_runtime = "toyruntime"
    runtime_package = "onnxruntime"
    apps = {"android": AppRun("onnxruntime")}
    in_all = False
    section = {"nodes": {"type": "integer", "minimum": 1}}
    passes = ("fold_norm_affine",)

    def export(self, model, example, request, path: Path) -> dict:
        proto = write_graph(model, example, path)
        return {"ops": op_counts(node.op_type for node in proto.graph.node), "toy": {"nodes": len(proto.graph.node)}}

    def runner(self, path: Path, backend: str | None, threads: int | None = None):
        import onnxruntime as ort

        session = ort.InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"])
        return lambda x: session.run(None, {INPUT_NAME: x})[0]

    def io_shapes(self, path: Path) -> tuple[list[int], list[int]]:
        return io_shapes(path)


@pytest.fixture(scope="module")
def toy():
    register(ToyTarget)
    yield TARGETS["toy"]
    del TARGETS["toy"]


@pytest.fixture(scope="module")
def toy_export(toy, tmp_path_factory):
    out = tmp_path_factory.mktemp("toy")
    assert export(["--target", "toy", "--input-size", "64", "--output", str(out), "--quiet"]) == 0
    [artifact] = out.glob("*.toy")
    return artifact


def test_it_exports_with_a_manifest_of_its_own_typed_section_and_a_check_bundle(toy_export):
    record = json.loads(manifest.manifest_path(toy_export).read_text())
    assert toy_export.name == "cloformer_xxs_64x64_toy_fp32.toy"
    assert record["target"] == "toy" and record["parity"]["status"] == "pass" and record["rewrites"] == ["fold_norm_affine"]
    assert record["toy"]["nodes"] > 100 and record["apps"] == {"android": {"runner": "onnxruntime", "backend": None}}
    assert manifest.schema()["$defs"]["section.toy"]["properties"]["nodes"] == {"type": "integer", "minimum": 1}
    assert manifest.load(toy_export).target.name == "toy"  # schema, sha256, shapes
    assert (toy_export.parent / (toy_export.name + ".check")).is_dir()


def test_a_wrong_section_breaks_its_manifest(toy_export, tmp_path):
    record = json.loads(manifest.manifest_path(toy_export).read_text())
    with pytest.raises(Exception, match=r"field toy: 'nodes' is a required property"):
        manifest.validate({**record, "toy": {}}, "m.json")


def test_host_bench_android_and_compare_run_it(toy_export, fake_adb, tmp_path, capsys):
    out = tmp_path / "results"
    assert bench(["host", str(toy_export), "--warmup", "0", "--rounds", "3", "--iterations", "10",
                  "--output", str(out)]) == 0
    fake_adb("pixel8:ok")
    assert bench(["android", str(toy_export), "--output", str(tmp_path / "phone"), "--timeout", "5"]) == 0
    [measured] = [results.load(p) for p in out.glob("*.json")]
    assert measured["runtime"]["name"] == "toyruntime" and measured["check"]["status"] == "pass" and measured["valid"]
    capsys.readouterr()
    assert bench(["compare", str(out), str(tmp_path / "phone"), "--output", str(tmp_path / "cmp")]) == 0
    table = capsys.readouterr().out
    assert "| toyruntime |" in table and "(android)" in table


def test_the_layering_test_takes_its_words_and_no_generic_module_knows_it(toy):
    words = test_layers.member_words()
    assert {"toy", ".toy", "toyruntime"} <= words
    assert test_layers.naming(words) == []
