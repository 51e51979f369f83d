package org.cloformer.bench.core;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TimeZone;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/** One benchmark result as export/contracts/result.schema.json defines it (schema_version 1). */
public final class Result {
    public static final int SCHEMA_VERSION = 1;
    public static final String TOOL = "android_app";

    private Result() {}

    /**
     * What was run and where, with everything a failed run knows: a measurement then fills in the rest
     * (`measured`), a failure leaves it null and says why (`fail`).
     */
    public static JSONObject start(Platform platform, String artifactPath, String runtime, String backend,
                                   String runtimeVersion, Integer threads, Protocol protocol) throws JSONException {
        JSONObject result = new JSONObject();
        result.put("schema_version", SCHEMA_VERSION);
        SimpleDateFormat iso = new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss'Z'", Locale.ROOT);
        iso.setTimeZone(TimeZone.getTimeZone("UTC"));
        result.put("created", iso.format(new Date()));
        result.put("tool", new JSONObject().put("name", TOOL).put("version", platform.toolVersion()));
        result.put("device", platform.device());
        result.put("runtime", new JSONObject().put("name", runtime).put("version", runtimeVersion)
                .put("backend", backend).put("threads", threads == null ? JSONObject.NULL : threads));
        result.put("model", JSONObject.NULL);
        result.put("artifact", new JSONObject().put("path", artifactPath == null ? JSONObject.NULL : artifactPath)
                .put("sha256", JSONObject.NULL));
        result.put("input_shape", JSONObject.NULL);
        result.put("precision", JSONObject.NULL);
        result.put("protocol", new JSONObject().put("warmup", protocol.warmup).put("rounds", protocol.rounds)
                .put("iterations", protocol.iterations).put("trim", protocol.trim)
                .put("sustained_seconds", protocol.sustainedSeconds == null ? JSONObject.NULL : protocol.sustainedSeconds)
                .put("cooldown_seconds", protocol.cooldownSeconds));
        result.put("load_ms", JSONObject.NULL);
        result.put("first_ms", JSONObject.NULL);
        result.put("latencies_ms", new JSONArray());
        result.put("stats", JSONObject.NULL);
        result.put("memory", new JSONObject().put("peak_rss_mb", JSONObject.NULL).put("pss_mb", JSONObject.NULL));
        result.put("sustained", JSONObject.NULL);
        result.put("check", Check.absentResult("the artifact did not run"));
        result.put("valid", false);
        result.put("invalid_reasons", new JSONArray());
        return result;
    }

    /** The artifact's identity from its manifest. */
    public static void describe(JSONObject result, Manifest manifest) throws JSONException {
        result.put("model", manifest.model);
        result.getJSONObject("artifact").put("sha256", manifest.sha256);
        JSONArray shape = new JSONArray();
        for (long d : manifest.inputShape) {
            shape.put(d);
        }
        result.put("input_shape", shape);
        result.put("precision", manifest.precision);
    }

    public static void measured(JSONObject result, double loadMs, Protocol.Measurement m, double trim, Double peakRssMb,
                                Double pssMb) throws JSONException {
        result.put("load_ms", loadMs);
        result.put("first_ms", m.firstMs);
        JSONArray latencies = new JSONArray();
        for (double v : m.latenciesMs) {
            latencies.put(v);
        }
        result.put("latencies_ms", latencies);
        JSONObject stats = new JSONObject();
        for (Map.Entry<String, Double> e : Stats.summarize(m.latenciesMs, trim).entrySet()) {
            stats.put(e.getKey(), e.getValue());
        }
        result.put("stats", stats);
        result.put("memory", new JSONObject().put("peak_rss_mb", peakRssMb == null ? JSONObject.NULL : peakRssMb)
                .put("pss_mb", pssMb == null ? JSONObject.NULL : pssMb));
        if (m.sustained != null) {
            JSONArray rows = new JSONArray();
            for (Stats.Interval i : m.sustained.intervals) {
                rows.put(new JSONObject().put("start_seconds", i.startSeconds).put("median_ms", i.medianMs)
                        .put("count", i.count));
            }
            result.put("sustained", new JSONObject().put("interval_seconds", m.sustained.intervalSeconds)
                    .put("intervals", rows).put("drift", m.sustained.drift));
        }
        List<String> reasons = m.invalidReasons();
        result.put("invalid_reasons", new JSONArray(reasons));
        result.put("valid", reasons.isEmpty());
    }

    /** A measured run that must not count (its outputs failed the check): the reason goes first. */
    public static void invalidate(JSONObject result, String reason) throws JSONException {
        JSONArray reasons = new JSONArray().put(reason);
        JSONArray earlier = result.getJSONArray("invalid_reasons");
        for (int i = 0; i < earlier.length(); i++) {
            reasons.put(earlier.get(i));
        }
        result.put("invalid_reasons", reasons);
        result.put("valid", false);
    }

    /** A run that could not be measured: no figures, the reason. */
    public static void fail(JSONObject result, String reason) throws JSONException {
        result.put("load_ms", JSONObject.NULL);
        result.put("first_ms", JSONObject.NULL);
        result.put("latencies_ms", new JSONArray());
        result.put("stats", JSONObject.NULL);
        result.put("sustained", JSONObject.NULL);
        result.put("valid", false);
        result.put("invalid_reasons", new JSONArray().put(reason));
    }

    /** A run refused before anything about it was known (bad extras): the request as given, the reason. */
    public static JSONObject failed(Platform platform, String artifactPath, String reason) throws JSONException {
        JSONObject result = start(platform, artifactPath, "unknown", "default", "unknown", null, Protocol.defaults());
        fail(result, reason);
        return result;
    }

    /** Write atomically (a temp name in the same folder, then rename): a reader never sees half a file. */
    public static File write(JSONObject result, File directory, String name) throws IOException {
        if (!directory.isDirectory() && !directory.mkdirs()) {
            throw new IOException("cannot create " + directory);
        }
        File target = new File(directory, name.endsWith(".json") ? name : name + ".json");
        File temp = new File(directory, "." + target.getName() + ".tmp");
        try (FileOutputStream out = new FileOutputStream(temp)) {
            out.write((result.toString(1) + "\n").getBytes(StandardCharsets.UTF_8));
            out.getFD().sync();
        } catch (IOException | JSONException e) {
            temp.delete();
            throw new IOException("cannot write " + target + ": " + e.getMessage(), e);
        }
        if (!temp.renameTo(target)) {
            temp.delete();
            throw new IOException("cannot rename " + temp + " to " + target);
        }
        return target;
    }
}
