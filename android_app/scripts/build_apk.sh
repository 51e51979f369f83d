#!/usr/bin/env bash
# A signed arm64 debug APK without Android Studio or Google Maven: the app compiled against a real
# android.jar and the real ExecuTorch / ONNX Runtime Java classes, dexed, packaged with ExecuTorch's
# native libraries, aligned and signed. Inputs come from Debian and npm (inputs.sh); the Gradle
# build (README) stays the reference build. Output: android_app/build/cloformer-bench.apk
#
#   scripts/build_apk.sh [--bundle ARTIFACT]   # ARTIFACT (+ its .json manifest and .check bundle) goes into assets/models
#
# What this APK holds and why (README "Hand-built APK"):
#   ExecuTorch  classes + libexecutorch.so (XNNPACK) from npm react-native-executorch 0.8.5, the newest
#               whose Java classes dx can read (0.9.x ships Java 11 class files); libfbjni.so and
#               libc++_shared.so from npm react-native 0.70.15; fbjni/SoLoader Java classes: ../handbuilt.
#   ONNX Runtime compiled against (npm com.github.asus4.onnxruntime 0.4.9 = ORT 1.29.0) but not shipped:
#               its classes are Java 17 (invokedynamic, nest-mate private access) and dx, the only dexer
#               here, neither reads nor desugars them; the app then reports "not in this build".
#   LiteRT      compiled against stand-ins of its API (../handbuilt/litert-api), not shipped: no reachable
#               registry has its Android classes or liblitert_jni.so; the app reports "not in this build".
source "$(dirname "$0")/inputs.sh"
BUNDLE=""
while [ $# -gt 0 ]; do
  case $1 in
    --bundle) BUNDLE=${2:?--bundle needs an artifact path}; shift 2 ;;
    *) echo "usage: $0 [--bundle ARTIFACT]" >&2; exit 2 ;;
  esac
done
if [ -n "$BUNDLE" ] && { [ ! -f "$BUNDLE" ] || [ ! -f "$BUNDLE.json" ]; }; then
  echo "error: --bundle $BUNDLE: the artifact and its manifest ($BUNDLE.json) must both exist" >&2; exit 2
fi
command -v javac >/dev/null || die "javac not found: install a JDK 17 (apt-get install openjdk-17-jdk-headless)"

deb bullseye libandroid-23-java dalvik-exchange
deb host aapt android-libaapt android-libandroidfw android-libutils android-libcutils android-liblog \
  android-libbase android-libziparchive android-libbacktrace android-libunwind libzopfli1 libprotobuf-lite32 \
  zipalign apksigner libapksig-java p7zip p7zip-full \
  dexdump android-libart android-libnativeloader android-libnativebridge
ET=$(npm_pkg react-native-executorch@0.8.5)
RN=$(npm_pkg react-native@0.70.15)
ORT=$(npm_pkg com.github.asus4.onnxruntime@0.4.9)

export LD_LIBRARY_PATH="$ROOT/usr/lib/x86_64-linux-gnu/android:$ROOT/usr/lib/x86_64-linux-gnu:$ROOT/usr/lib:$ROOT/usr/lib/p7zip${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
ANDROID_JAR="$ROOT/usr/share/maven-repo/com/android/android/23/android-23.jar"
AAPT="$ROOT/usr/bin/aapt"
dx() { java -jar "$ROOT/usr/share/java/com.android.dx.jar" "$@" 2>/dev/null || java -cp "$(ls "$ROOT"/usr/share/maven-repo/com/android/dx/*/dx-*.jar | head -1)" com.android.dx.command.Main "$@"; }
apksigner() { java -jar "$JARS/apksigner.jar" "$@"; }

WORK="$APP_DIR/build/apk"
rm -rf "$WORK" && mkdir -p "$WORK"/{gen,classes,stage/lib/arm64-v8a,assets/models,ort}
cd "$WORK"

# The manifest with its package (Gradle takes it from `namespace`) and the version from app/build.gradle.
VERSION=$(sed -n "s/^ *versionName '\(.*\)'/\1/p" "$APP_DIR/app/build.gradle")
sed 's#<manifest xmlns:android="http://schemas.android.com/apk/res/android">#<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="org.cloformer.bench" android:versionCode="1" android:versionName="'"$VERSION"'">#' \
  "$APP_DIR/app/src/main/AndroidManifest.xml" > AndroidManifest.xml
grep -q 'package="org.cloformer.bench"' AndroidManifest.xml || die "could not set the package in AndroidManifest.xml"
SDK=(--min-sdk-version 26 --target-sdk-version 26)
"$AAPT" package -f -m -J gen -M AndroidManifest.xml -S "$APP_DIR/app/src/main/res" -I "$ANDROID_JAR" "${SDK[@]}"

# BuildConfig as Gradle generates it, with the versions this APK actually ships.
mkdir -p gen/org/cloformer/bench
cat > gen/org/cloformer/bench/BuildConfig.java <<JAVA
package org.cloformer.bench;

