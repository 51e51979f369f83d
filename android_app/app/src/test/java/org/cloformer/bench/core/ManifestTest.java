package org.cloformer.bench.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ManifestTest {
    @Rule
    public TemporaryFolder dir = new TemporaryFolder();

    @Test
    public void readsShapeNormalizationAndIdentity() throws Exception {
        File artifact = Fakes.artifact(dir.getRoot(), "m.pte");
        Manifest m = Manifest.read(artifact);
        assertEquals("cloformer_xxs", m.model);
        assertEquals("xnnpack", m.backend);
        assertEquals("executorch", m.target);
        assertEquals("fp32", m.precision);
        assertArrayEquals(new long[] {1, 3, 64, 64}, m.inputShape);
        assertEquals(64, m.height());
        assertEquals(3 * 64 * 64, m.inputSize());
        assertArrayEquals(new float[] {0.485f, 0.456f, 0.406f}, m.mean, 0);
        assertEquals(0.875, m.cropFraction, 0);
        assertNull(m.labels);
        assertEquals("executorch", m.runner); // apps.android, as its target declares
        assertNull(m.appBackend);
    }

    @Test
    public void itReadsTheSchemaVersionOfTheSharedContract() throws Exception {
        JSONObject schema = Fakes.shared("export/contracts/manifest.schema.json");
        int contract = schema.getJSONObject("properties").getJSONObject("schema_version").getInt("const");
        assertEquals(contract, Manifest.SCHEMA_VERSION);
    }

    @Test
    public void aSchemaVersionItDoesNotKnowIsOneLine() throws Exception {
        File artifact = Fakes.artifact(dir.getRoot(), "m.pte");
        Fakes.rewriteManifest(artifact, "schema_version", 3);
        try {
            Manifest.read(artifact);
            fail();
        } catch (BenchmarkException e) {
            assertEquals("manifest schema_version 3 is not 2, the version this app reads: re-export with the "
                    + "cloformer-export this app was built with, or install the app that matches it", e.getMessage());
        }
    }

    @Test
    public void aNameThatIsNotAFileInTheArtifactsFolderIsRefused() throws Exception {
        File artifact = Fakes.artifact(dir.getRoot(), "m.pte");
        Manifest.read(artifact); // as exported: plain names
        String[] bad = {"../x.check", "sub/x.check", "..\\x.check", "/etc/passwd", "", ".", ".."};
        String[] fields = {"artifact", "check.bundle", "check.cases.0.input.file", "check.cases.1.expected.file"};
        for (String field : fields) {
            for (String name : bad) {
                JSONObject json = Fakes.manifestJson(artifact, "0");
                JSONObject check = json.getJSONObject("check");
                if (field.equals("artifact")) {
                    json.put("artifact", name);
                } else if (field.equals("check.bundle")) {
                    check.put("bundle", name);
                } else {
                    JSONObject c = check.getJSONArray("cases").getJSONObject(field.contains(".0.") ? 0 : 1);
                    c.getJSONObject(field.contains("input") ? "input" : "expected").put("file", name);
                }
                try {
                    Manifest.parse(json.toString(), "m.pte.json");
                    fail(field + " = '" + name + "' was accepted");
                } catch (BenchmarkException e) {
                    assertEquals("manifest field " + field + ": '" + name + "' is not a file name in the artifact's "
                            + "folder; re-export the artifact", e.getMessage());
                }
            }
        }
        // through the job: a failed result, like an unknown schema_version
        Fakes.rewriteManifest(artifact, "check", Fakes.manifestJson(artifact, "0").getJSONObject("check")
                .put("bundle", "../x.check"));
        JSONObject result = BenchmarkJob.run(new BenchmarkJob.Request(artifact, null, null, 1, Protocol.defaults()),
                Fakes.factory(new Fakes.FakeRunner(1000)), Fakes.PLATFORM, new Fakes.TickingClock(1), Fakes.NO_PROGRESS);
        assertFalse(result.getBoolean("valid"));
        assertEquals("manifest field check.bundle: '../x.check' is not a file name in the artifact's folder; "
                + "re-export the artifact", result.getJSONArray("invalid_reasons").getString(0));
    }

    @Test
    public void labelsNameTheClasses() throws Exception {
        File artifact = Fakes.artifact(dir.getRoot(), "m.pte");
        JSONArray names = new JSONArray();
        for (int i = 0; i < 1000; i++) {
            names.put("class-" + i);
        }
        Fakes.rewriteManifest(artifact, "labels", names.put(7, "Sneaker"));
        Manifest m = Manifest.read(artifact);
        float[] logits = new float[1000];
        logits[7] = 9;
        assertEquals("Sneaker", TopK.of(logits, 1, m.labels).get(0).label);
        assertTrue(TopK.of(logits, 1, m.labels).get(0).toString().startsWith("Sneaker: "));
        Fakes.rewriteManifest(artifact, "labels", new JSONArray().put("only one"));
        try {
            Manifest.read(artifact);
            fail();
        } catch (BenchmarkException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("manifest has 1 labels for 1000 classes"));
        }
    }

    @Test
    public void aMissingManifestSaysWhereToPushIt() throws Exception {
        File artifact = new File(dir.getRoot(), "alone.pte");
        try {
            Manifest.read(artifact);
            fail();
        } catch (BenchmarkException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("alone.pte.json: cannot read the manifest"));
            assertTrue(e.getMessage().contains("adb push"));
        }
    }

    @Test
    public void aManifestWithoutTheFieldsIsNotAManifest() throws Exception {
        try {
            Manifest.parse("{\"model\": \"cloformer_xxs\"}", "x.json");
            fail();
        } catch (BenchmarkException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("x.json: not a cloformer-export manifest"));
        }
    }

    @Test
    public void aShapeThatIsNotAnImageBatchIsRefused() throws Exception {
        File artifact = Fakes.artifact(dir.getRoot(), "m.pte");
        Fakes.rewriteManifest(artifact, "input_shape", new JSONArray().put(1).put(4).put(64));
        try {
            Manifest.read(artifact);
            fail();
        } catch (BenchmarkException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("is not (batch, 3, height, width)"));
        }
    }
}
