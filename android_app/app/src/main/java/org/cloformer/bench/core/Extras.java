package org.cloformer.bench.core;

import java.io.File;
import java.util.Map;

/**
 * The headless run's intent extras, read from a plain map (Android's Bundle, copied): the names
 * `cloformer-bench android` (runtime_bench/platforms/android.py) sends. Their table, with types and defaults,
 * is in android_app/README.md ("Headless runs"); tests/android_app checks both sides agree.
 */
public final class Extras {
    public static final int DEFAULT_THREADS = 4;
    private static final String RUN_ID = "[A-Za-z0-9._-]+";

    public final BenchmarkJob.Request request;
    public final String runId;
    public final String serial;
    public final String outputDir;

    private Extras(BenchmarkJob.Request request, String runId, String serial, String outputDir) {
        this.request = request;
        this.runId = runId;
        this.serial = serial;
        this.outputDir = outputDir;
    }

    /** Parse the extras; a missing artifact or a value of the wrong type or range names the extra and the fix. */
    public static Extras parse(Map<String, Object> extras, String defaultRunId) throws BenchmarkException {
        String artifact = string(extras, "artifact");
        if (artifact == null || artifact.isEmpty()) {
            throw new BenchmarkException("no artifact: start the app with --es artifact /data/local/tmp/cloformer/<file>");
        }
        Protocol defaults = Protocol.defaults();
        Protocol protocol;
        try {
            Double sustained = extras.containsKey("sustained_seconds") ? number(extras, "sustained_seconds") : null;
            protocol = new Protocol(integer(extras, "warmup", defaults.warmup), integer(extras, "rounds", defaults.rounds),
                    integer(extras, "iterations", defaults.iterations), defaults.trim, sustained,
                    extras.containsKey("cooldown_seconds") ? number(extras, "cooldown_seconds") : 0.0);
        } catch (IllegalArgumentException e) {
            throw new BenchmarkException(e.getMessage());
        }
        String runId = string(extras, "run_id");
        if (runId != null && !runId.matches(RUN_ID)) {
            throw new BenchmarkException("run_id '" + runId + "' must be letters, digits, '.', '_' or '-' (it names a file)");
        }
        BenchmarkJob.Request request = new BenchmarkJob.Request(new File(artifact), string(extras, "runtime"),
                string(extras, "backend"), integer(extras, "threads", DEFAULT_THREADS), protocol);
        return new Extras(request, runId == null ? defaultRunId : runId, string(extras, "serial"),
                string(extras, "output_dir"));
    }

    /**
     * The run_id to name the result by even when other extras are wrong, so the caller waiting for
     * &lt;run_id&gt;.json receives the failure; the fallback when it is missing or not a file name.
     */
    public static String runIdOr(Map<String, Object> extras, String fallback) {
        String runId = string(extras, "run_id");
        return runId != null && runId.matches(RUN_ID) ? runId : fallback;
    }

    private static String string(Map<String, Object> extras, String name) {
        Object value = extras.get(name);
        return value == null ? null : value.toString();
    }

    private static int integer(Map<String, Object> extras, String name, int fallback) throws BenchmarkException {
        Object value = extras.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            return value instanceof Number ? ((Number) value).intValue() : Integer.parseInt(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new BenchmarkException("extra " + name + "='" + value + "' is not an integer: pass it with --ei " + name + " N");
        }
    }

    private static double number(Map<String, Object> extras, String name) throws BenchmarkException {
        Object value = extras.get(name);
        try {
            return value instanceof Number ? ((Number) value).doubleValue() : Double.parseDouble(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new BenchmarkException("extra " + name + "='" + value + "' is not a number: pass it with --ef " + name + " X");
        }
    }
}
