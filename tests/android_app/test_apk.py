"""android_app/scripts/build_apk.sh: a signed arm64 APK assembled from Debian and npm inputs,
checked with the Android tools themselves (aapt dump badging, apksigner verify)."""
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.android_app  # a JDK, Debian and npm (tests/conftest.py: missing_for)

APP = Path(__file__).parents[2] / "android_app"
CACHE = Path(os.environ.get("CLOFORMER_CACHE", Path.home() / ".cache" / "cloformer")) / "android"


def build(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(APP / "scripts" / "build_apk.sh"), *args], capture_output=True, text=True,
                          timeout=900)


@pytest.fixture(scope="module")
def apk(tmp_path_factory) -> tuple[Path, str]:
    """Built once, with a stand-in artifact bundled (only its place in the APK is checked here)."""
    artifact = tmp_path_factory.mktemp("bundle") / "cloformer_xxs_224x224_executorch_xnnpack_fp32.pte"
    artifact.write_bytes(b"stand-in")
    artifact.with_name(artifact.name + ".json").write_text("{}")
    artifact.with_name(artifact.name + ".check").mkdir()
    (artifact.parent / (artifact.name + ".check") / "astronaut.input.npy").write_bytes(b"stand-in")
    done = build("--bundle", str(artifact))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return APP / "build" / "cloformer-bench.apk", done.stdout


def test_apk_is_signed_arm64_with_executorch_inside(apk):
    path, log = apk
    assert "package: name='org.cloformer.bench'" in log and "sdkVersion:'26'" in log
    assert "classes.dex: accepted by ART's dex verifier (dexdump)" in log and ", 0 invoke-custom" in log
    assert "native-code: 'arm64-v8a'" in log and "launchable-activity: name='org.cloformer.bench.MainActivity'" in log
    names = set(zipfile.ZipFile(path).namelist())
    assert {"classes.dex", "lib/arm64-v8a/libexecutorch.so", "lib/arm64-v8a/libfbjni.so",
            "lib/arm64-v8a/libc++_shared.so", "assets/models/cloformer_xxs_224x224_executorch_xnnpack_fp32.pte",
            "assets/models/cloformer_xxs_224x224_executorch_xnnpack_fp32.pte.json",
            "assets/models/cloformer_xxs_224x224_executorch_xnnpack_fp32.pte.check/astronaut.input.npy"} <= names
    dex = zipfile.ZipFile(path).read("classes.dex")
    for cls in (b"Lorg/cloformer/bench/BenchmarkActivity;", b"Lorg/cloformer/bench/core/BenchmarkJob;",
                b"Lorg/pytorch/executorch/Module;", b"Lcom/facebook/jni/HybridData$Destructor;",
                b"Lcom/facebook/soloader/nativeloader/NativeLoader;", b"Lorg/cloformer/bench/runners/LiteRtRunner;"):
        assert cls in dex, cls
    # LiteRT's runner is compiled against stand-ins of its API, which build_apk.sh keeps out of the dex
    # (it fails otherwise): the APK does not carry LiteRT (handbuilt/README.md)


def test_apksigner_accepts_it(apk):
    path, _ = apk
    env = dict(os.environ, LD_LIBRARY_PATH="")
    done = subprocess.run(["java", "-jar", str(CACHE / "root/usr/share/java/apksigner.jar"), "verify", "--print-certs",
                           "-v", str(path)], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and "Verified using v2 scheme (APK Signature Scheme v2): true" in done.stdout


def test_a_bundle_without_its_manifest_is_refused(tmp_path):
    lonely = tmp_path / "m.pte"
    lonely.write_bytes(b"x")
    done = build("--bundle", str(lonely))
    assert done.returncode == 2 and "the artifact and its manifest" in done.stderr and "m.pte.json" in done.stderr
    assert build("--frobnicate").returncode == 2
