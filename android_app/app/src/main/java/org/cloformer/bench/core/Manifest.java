package org.cloformer.bench.core;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/** The export manifest written beside every artifact (`<artifact>.json`): what the app needs of it. */
public final class Manifest {
    /** The manifest schema_version this app reads (export/contracts/manifest.schema.json). */
    public static final int SCHEMA_VERSION = 2;
    /** This app's entry in the manifest's `apps`: the platform name cloformer-bench gives it. */
    public static final String APP = "android";

    public final String model;
    public final String target;
    /** The export backend (xnnpack, portable, qnn, coreml) or null (ONNX). */
    public final String backend;
    public final String precision;
    public final String sha256;
    public final long[] inputShape;
    public final int numClasses;
    public final float[] mean;
    public final float[] std;
    public final float scale;
    public final double cropFraction;
    /** The check bundle's section (bundle folder, tolerance, cases): read by {@link Check}. */
    public final JSONObject check;
    /** Class names in index order (cloformer-export --labels), or null: then classes show as indices. */
    public final String[] labels;
    /** The `qnn` section of a QNN context model (target qnn), or null. */
    public final QnnContext qnn;
    /** The runner that runs the artifact in this app (by the runtime's name: executorch, onnxruntime, litert), or
     * null when its manifest does not name this app. */
    public final String runner;
    /** The backend its target says the runner must use (e.g. qnn), or null: the runner's default. */
    public final String appBackend;
    /** The apps its manifest names, for the refusal. */
    private final String apps;

    /** What the QNN target records of the binary it compiled (export/targets/qnn.py). */
    public static final class QnnContext {
        /** The SoC it was compiled for, e.g. SM8650, and its marketing name. */
        public final String soc;
        public final String socName;
        /** The QNN SDK that compiled it, as the EPContext node records it, e.g. v2.51.0.260929181845. */
        public final String sdkVersion;
        /** The EP's compatibility string (model metadata ep_compatibility_info.QNNExecutionProvider). */
        public final String compatibility;

        QnnContext(JSONObject json) throws JSONException {
            soc = json.getString("soc");
            socName = json.getString("soc_name");
            sdkVersion = json.getString("ep_sdk_version");
            compatibility = json.getString("compatibility");
        }
    }

    private Manifest(JSONObject json) throws JSONException, BenchmarkException {
        int version = json.getInt("schema_version");
        if (version != SCHEMA_VERSION) {
            throw new BenchmarkException("manifest schema_version " + version + " is not " + SCHEMA_VERSION
                    + ", the version this app reads: re-export with the cloformer-export this app was built with, "
                    + "or install the app that matches it");
        }
        fileName("artifact", json.getString("artifact"));
        JSONObject section = json.getJSONObject("check");
        fileName("check.bundle", section.getString("bundle"));
        JSONArray cases = section.getJSONArray("cases");
        for (int i = 0; i < cases.length(); i++) {
            for (String role : new String[] {"input", "expected"}) {
                fileName("check.cases." + i + "." + role + ".file",
                        cases.getJSONObject(i).getJSONObject(role).getString("file"));
            }
        }
        JSONObject appsJson = json.getJSONObject("apps");
        apps = appsJson.length() == 0 ? "none" : joined(appsJson.names());
        JSONObject mine = appsJson.optJSONObject(APP);
        runner = mine == null ? null : mine.getString("runner");
        appBackend = mine == null || mine.isNull("backend") ? null : mine.getString("backend");
        model = json.getString("model");
        target = json.getString("target");
        backend = json.isNull("backend") ? null : json.getString("backend");
        precision = json.getString("precision");
        sha256 = json.getString("sha256");
        JSONArray shape = json.getJSONArray("input_shape");
        inputShape = new long[shape.length()];
        for (int i = 0; i < inputShape.length; i++) {
            inputShape[i] = shape.getLong(i);
        }
        numClasses = json.getInt("num_classes");
        JSONObject pre = json.getJSONObject("preprocessing");
        if (!"NCHW".equals(pre.getString("layout")) || !"RGB".equals(pre.getString("color"))) {
            throw new BenchmarkException("manifest preprocessing is " + pre.getString("layout") + " "
                    + pre.getString("color") + "; this app feeds NCHW RGB: re-export with cloformer-export");
        }
        mean = floats(pre.getJSONArray("mean"));
        std = floats(pre.getJSONArray("std"));
        scale = (float) pre.getDouble("scale");
        cropFraction = pre.optDouble("crop_fraction", 0.875);
        check = json.getJSONObject("check");
        qnn = json.has("qnn") ? new QnnContext(json.getJSONObject("qnn")) : null;
        JSONArray names = json.optJSONArray("labels");
        labels = names == null ? null : new String[names.length()];
        for (int i = 0; labels != null && i < labels.length; i++) {
            labels[i] = names.getString(i);
        }
        if (labels != null && labels.length != numClasses) {
            throw new BenchmarkException("manifest has " + labels.length + " labels for " + numClasses
                    + " classes; re-export with cloformer-export --labels");
        }
        if (inputShape.length != 4 || inputShape[1] != 3 || mean.length != 3 || std.length != 3) {
            throw new BenchmarkException("manifest input_shape " + java.util.Arrays.toString(inputShape)
                    + " is not (batch, 3, height, width) with 3 means and stds; re-export with cloformer-export");
        }
    }