/** Written by android_app/scripts/build_apk.sh (Gradle generates its own). */
public final class BuildConfig {
    public static final String VERSION_NAME = "$VERSION-handbuilt";
    public static final String EXECUTORCH_VERSION = "react-native-executorch-0.8.5";
    public static final String ONNXRUNTIME_VERSION = "not shipped";
    public static final String LITERT_VERSION = "not shipped";
    public static final String QNN_RUNTIME_VERSION = "not shipped";
}
JAVA

unzip -q -o "$ORT/Plugins/Android/onnxruntime.aar" classes.jar -d ort
ET_JAR="$ET/android/libs/classes.jar"
mkdir -p litert-api
javac -nowarn -source 8 -target 8 -bootclasspath "$ANDROID_JAR" -encoding UTF-8 -d litert-api \
  $(find "$APP_DIR/handbuilt/litert-api" -name '*.java') 2>&1 | grep -v '^warning: \[options\]' || true
javac -nowarn -source 8 -target 8 -bootclasspath "$ANDROID_JAR" -encoding UTF-8 -d classes \
  -cp "$ET_JAR:ort/classes.jar:litert-api" \
  $(find "$APP_DIR/app/src/main/java" "$APP_DIR/handbuilt/java" gen -name '*.java') 2>&1 | grep -v '^warning: \[options\]' || true
[ -f classes/org/cloformer/bench/BenchmarkActivity.class ] || die "javac failed (above)"
[ -f classes/org/cloformer/bench/runners/LiteRtRunner.class ] || die "javac failed on the LiteRT runner (above)"

mkdir -p dexin && cp -r classes/. dexin/ && (cd dexin && unzip -q -o "$ET_JAR" 'org/pytorch/executorch/*')
rm -rf dexin/ai  # ONNX Runtime: compiled against, not shipped (header)
[ ! -e dexin/com/google ] || die "LiteRT's compile-only stand-ins reached the dex input"
dx --dex --min-sdk-version=26 --output=stage/classes.dex dexin

# ART's own dex reader (dexdump runs its DexFileVerifier) must accept the file; and no invoke-custom:
# dx passes invokedynamic (lambdas) through as invoke-custom, which Android cannot link (no LambdaMetafactory).
DEXDUMP="$ROOT/usr/bin/dexdump"
"$DEXDUMP" -c stage/classes.dex 2>&1 | grep -q "Checksum verified" || die "dexdump rejects classes.dex"
dump=$("$DEXDUMP" -d stage/classes.dex 2>/dev/null) || die "ART's dex verifier (dexdump) rejects classes.dex"
custom=$(grep -c "invoke-custom" <<< "$dump" || true)
[ "$custom" = 0 ] || die "$custom invoke-custom instructions in classes.dex (a lambda or method reference?): Android cannot run them"
echo "classes.dex: accepted by ART's dex verifier (dexdump), $(grep -c 'Class descriptor' <<< "$dump") classes, 0 invoke-custom"

cp "$ET/third-party/android/libs/executorch/arm64-v8a/libexecutorch.so" stage/lib/arm64-v8a/
unzip -q -o -j "$RN/android/com/facebook/react/react-native/0.70.15/react-native-0.70.15-release.aar" \
  jni/arm64-v8a/libfbjni.so jni/arm64-v8a/libc++_shared.so -d stage/lib/arm64-v8a
if [ -n "$BUNDLE" ]; then cp -r "$BUNDLE" "$BUNDLE.json" assets/models/ && { [ ! -d "$BUNDLE.check" ] || cp -r "$BUNDLE.check" assets/models/; }; fi

"$AAPT" package -f -M AndroidManifest.xml -S "$APP_DIR/app/src/main/res" -A assets -I "$ANDROID_JAR" "${SDK[@]}" \
  -F unsigned.apk
(cd stage && "$AAPT" add -v ../unsigned.apk classes.dex lib/arm64-v8a/*.so >/dev/null)
"$ROOT/usr/bin/zipalign" -p -f 4 unsigned.apk aligned.apk

KEYSTORE="$CACHE/debug.keystore"  # a debug key as Android Studio makes one (kept: reinstalls keep their data)
[ -f "$KEYSTORE" ] || keytool -genkeypair -keystore "$KEYSTORE" -storepass android -keypass android \
  -alias androiddebugkey -keyalg RSA -keysize 2048 -validity 10000 -dname "CN=Android Debug,O=Android,C=US" >/dev/null 2>&1
apksigner sign --ks "$KEYSTORE" --ks-pass pass:android --key-pass pass:android --out signed.apk aligned.apk
apksigner verify signed.apk || die "apksigner verify rejected the APK"

OUT="$APP_DIR/build/cloformer-bench.apk"
mv -f signed.apk "$OUT.tmp" && mv -f "$OUT.tmp" "$OUT"
echo "built $OUT ($(du -k "$OUT" | cut -f1) KB)"
"$AAPT" dump badging "$OUT" | grep -E "^(package|sdkVersion|targetSdkVersion|launchable-activity|native-code)"
unzip -l "$OUT" | grep -E "classes.dex|\.so$|assets/"
