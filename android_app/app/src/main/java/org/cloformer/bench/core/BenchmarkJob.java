package org.cloformer.bench.core;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Random;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * One benchmark: read the manifest, check the artifact against it, load, measure with the protocol,
 * and return the result. Never throws: whatever goes wrong becomes a result with valid=false and
 * the reason, so a headless run always leaves a file to collect.
 */
public final class BenchmarkJob {
    /** What to run, as the intent extras (or the UI) say. Null runtime/backend: from the artifact's manifest. */
    public static final class Request {
        public final File artifact;
        public final String runtime;
        public final String backend;
        public final int threads;
        public final Protocol protocol;

        public Request(File artifact, String runtime, String backend, int threads, Protocol protocol) {
            this.artifact = artifact;
            this.runtime = runtime;
            this.backend = backend;
            this.threads = threads;
            this.protocol = protocol;
        }
    }

    private BenchmarkJob() {}

    public static JSONObject run(Request request, Runner.Factory runners, Platform platform, Protocol.Clock clock,
                                 Protocol.Progress progress) {
        JSONObject result;
        try {
            result = Result.start(platform, request.artifact.getPath(),
                    request.runtime != null ? request.runtime : "unknown",
                    request.backend == null ? "default" : request.backend, "unknown", request.threads,
                    request.protocol);
        } catch (JSONException e) {
            throw new IllegalStateException(e); // only non-finite numbers break org.json; none are put here
        }
        Runner runner = null;
        try {
            if (request.threads < 1) {
                throw new BenchmarkException("threads " + request.threads + " must be at least 1");
            }
            if (!request.artifact.canRead()) {
                throw new BenchmarkException(request.artifact + ": missing or unreadable; push it first "
                        + "(adb push <artifact> " + request.artifact + ")");
            }
            Manifest manifest = Manifest.read(request.artifact);
            Result.describe(result, manifest);
            String sha = sha256(request.artifact);
            if (!sha.equals(manifest.sha256)) {
                throw new BenchmarkException(request.artifact + ": sha256 " + sha.substring(0, 12) + "… differs from its "
                        + "manifest's " + manifest.sha256.substring(0, Math.min(12, manifest.sha256.length()))
                        + "…; push the artifact and the manifest from the same export");
            }
            runner = runners.create(manifest.runnerFor(request.runtime), manifest.backendFor(request.backend));
            JSONObject rt = result.getJSONObject("runtime");
            rt.put("name", runner.runtime()).put("version", runner.version());
            Qnn.check(manifest, runner, platform.device().optString("soc", null));
            // The check bundle before the (slow) load: a damaged one fails the run, a missing one is "absent".
            Check.Bundle bundle = Check.read(request.artifact, manifest);
            platform.resetPeakRss();
            long start = clock.nanoTime();
            runner.load(request.artifact, manifest, request.threads);
            double loadMs = (clock.nanoTime() - start) / 1e6;
            rt.put("backend", runner.backend());
            // Before timing: outputs of the bundle's inputs against the reference (a delegate bug, an old
            // runtime or fp16 overflow computes something else, and its latency would mean nothing).
            JSONObject check = Check.run(bundle, runner, (int) manifest.inputShape[0]);
            result.put("check", check);
            float[] input = randomInput(manifest);
            checkOutput(runner.run(input), manifest);
            final Runner loaded = runner;
            Protocol.Measurement m = request.protocol.measure(new Protocol.Call() {
                @Override
                public void run() throws Exception {
                    loaded.run(input);
                }
            }, clock, progress);
            Result.measured(result, loadMs, m, request.protocol.trim, platform.peakRssMb(), platform.pssMb());
            if ("fail".equals(check.getString("status"))) { // invalid, its latency kept
                Result.invalidate(result, Check.FAILED + check.getString("reason"));
            }
        } catch (BenchmarkException e) {
            failQuietly(result, e.getMessage());
        } catch (Exception | LinkageError e) {
            // A runtime's own failure (native error, missing class): still a result, with what it said.
            failQuietly(result, e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            if (runner != null) {
                runner.close();
            }
        }
        return result;
    }

    /** The manifest's batch x num_classes logits, or the model and its manifest disagree. */
    static void checkOutput(float[] logits, Manifest manifest) throws BenchmarkException {
        long expected = manifest.inputShape[0] * manifest.numClasses;
        if (logits.length != expected) {
            throw new BenchmarkException(String.format(Locale.ROOT, "the model returned %d values, its manifest "
                    + "promises %d (batch x num_classes): push the manifest written with this artifact",
                    logits.length, expected));
        }
    }

    /** Seeded N(0, 1) input: latency does not depend on pixel values, and every run times the same tensor. */
    static float[] randomInput(Manifest manifest) {
        Random random = new Random(0);
        float[] input = new float[(int) manifest.inputSize()];
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) random.nextGaussian();
        }
        return input;
    }

    public static String sha256(File file) throws BenchmarkException {
        try (InputStream in = new FileInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            StringBuilder hex = new StringBuilder();
            for (byte b : digest.digest()) {
                hex.append(String.format(Locale.ROOT, "%02x", b));
            }
            return hex.toString();
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new BenchmarkException(file + ": cannot read it (" + e.getMessage() + ")");
        }
    }

    private static void failQuietly(JSONObject result, String reason) {
        try {
            Result.fail(result, reason == null ? "unknown error" : reason);
        } catch (JSONException e) {
            throw new IllegalStateException(e);
        }
    }
}
