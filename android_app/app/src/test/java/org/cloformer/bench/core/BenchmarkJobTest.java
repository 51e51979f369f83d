package org.cloformer.bench.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.file.Files;
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
        assertEquals(1 + 1 + 10 + 50, runner.calls); // output check, cold, warm-up, timed
        assertTrue(runner.closed);
        assertEquals("cloformer_xxs", result.getString("model"));
        assertEquals("xnnpack", result.getJSONObject("runtime").getString("backend"));
        assertEquals(4, result.getJSONObject("runtime").getInt("threads"));
        assertEquals(1.0, result.getJSONObject("stats").getDouble("median"), 1e-9);
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
    public void anUnknownRuntimeOrFileTypeIsAFailedResult() throws Exception {
        File artifact = Fakes.artifact(dir.getRoot(), "m.pte");
        BenchmarkJob.Request request = new BenchmarkJob.Request(artifact, "tflite", null, 1, Protocol.defaults());
        JSONObject result = BenchmarkJob.run(request, Fakes.factory(new Fakes.FakeRunner(1000)), Fakes.PLATFORM,
                new Fakes.TickingClock(1), Fakes.NO_PROGRESS);
        assertTrue(reason(result).startsWith("unknown runtime tflite"));
        String why = reason(run(Fakes.artifact(dir.getRoot(), "m.mlpackage"), new Fakes.FakeRunner(1000)));
        assertTrue(why, why.contains("not a .pte, .onnx or .tflite artifact"));
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
