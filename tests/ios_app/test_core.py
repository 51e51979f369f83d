"""The iOS app's Swift core (ios_app/Sources/CloFormerBenchCore) built and tested on Linux with Swift 6,
the Apple-only sources parsed and linted, and the core's statistics, preprocessing and result files
checked against the Python side (the Swift runs in a Debian trixie root: ios_app/scripts/swift_env.sh)."""
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import numpy as np
import pytest

from cloformer.export import check
from cloformer.export.inputs import preprocess
from cloformer.runtime_bench.platforms import ios
from cloformer.runtime_bench import result as results
from cloformer.runtime_bench.compare import compare
from cloformer.export.contracts.protocol import summarize

from ..export.test_check import assert_same_check

pytestmark = pytest.mark.ios_app  # root and Debian (tests/conftest.py: missing_for)

ROOT = Path(__file__).parents[2]
IOS = ROOT / "ios_app"
IO = IOS / ".build" / "fixture-io"  # in the repository, which the Swift root sees (as /src): ios_app/ is its cwd


@pytest.fixture(scope="module")
def swift_log() -> str:
    done = subprocess.run(["bash", str(IOS / "scripts" / "test_linux.sh")], capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    shutil.rmtree(IO, ignore_errors=True)
    IO.mkdir(parents=True)
    return done.stdout


def fixture(*args: str) -> str:
    done = subprocess.run(["bash", str(IOS / "scripts" / "fixture.sh"), *args], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_swift_build_test_parse_and_lint(swift_log):
    executed = re.findall(r"Executed (\d+) tests, with (\d+) failures", swift_log)
    assert executed and int(executed[-1][0]) >= 16 and executed[-1][1] == "0", swift_log[-2000:]
    apple = sorted(str(p.relative_to(IOS)) for d in ("Sources/CloFormerBenchApple", "App", "BenchmarkTests")
                   for p in (IOS / d).rglob("*.swift"))
    assert f"parsed: {' '.join(apple)}" in swift_log
    assert "type-checked on Linux: CloFormerBenchApple outside its canImport blocks" in swift_log
    assert "swift-format lint: clean" in swift_log


@pytest.mark.parametrize("n", [1, 2, 7, 50, 333])
def test_statistics_equal_pythons(swift_log, n):
    latencies = np.random.default_rng(n).lognormal(2.5, 0.3, n).round(4).tolist()
    if n > 2:
        latencies[1] = latencies[2]
    (IO / "l.txt").write_text("\n".join(map(repr, latencies)))
    swift = json.loads(fixture("stats", ".build/fixture-io/l.txt"))
    python = summarize(latencies)
    assert set(swift) == set(python)
    for key in python:
        assert swift[key] == pytest.approx(python[key], rel=1e-12, abs=1e-12), key


@pytest.mark.parametrize("size", [(224, 224), (64, 96)])
def test_preprocessing_equals_export_inputs(swift_log, size):
    from skimage import data

    noise = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    for image in (data.astronaut(), noise):
        h, w = image.shape[:2]
        rgba = np.concatenate([image, np.full((h, w, 1), 255, np.uint8)], axis=2)
        (IO / "in.rgba").write_bytes(rgba.tobytes())
        fixture("preprocess", ".build/fixture-io/in.rgba", str(w), str(h), *map(str, size), ".build/fixture-io/out.f32")
        swift = np.fromfile(IO / "out.f32", dtype="<f4").reshape(1, 3, *size)
        python = preprocess(image, *size).numpy()
        assert np.abs(swift - python).max() < 1e-4 and np.abs(swift - python).mean() < 2e-6


def test_results_follow_the_schema_and_round_trip_through_compare(swift_log, tmp_path):
    fixture("results", ".build/fixture-io")
    names = ("measured", "sustained", "failed")
    measured, sustained, failed = (results.load(IO / f"{n}.json") for n in names)
    assert measured["valid"] and measured["tool"]["name"] == "ios_app" and measured["device"]["kind"] == "ios"
    assert measured["stats"] == pytest.approx(summarize(measured["latencies_ms"], measured["protocol"]["trim"]))
    assert sustained["sustained"]["intervals"] and sustained["stats"] == pytest.approx(
        summarize(sustained["latencies_ms"]))
    assert not failed["valid"] and failed["stats"] is None and "missing.mlpackage: missing or unreadable" in \
        failed["invalid_reasons"][0]
    collected = ios.collect([IO / f"{n}.json" for n in names], tmp_path / "collected", say=lambda _: None)
    table, _ = compare(collected, tmp_path / "cmp")
    assert table.count("(ios) | cloformer_xxs | 64x64 | executorch | xnnpack | fp32 |") == 2
    assert measured["check"]["status"] == "pass" and failed["check"]["status"] == "absent"
    assert "missing.mlpackage" in table


@pytest.mark.parametrize("perturbation", [0.0, 0.01])
def test_the_output_check_equals_pythons_on_a_real_bundle(swift_log, small_onnx_export, perturbation):
    """The same real bundle (an export's, 64x64) checked by the Swift core and by Python, each against
    the bundle's outputs as returned by a faithful runner and by one 1 % off: same verdict, same figures."""
    artifact, record = small_onnx_export
    for path in (artifact, artifact.with_name(artifact.name + ".json")):
        shutil.copy(path, IO / path.name)
    shutil.copytree(check.bundle_path(artifact), IO / (artifact.name + ".check"), dirs_exist_ok=True)
    swift = json.loads(fixture("check", f".build/fixture-io/{artifact.name}", str(perturbation)))
    assert_same_check(artifact, record, perturbation, swift)


def test_executorch_version_in_one_place_matches_python():
    package = (IOS / "Package.swift").read_text()
    declared = re.search(r'let executorchVersion = "([^"]+)"', package).group(1)
    reported = re.search(r'executorch = "([^"]+)"', (IOS / "Sources/CloFormerBenchCore/Versions.swift").read_text())
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"executorch=={declared}" in deps and reported.group(1) == declared
    assert 'branch: "swiftpm-\\(executorchVersion)"' in package


def test_xcodegen_spec_names_real_folders():
    spec = (IOS / "project.yml").read_text()
    for folder in re.findall(r"sources: \[(\w+)\]", spec):
        assert any((IOS / folder).glob("*.swift")), folder
    assert "product: CloFormerBenchApple" in spec and "PRODUCT_BUNDLE_IDENTIFIER: org.cloformer.bench" in spec


def test_the_xctest_golden_statistics_are_pythons():
    """PythonParityTests (XCTest) compares Swift with this file; here the file is compared with Python."""
    golden = json.loads((IOS / "Tests/CloFormerBenchCoreTests/Fixtures/python_stats.json").read_text())
    assert len(golden["cases"]) == 6
    for case in golden["cases"]:
        assert case["stats"] == summarize(case["latencies_ms"], case["trim"])