    /** The runner this app runs the artifact with: the one asked for, else its manifest's. */
    public String runnerFor(String requested) throws BenchmarkException {
        if (requested != null) {
            return requested;
        }
        if (runner == null) {
            throw new BenchmarkException("its manifest names no runner for the Android app (apps: " + apps + "): "
                    + "this --target runs elsewhere; export one the app runs (cloformer-export --help)");
        }
        return runner;
    }

    /** The backend to run the artifact with: the one asked for, else the one its target names (null: the runner's default). */
    public String backendFor(String requested) {
        return requested != null ? requested : appBackend;
    }

    public int height() {
        return (int) inputShape[2];
    }

    public int width() {
        return (int) inputShape[3];
    }

    public long inputSize() {
        return inputShape[0] * inputShape[1] * inputShape[2] * inputShape[3];
    }

    /** Where cloformer-export writes an artifact's manifest. */
    public static File pathFor(File artifact) {
        return new File(artifact.getPath() + ".json");
    }

    public static Manifest parse(String text, String source) throws BenchmarkException {
        try {
            return new Manifest(new JSONObject(text));
        } catch (JSONException e) {
            throw new BenchmarkException(source + ": not a cloformer-export manifest (" + e.getMessage()
                    + "); push the .json that cloformer-export wrote beside the artifact");
        }
    }

    public static Manifest read(File artifact) throws BenchmarkException {
        File path = pathFor(artifact);
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        try (InputStream in = new FileInputStream(path)) {
            byte[] buffer = new byte[1 << 14];
            for (int n; (n = in.read(buffer)) > 0; ) {
                text.write(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new BenchmarkException(path + ": cannot read the manifest (" + e.getClass().getSimpleName()
                    + "); push it beside the artifact: adb push <artifact>.json " + path);
        }
        return parse(new String(text.toByteArray(), StandardCharsets.UTF_8), path.getPath());
    }

    /**
     * A name the app joins to the artifact's folder (artifact, check.bundle, the bundle's files) must be a plain file
     * name in that folder: not empty, no / or \, not . or .. (a manifest must never point outside its folder).
     */
    static void fileName(String field, String name) throws BenchmarkException {
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")) {
            throw new BenchmarkException("manifest field " + field + ": '" + name + "' is not a file name in the "
                    + "artifact's folder; re-export the artifact");
        }
    }

    private static String joined(JSONArray names) throws JSONException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < names.length(); i++) {
            text.append(i == 0 ? "" : ", ").append(names.getString(i));
        }
        return text.toString();
    }

    private static float[] floats(JSONArray array) throws JSONException {
        float[] values = new float[array.length()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) array.getDouble(i);
        }
        return values;
    }
}
