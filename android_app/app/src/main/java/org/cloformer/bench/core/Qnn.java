package org.cloformer.bench.core;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a QNN context model (cloformer-export --target qnn: an .onnx whose graph is one binary compiled
 * for one Snapdragon SoC) needs before it loads. It runs only on ONNX Runtime's QNN execution provider;
 * the QNN runtime this app ships must be at least as new as the SDK that compiled it (the EP refuses a
 * binary from a newer one); and the phone's SoC must be the one it was compiled for (on another, the
 * binary is not what was exported and checked, even where the EP would still run it).
 */
public final class Qnn {
    /** OrtRunner's name for the QNN execution provider: the backend a QNN context model's manifest names
     * (`apps.android.backend`, from the qnn target). */
    public static final String BACKEND = "qnn";
    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)");

    private Qnn() {}

    /**
     * Refuse a QNN context model this runner or this phone would not run as compiled, with the reason and the fix.
     *
     * @param deviceSoc the result's device.soc: "QTI SM8650" (Build.SOC_MANUFACTURER + SOC_MODEL, API 31+), or one
     *                  word (Build.HARDWARE) where the model is unknown: then the EP's own check decides at load
     */
    public static void check(Manifest manifest, Runner runner, String deviceSoc) throws BenchmarkException {
        Manifest.QnnContext qnn = manifest.qnn;
        if (qnn == null) {
            return;
        }
        String runtime = runner.qnnRuntimeVersion();
        if (runtime == null) {
            throw new BenchmarkException("this artifact is a QNN context model for " + qnn.soc + " (" + qnn.socName
                    + "), which only ONNX Runtime's QNN execution provider runs; " + runner.runtime() + " "
                    + runner.backend() + " cannot: run it with backend " + BACKEND);
        }
        if (compare(runtime, qnn.sdkVersion) < 0) {
            throw new BenchmarkException("the QNN context was compiled by QNN SDK " + qnn.sdkVersion + "; this app's QNN "
                    + "runtime is " + runtime + ", older, and cannot load it: build the app with qnn-runtime >= "
                    + shortVersion(qnn.sdkVersion) + " (android_app/gradle/libs.versions.toml), or re-export with an "
                    + "onnxruntime-qnn whose QNN SDK is no newer than " + shortVersion(runtime));
        }
        String[] words = deviceSoc == null ? new String[0] : deviceSoc.trim().split("\\s+");
        if (words.length >= 2) { // "<maker> <model>"; one word is Build.HARDWARE, which names no SoC model
            String model = words[words.length - 1];
            boolean qualcomm = words[0].equals("QTI") || words[0].startsWith("Qualcomm");
            if (!qualcomm || !model.equalsIgnoreCase(qnn.soc)) {
                throw new BenchmarkException("the QNN context was compiled for " + qnn.soc + " (" + qnn.socName
                        + "); this phone's SoC is " + deviceSoc.trim() + (qualcomm
                        ? ": re-export it for this phone with cloformer-export --target qnn --soc " + model
                        : ", not a Snapdragon: QNN context models run on Snapdragon phones only"));
            }
        }
    }

    /** Orders QNN versions ("2.51.0", "v2.51.0.260929181845") by major.minor: the part that decides whether a
     * runtime loads a binary (the EP compares the backend API's major.minor; point releases share it). */
    static int compare(String a, String b) throws BenchmarkException {
        int[] x = majorMinor(a);
        int[] y = majorMinor(b);
        return x[0] != y[0] ? Integer.compare(x[0], y[0]) : Integer.compare(x[1], y[1]);
    }

    private static String shortVersion(String version) throws BenchmarkException {
        int[] v = majorMinor(version);
        return v[0] + "." + v[1];
    }

    private static int[] majorMinor(String version) throws BenchmarkException {
        Matcher m = VERSION.matcher(version == null ? "" : version);
        if (!m.find()) {
            throw new BenchmarkException("QNN version '" + version + "' is not major.minor[.patch]; re-export the "
                    + "artifact with cloformer-export --target qnn");
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }
}
