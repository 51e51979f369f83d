package org.cloformer.bench.core;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/** Test doubles: a manifest on disk, a runner that returns logits, a platform, a clock that ticks. */
final class Fakes {
    private Fakes() {}

    static final String FIXTURE = "tests/fixtures/manifests/cloformer_xxs_64x64_executorch_xnnpack_fp32.pte";

    /** A manifest cloformer-export wrote (tests/fixtures/manifests, checked against the exporter and the
     * schema by tests/test_fixtures.py), for a stand-in artifact: its name and digest. */
    static JSONObject manifestJson(File artifact, String sha256) throws IOException, JSONException {
        return shared(FIXTURE + ".json").put("sha256", sha256).put("artifact", artifact.getName());
    }

    /** A JSON file shared with the Python side, by its path in the repository. */
    static JSONObject shared(String path) throws IOException, JSONException {
        return new JSONObject(new String(Files.readAllBytes(new File(repository(), path).toPath()),
                StandardCharsets.UTF_8));
    }

    /** The repository's root: -Dcloformer.root (scripts/test_core.sh), else the first folder up from the
     * working directory (Gradle runs tests in android_app/app) that holds export/contracts/protocol.json. */
    static File repository() {
        String given = System.getProperty("cloformer.root");
        if (given != null) {
            return new File(given);
        }
        for (File dir = new File(System.getProperty("user.dir")).getAbsoluteFile(); dir != null;
                dir = dir.getParentFile()) {
            if (new File(dir, "export/contracts/protocol.json").isFile()) {
                return dir;
            }
        }
        throw new IllegalStateException("run the tests inside the cloformer repository, or pass -Dcloformer.root");
    }

    /** An artifact file, its manifest and its check bundle (the real one of the fixture), as
     * cloformer-export leaves them. */
    static File artifact(File dir, String name) throws Exception {
        File artifact = new File(dir, name);
        Files.write(artifact.toPath(), "not really a model".getBytes(StandardCharsets.UTF_8));
        String sha = BenchmarkJob.sha256(artifact);
        JSONObject manifest = manifestJson(artifact, sha);
        File bundle = new File(dir, manifest.getJSONObject("check").getString("bundle"));
        if (bundle.mkdir()) {
            File[] files = new File(repository(), FIXTURE + ".check").listFiles();
            for (File file : files) {
                Files.copy(file.toPath(), new File(bundle, file.getName()).toPath());
            }
        }
        Files.write(Manifest.pathFor(artifact).toPath(), manifest.toString(1).getBytes(StandardCharsets.UTF_8));
        return artifact;
    }

    static void rewriteManifest(File artifact, String key, Object value) throws IOException, JSONException {
        File path = Manifest.pathFor(artifact);
        JSONObject json = new JSONObject(new String(Files.readAllBytes(path.toPath()), StandardCharsets.UTF_8));
        json.put(key, value);
        Files.write(path.toPath(), json.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Returns the check bundle's expected outputs for its inputs, scaled by 1 + perturbation (a wrong
     * delegate), and zeros of `outputs` values for any other input. */
    static final class FakeRunner implements Runner {
        final int outputs;
        int calls;
        boolean closed;
        String failOnLoad;
        double perturbation;
        String runtime = "executorch";
        String qnnRuntime; // the QNN runtime it carries (null: none, as ExecuTorch's XNNPACK)
        String backendAsked;
        private Check.Bundle bundle;

        FakeRunner(int outputs) {
            this.outputs = outputs;
        }

        FakeRunner(int outputs, double perturbation) {
            this(outputs);
            this.perturbation = perturbation;
        }

        @Override
        public String runtime() {
            return runtime;
        }

        @Override
        public String qnnRuntimeVersion() {
            return qnnRuntime;
        }

        @Override
        public String version() {
            return "1.5.1";
        }

        @Override
        public String backend() {
            return backendAsked != null ? backendAsked : "xnnpack";
        }

        @Override
        public void load(File artifact, Manifest manifest, int threads) throws BenchmarkException {
            if (failOnLoad != null) {
                throw new BenchmarkException(failOnLoad);
            }
            bundle = Check.read(artifact, manifest);
        }

        @Override
        public float[] run(float[] input) {
            calls++;
            for (Check.Case c : bundle.cases) {
                if (outputs == c.expected.length && java.util.Arrays.equals(input, c.input)) {
                    float[] out = new float[outputs];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = (float) (c.expected[i] * (1 + perturbation));
                    }
                    return out;
                }
            }
            return new float[outputs];
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    static Runner.Factory factory(final FakeRunner runner) {
        return (runtime, backend) -> {
            if ("onnxruntime".equals(runtime) || "litert".equals(runtime)) { // as Runners says of one a build lacks
                throw new BenchmarkException(runtime + " is not in this build of the app (a fake: ExecuTorch only)");
            }
            if (!"executorch".equals(runtime)) {
                throw new BenchmarkException("unknown runtime " + runtime
                        + "; choose executorch, onnxruntime or litert");
            }
            return runner;
        };
    }

    /** A factory that makes `runner` for any runtime, remembering the backend asked for. */
    static Runner.Factory anyRuntime(final FakeRunner runner) {
        return (runtime, backend) -> {
            runner.runtime = runtime;
            runner.backendAsked = backend;
            return runner;
        };
    }

    static final Platform PLATFORM = platform(null);

    static Platform platform(final String serial) {
        return platform(serial, "x86_64");
    }

    /** `soc` as the app's device.soc: "QTI SM8650" (maker and model, API 31+) or one word (Build.HARDWARE). */
    static Platform platform(final String serial, final String soc) {
        return new Platform() {
            @Override
            public JSONObject device() {
                try {
                    return new JSONObject().put("kind", "android").put("model", "JVM test").put("os", "Linux")
                            .put("soc", soc).put("cores", 2).put("serial", serial == null ? JSONObject.NULL : serial);
                } catch (JSONException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public String toolVersion() {
                return "test";
            }

            @Override
            public Double pssMb() {
                return null;
            }
        };
    }

    /** Every call to nanoTime advances `step` ns: each inference "takes" a known time, sleeps are free. */
    static final class TickingClock implements Protocol.Clock {
        long now;
        final long step;
        long slept;

        TickingClock(long step) {
            this.step = step;
        }

        @Override
        public long nanoTime() {
            now += step;
            return now;
        }

        @Override
        public void sleep(long millis) {
            slept += millis;
        }
    }

    static final Protocol.Progress NO_PROGRESS = (done, total) -> { };
}
