"""The Gradle project a user opens in Android Studio: the shape the issue asks for, and the
runtime versions in one place, matched to the Python side."""
import re
import tomllib
from pathlib import Path

import pytest

from cloformer.export.api import TARGETS
from cloformer.runtime_bench.platforms import android

ROOT = Path(__file__).parents[2]
APP = ROOT / "android_app"


def test_runtime_versions_match_the_python_pins():
    versions = tomllib.loads((APP / "gradle" / "libs.versions.toml").read_text())["versions"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["litert"]
    executorch = next(d for d in deps if d.startswith("executorch"))
    onnxruntime = next(d for d in deps if d.startswith("onnxruntime"))
    assert executorch == f"executorch=={versions['executorch']}"
    low = re.search(r">=(\d+\.\d+)", onnxruntime).group(1)
    assert versions["onnxruntime"].startswith(low + "."), (onnxruntime, versions["onnxruntime"])
    assert f"ai-edge-litert=={versions['litert']}" in deps  # the runtime parity ran in
    # every dependency's version comes from the catalog, none is written in a build file
    build = (APP / "app" / "build.gradle").read_text()
    assert all(f"libs.{name}.android" in build for name in ("executorch", "onnxruntime", "litert", "litert.gpu"))
    assert not re.search(r"['\"][\w.-]+:[\w.-]+:\d", build)


def test_qnn_runtime_is_the_one_the_python_side_compiles_with():
    """The app's QNN plugin is the exporter's onnxruntime-qnn, and its QNN runtime at least as new as
    the QNN SDK that compiles the context binaries (older cannot load them: core/Qnn.java)."""
    versions = tomllib.loads((APP / "gradle" / "libs.versions.toml").read_text())["versions"]
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["qnn"]
    assert any(d.startswith(f"onnxruntime-qnn=={versions['onnxruntime-qnn']};") for d in extra), extra
    build = (APP / "app" / "build.gradle").read_text()
    assert "libs.onnxruntime.qnn.android" in build and "libs.qnn.runtime.android" in build
    qnn = pytest.importorskip("onnxruntime_qnn", reason="the qnn extra is not installed")
    sdk = tuple(int(v) for v in qnn.build_and_package_info.qnn_version.split(".")[:2])
    assert tuple(int(v) for v in versions["qnn-runtime"].split(".")[:2]) >= sdk
    java = (APP / "app/src/main/java/org/cloformer/bench/core/Qnn.java").read_text()
    assert f'BACKEND = "{TARGETS["qnn"].apps["android"].backend}"' in java  # OrtRunner's name for what the target declares


def test_gradle_project_shape():
    assert "include ':app'" in (APP / "settings.gradle").read_text()
    assert "gradle-8" in (APP / "gradle" / "wrapper" / "gradle-wrapper.properties").read_text()
    build = (APP / "app" / "build.gradle").read_text()
    assert "minSdk 26" in build and "abiFilters 'arm64-v8a'" in build and "namespace 'org.cloformer.bench'" in build


def test_manifest_exports_the_activity_cloformer_bench_starts():
    manifest = (APP / "app" / "src" / "main" / "AndroidManifest.xml").read_text()
    package, activity = android.ACTIVITY.split("/")
    assert package == android.PACKAGE == "org.cloformer.bench"
    assert re.search(rf'android:name="\{activity}"\s+android:exported="true"', manifest)


def test_core_has_no_android_imports():
    core = APP / "app" / "src" / "main" / "java" / "org" / "cloformer" / "bench" / "core"
    offenders = [p.name for p in core.glob("*.java") if re.search(r"^import android\.", p.read_text(), re.M)]
    assert not offenders
