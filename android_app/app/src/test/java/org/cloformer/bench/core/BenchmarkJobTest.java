package org.cloformer.bench.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.file.Files;
import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class BenchmarkJobTest {
    @Rule
    public TemporaryFolder dir = new TemporaryFolder();

    private JSONObject run(File artifact, Fakes.FakeRunner runner) {
        BenchmarkJob.Request request = new BenchmarkJob.Request(artifact, null, null, 4, Protocol.defaults());
        return BenchmarkJob.run(request, Fakes.factory(runner), Fakes.PLATFORM, new Fakes.TickingClock(1_000_000),
                Fakes.NO_PROGRESS);
    }

    private static String reason(JSONObject result) throws Exception {
        assertFalse(result.getBoolean("valid"));
        assertTrue(result.isNull("stats"));
        assertEquals(0, result.getJSONArray("latencies_ms").length());
        return result.getJSONArray("invalid_reasons").getString(0);
    }

    @Test
    public void aMeasurementHasEveryField() throws Exception {
        Fakes.FakeRunner runner = new Fakes.FakeRunner(1000);
        JSONObject result = run(Fakes.artifact(dir.getRoot(), "m.pte"), runner);
        assertTrue(result.getJSONArray("invalid_reasons").toString(), result.getBoolean("valid"));
        assertEquals(50, result.getJSONArray("latencies_ms").length());
        assertEquals(2 + 1 + 1 + 10 + 50, runner.calls); // bundle check, output size, cold, warm-up, timed
        assertTrue(runner.closed);
        assertEquals("cloformer_xxs", result.getString("model"));
        assertEquals("xnnpack", result.getJSONObject("runtime").getString("backend"));
        assertEquals(4, result.getJSONObject("runtime").getInt("threads"));
        assertEquals(1.0, result.getJSONObject("stats").getDouble("median"), 1e-9);
    }

    @Test
    public void theOutputCheckPassesOnTheTrueOutputsAndFailsOnesOnePercentOff() throws Exception {
        JSONObject good = run(Fakes.artifact(dir.getRoot(), "m.pte"), new Fakes.FakeRunner(1000));
        JSONObject check = good.getJSONObject("check");
        assertEquals("pass", check.getString("status"));
        assertTrue(check.isNull("reason"));
        assertEquals(2, check.getJSONArray("cases").length());
        assertEquals("astronaut", check.getJSONArray("cases").getJSONObject(0).getString("name"));
        assertEquals(200.0, check.getJSONArray("cases").getJSONObject(0).getDouble("sqnr_db"), 0);
        assertEquals(1e-4, check.getJSONObject("tolerance").getDouble("max_abs_diff"), 0);

        JSONObject bad = run(Fakes.artifact(dir.newFolder(), "m.pte"), new Fakes.FakeRunner(1000, 0.01));
        assertFalse(bad.getBoolean("valid"));
        assertEquals(50, bad.getJSONArray("latencies_ms").length()); // the latency is kept
        assertEquals("fail", bad.getJSONObject("check").getString("status"));
        String why = bad.getJSONArray("invalid_reasons").getString(0);
        assertTrue(why, why.startsWith("outputs differ from the reference: astronaut max abs diff "));
        assertTrue(why, why.contains("dB < 47 dB"));
        JSONObject figures = bad.getJSONObject("check").getJSONArray("cases").getJSONObject(0);
        assertEquals(40.0, figures.getDouble("sqnr_db"), 0.5); // 1 % of the signal: 40 dB
        assertEquals(1.0, figures.getDouble("top5_agreement"), 0);
    }

    private static final String BUNDLE = "cloformer_xxs_64x64_executorch_xnnpack_fp32.pte.check";

    @Test
    public void anArtifactCopiedWithoutItsBundleFolderRunsWithCheckAbsent() throws Exception {
        File artifact = Fakes.artifact(dir.getRoot(), "m.pte");
        File bundle = new File(dir.getRoot(), BUNDLE);
        for (File file : bundle.listFiles()) {
            assertTrue(file.delete());
        }
        assertTrue(bundle.delete());
        JSONObject result = run(artifact, new Fakes.FakeRunner(1000));
        assertTrue(result.getJSONArray("invalid_reasons").toString(), result.getBoolean("valid"));
        JSONObject check = result.getJSONObject("check");
        assertEquals("absent", check.getString("status"));
        assertEquals(BUNDLE + " is missing: copy the artifact's .check folder beside it", check.getString("reason"));
    }

    /** What a test does to one file of the bundle. */
    private interface Edit {
        void apply(File path) throws Exception;
    }

    /** The bundle's folder is there, but `edit` made random.expected.npy something other than its manifest says
     * (`refit`: the manifest's sha256 then edited to fit the file; `shape`: its shape edited): the run's reason. */
    private String damaged(Edit edit, boolean refit, String shape) throws Exception {
        File root = dir.newFolder();
        File artifact = Fakes.artifact(root, "m.pte");
        File path = new File(new File(root, BUNDLE), "random.expected.npy");
        edit.apply(path);
        JSONObject check = Fakes.shared(Fakes.FIXTURE + ".json").getJSONObject("check");
        JSONObject spec = check.getJSONArray("cases").getJSONObject(1).getJSONObject("expected");
        if (refit) {
            spec.put("sha256", BenchmarkJob.sha256(path));
        }
        if (shape != null) {
            spec.put("shape", new JSONArray(shape));
        }
        Fakes.rewriteManifest(artifact, "check", check);
        Fakes.FakeRunner runner = new Fakes.FakeRunner(1000);
        JSONObject result = run(artifact, runner);
        assertEquals(0, runner.calls); // refused before anything ran
        assertTrue(runner.closed);
        assertEquals("cloformer_xxs", result.getString("model")); // what is known stays in the result
        return reason(result);
    }

    private static String damagedReason(String what) {
        return "the check bundle " + BUNDLE + " is damaged: random.expected.npy " + what + "; re-export the artifact, "
                + "or copy its .check folder again";
    }

    @Test
    public void aDamagedBundleFailsTheRunNamingTheFileAndWhatIsWrong() throws Exception {
        final byte[] other = Files.readAllBytes(new File(Fakes.repository(),
                Fakes.FIXTURE + ".check/astronaut.expected.npy").toPath());
        assertEquals(damagedReason("is missing"), damaged(path -> assertTrue(path.delete()), false, null));
        assertEquals(damagedReason("does not match its manifest's sha256"),
                damaged(path -> Files.write(path.toPath(), other), false, null));
        assertEquals(damagedReason("is not a .npy file (not a version 1 .npy file)"),
                damaged(path -> Files.write(path.toPath(), "not npy".getBytes("US-ASCII")), true, null));
        assertEquals(damagedReason("holds float32 [1, 1000], not float32 [1, 10]"),
                damaged(path -> { }, false, "[1, 10]"));
        byte[] header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1000), }".getBytes("US-ASCII");
        final byte[] float64 = new byte[10 + header.length + 8000];
        System.arraycopy(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length, 0}, 0, float64, 0,
                10);
        System.arraycopy(header, 0, float64, 10, header.length);
        assertEquals(damagedReason("holds float64 [1, 1000], not float32 [1, 1000]"),
                damaged(path -> Files.write(path.toPath(), float64), true, null));
    }

    @Test
    public void aNpyFileOtherThanFloat32IsRefused() throws Exception {
        byte[] header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }".getBytes("US-ASCII");
        byte[] bytes = new byte[10 + header.length + 16];
        System.arraycopy(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length, 0}, 0, bytes, 0, 10);
        System.arraycopy(header, 0, bytes, 10, header.length);
        try {
            Npy.parse(bytes, "x.npy");
            throw new AssertionError("parsed a float64 file");
        } catch (Npy.Invalid e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("x.npy: not little-endian float32 in C order"));
            assertEquals("float64", e.dtype); // what it holds, for the check's reason
            assertEquals("[2]", java.util.Arrays.toString(e.shape));
        }
    }

    @Test
    public void aMissingArtifactIsAFailedResultNotACrash() throws Exception {
        String why = reason(run(new File(dir.getRoot(), "nowhere.pte"), new Fakes.FakeRunner(1000)));
        assertTrue(why, why.contains("nowhere.pte: missing or unreadable; push it first"));
    }

    @Test
    public void anArtifactThatIsNotTheManifestsIsRefused() throws Exception {
        File artifact = Fakes.artifact(dir.getRoot(), "m.pte");
        Files.write(artifact.toPath(), new byte[] {1, 2, 3});
        String why = reason(run(artifact, new Fakes.FakeRunner(1000)));
        assertTrue(why, why.contains("differs from its manifest's"));
    }

    @Test
    public void aModelWhoseOutputIsNotTheManifestsIsRefused() throws Exception {
        Fakes.FakeRunner runner = new Fakes.FakeRunner(10);
        String why = reason(run(Fakes.artifact(dir.getRoot(), "m.pte"), runner));
        assertTrue(why, why.contains("the model returned 10 values, its manifest promises 1000"));
        assertTrue(runner.closed);
    }

    @Test
    public void aRunnerThatCannotLoadSaysWhy() throws Exception {
        Fakes.FakeRunner runner = new Fakes.FakeRunner(1000);
        runner.failOnLoad = "this .pte needs QnnBackend, which this ExecuTorch runtime lacks";
        JSONObject result = run(Fakes.artifact(dir.getRoot(), "m.pte"), runner);
        assertEquals(runner.failOnLoad, reason(result));
        assertEquals("cloformer_xxs", result.getString("model")); // what is known stays in the result
    }

    @Test
    public void anUnknownRuntimeOrAnArtifactForAnotherAppIsAFailedResult() throws Exception {
        File artifact = Fakes.artifact(dir.getRoot(), "m.pte");
        BenchmarkJob.Request request = new BenchmarkJob.Request(artifact, "tflite", null, 1, Protocol.defaults());
        JSONObject result = BenchmarkJob.run(request, Fakes.factory(new Fakes.FakeRunner(1000)), Fakes.PLATFORM,
                new Fakes.TickingClock(1), Fakes.NO_PROGRESS);
        assertTrue(reason(result).startsWith("unknown runtime tflite"));
        File elsewhere = Fakes.artifact(dir.newFolder(), "m.mlpackage");
        Fakes.rewriteManifest(elsewhere, "apps", new JSONObject().put("ios", new JSONObject().put("runner", "coreml")
                .put("backend", JSONObject.NULL)));
        String why = reason(run(elsewhere, new Fakes.FakeRunner(1000)));
        assertTrue(why, why.startsWith("its manifest names no runner for the Android app (apps: ios)"));
    }

    @Test
    public void resultsAreWrittenAtomicallyUnderTheirRunId() throws Exception {
        JSONObject result = run(Fakes.artifact(dir.getRoot(), "m.pte"), new Fakes.FakeRunner(1000));
        File written = Result.write(result, new File(dir.getRoot(), "results"), "run42");
        assertEquals("run42.json", written.getName());
        assertEquals(1, written.getParentFile().list().length); // no temp file left
        assertEquals(result.toString(), new JSONObject(new String(Files.readAllBytes(written.toPath()), "UTF-8")).toString());
    }
}
