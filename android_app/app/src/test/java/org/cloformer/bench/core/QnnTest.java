package org.cloformer.bench.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import org.json.JSONObject;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A QNN context model (target qnn) is refused before it loads when the runner, the app's QNN runtime or the phone's SoC would not run it as compiled. */
public class QnnTest {
    private static final String SDK = "v2.51.0.260929181845"; // as onnxruntime-qnn 2.7.0 writes it

    @Rule
    public TemporaryFolder dir = new TemporaryFolder();

    /** An artifact whose manifest is a qnn export's for SM8650 (the fields the app reads of export/targets/qnn.py's section). */
    private File contextModel() throws Exception {
        File artifact = Fakes.artifact(dir.getRoot(), "m.onnx");
        Fakes.rewriteManifest(artifact, "target", "qnn");
        Fakes.rewriteManifest(artifact, "backend", "SM8650");
        Fakes.rewriteManifest(artifact, "qnn", new JSONObject().put("soc", "SM8650").put("soc_name", "Snapdragon 8 Gen 3")
                .put("ep_sdk_version", SDK).put("compatibility", "v2:6:2.51.0:5.51.0:75:57:0:0"));
        Fakes.rewriteManifest(artifact, "apps", new JSONObject().put(Manifest.APP,
                new JSONObject().put("runner", "onnxruntime").put("backend", Qnn.BACKEND)));
        return artifact;
    }

    private static JSONObject run(File artifact, Fakes.FakeRunner runner, String deviceSoc) {
        return run(artifact, runner, deviceSoc, null);
    }

    /** A headless run as the extras ask for it (`backend` null: none given). */
    private static JSONObject run(File artifact, Fakes.FakeRunner runner, String deviceSoc, String backend) {
        BenchmarkJob.Request request = new BenchmarkJob.Request(artifact, null, backend, 4, Protocol.defaults());
        return BenchmarkJob.run(request, Fakes.anyRuntime(runner), Fakes.platform(null, deviceSoc),
                new Fakes.TickingClock(1_000_000), Fakes.NO_PROGRESS);
    }

    private static Fakes.FakeRunner runner(String qnnRuntime) {
        Fakes.FakeRunner runner = new Fakes.FakeRunner(1000);
        runner.qnnRuntime = qnnRuntime;
        return runner;
    }

    private static String refusal(JSONObject result, Fakes.FakeRunner runner) throws Exception {
        assertFalse(result.getBoolean("valid"));
        assertEquals(0, runner.calls); // refused before anything ran
        assertTrue(runner.closed);
        return result.getJSONArray("invalid_reasons").getString(0);
    }

    @Test
    public void aContextModelRunsOnTheQnnBackendOfTheSocItWasCompiledFor() throws Exception {
        Fakes.FakeRunner runner = runner("2.51.0");
        JSONObject result = run(contextModel(), runner, "QTI SM8650");
        assertTrue(result.getJSONArray("invalid_reasons").toString(), result.getBoolean("valid"));
        assertEquals("onnxruntime", runner.runtime); // no extras: the runner and backend its manifest names
        assertEquals(Qnn.BACKEND, runner.backendAsked);
    }

    @Test
    public void anAppWhoseQnnRuntimeIsOlderThanTheCompilingSdkRefusesIt() throws Exception {
        Fakes.FakeRunner runner = runner("2.45.0");
        String why = refusal(run(contextModel(), runner, "QTI SM8650"), runner);
        assertEquals("the QNN context was compiled by QNN SDK " + SDK + "; this app's QNN runtime is 2.45.0, older, "
                + "and cannot load it: build the app with qnn-runtime >= 2.51 (android_app/gradle/libs.versions.toml), "
                + "or re-export with an onnxruntime-qnn whose QNN SDK is no newer than 2.45", why);
    }

    @Test
    public void aPhoneOfAnotherSocIsToldToReExportForItsOwn() throws Exception {
        Fakes.FakeRunner runner = runner("2.51.0");
        String why = refusal(run(contextModel(), runner, "QTI SM8750"), runner);
        assertEquals("the QNN context was compiled for SM8650 (Snapdragon 8 Gen 3); this phone's SoC is QTI SM8750: "
                + "re-export it for this phone with cloformer-export --target qnn --soc SM8750", why);
        Fakes.FakeRunner other = runner("2.51.0");
        assertTrue(refusal(run(contextModel(), other, "Google Tensor G3"), other).endsWith(
                "this phone's SoC is Google Tensor G3, not a Snapdragon: QNN context models run on Snapdragon phones only"));
    }

    @Test
    public void aPhoneThatDoesNotNameItsSocLeavesTheDecisionToTheExecutionProvider() throws Exception {
        JSONObject result = run(contextModel(), runner("2.51.0"), "qcom"); // Build.HARDWARE before API 31
        assertTrue(result.getJSONArray("invalid_reasons").toString(), result.getBoolean("valid"));
    }

    @Test
    public void aRunnerWithoutQnnRefusesAContextModel() throws Exception {
        Fakes.FakeRunner runner = runner(null);
        JSONObject result = run(contextModel(), runner, "QTI SM8650", "cpu");
        assertEquals("this artifact is a QNN context model for SM8650 (Snapdragon 8 Gen 3), which only ONNX Runtime's "
                + "QNN execution provider runs; onnxruntime cpu cannot: run it with backend qnn", refusal(result, runner));
        assertEquals("cpu", runner.backendAsked);
    }

    @Test
    public void versionsAreOrderedByMajorMinor() throws Exception {
        assertEquals(0, Qnn.compare("2.51.0", SDK));
        assertEquals(0, Qnn.compare("2.50.0", "2.50.40")); // point releases share the backend API
        assertTrue(Qnn.compare("2.50.40", "2.51.0") < 0);
        assertTrue(Qnn.compare("3.0.0", "2.51.0") > 0);
    }

    @Test
    public void anOrdinaryArtifactKeepsTheBackendItWasGiven() throws Exception {
        Manifest manifest = Manifest.read(Fakes.artifact(dir.getRoot(), "m.pte"));
        assertEquals(null, manifest.qnn);
        assertEquals(null, manifest.backendFor(null));
        assertEquals("xnnpack", manifest.backendFor("xnnpack"));
    }
}
