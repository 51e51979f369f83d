package org.cloformer.bench.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.HashMap;
import java.util.Map;
import org.junit.Test;

public class ExtrasTest {
    private static Map<String, Object> extras(Object... pairs) {
        Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    private static String refused(Map<String, Object> extras) {
        try {
            Extras.parse(extras, "default");
            fail("accepted " + extras);
            return null;
        } catch (BenchmarkException e) {
            return e.getMessage();
        }
    }

    @Test
    public void whatCloformerBenchAndroidSends() throws Exception {
        // runtime_bench/platforms/android.py: --es artifact/run_id, --ei warmup/rounds/iterations/threads, --ef cooldown/sustained
        Extras e = Extras.parse(extras("artifact", "/data/local/tmp/cloformer/m.pte", "run_id", "a1b2c3",
                "warmup", 3, "rounds", 2, "iterations", 20, "threads", 2, "cooldown_seconds", 1.5f,
                "sustained_seconds", 30f, "serial", "R5CT"), "default");
        assertEquals("/data/local/tmp/cloformer/m.pte", e.request.artifact.getPath());
        assertEquals("a1b2c3", e.runId);
        assertEquals(2, e.request.threads);
        assertEquals(3, e.request.protocol.warmup);
        assertEquals(20, e.request.protocol.iterations);
        assertEquals(30.0, e.request.protocol.sustainedSeconds, 1e-6);
        assertEquals(1.5, e.request.protocol.cooldownSeconds, 1e-6);
        assertEquals("R5CT", e.serial);
        assertNull(e.request.runtime);
    }

    @Test
    public void defaultsAreTheProtocolsAndNumbersMayComeAsStrings() throws Exception {
        Extras e = Extras.parse(extras("artifact", "m.onnx", "threads", "8", "runtime", "onnxruntime", "backend", "nnapi"),
                "default");
        assertEquals("default", e.runId);
        assertEquals(8, e.request.threads);
        assertEquals(10, e.request.protocol.warmup);
        assertNull(e.request.protocol.sustainedSeconds);
        assertEquals("nnapi", e.request.backend);
    }

    @Test
    public void badExtrasNameTheExtraAndTheFix() {
        assertTrue(refused(extras()).contains("--es artifact"));
        assertTrue(refused(extras("artifact", "m.pte", "threads", "four")).contains("extra threads='four' is not an integer"));
        assertTrue(refused(extras("artifact", "m.pte", "rounds", 0)).contains("rounds 0 >= 1"));
        assertTrue(refused(extras("artifact", "m.pte", "run_id", "../x")).contains("run_id '../x' must be"));
        assertTrue(refused(extras("artifact", "m.pte", "sustained_seconds", "soon")).contains("--ef sustained_seconds"));
    }

    @Test
    public void aFailedParseStillNamesTheResultByItsRunId() {
        // cloformer-bench android waits for <run_id>.json: a bad extra must not make it wait in vain
        assertEquals("a1b2", Extras.runIdOr(extras("run_id", "a1b2", "threads", "four"), "fallback"));
        assertEquals("fallback", Extras.runIdOr(extras("run_id", "../x"), "fallback"));
        assertEquals("fallback", Extras.runIdOr(extras(), "fallback"));
    }
}
