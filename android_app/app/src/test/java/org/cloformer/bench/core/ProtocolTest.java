package org.cloformer.bench.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.json.JSONObject;
import org.junit.Test;

public class ProtocolTest {
    @Test
    public void coldCallThenWarmupThenRoundsTimesIterations() throws Exception {
        Fakes.TickingClock clock = new Fakes.TickingClock(2_000_000); // 2 ms between readings
        int[] calls = {0};
        List<Integer> progress = new ArrayList<>();
        Protocol protocol = new Protocol(3, 4, 5, 0.1, null, 1.5);
        Protocol.Measurement m = protocol.measure(() -> calls[0]++, clock, (done, total) -> {
            assertEquals(20, total);
            progress.add(done);
        });
        assertEquals(1 + 3 + 20, calls[0]);
        assertEquals(20, m.latenciesMs.length);
        assertEquals(2.0, m.firstMs, 1e-9);
        for (double v : m.latenciesMs) {
            assertEquals(2.0, v, 1e-9);
        }
        assertEquals(1500, clock.slept);
        assertEquals(20, progress.size());
        assertNull(m.sustained);
        assertEquals("too few iterations: 20 < 30", m.invalidReasons().get(0));
    }

    @Test
    public void sustainedRunsForItsDurationAndReportsIntervals() throws Exception {
        Fakes.TickingClock clock = new Fakes.TickingClock(100_000_000); // 0.1 s per reading
        int[] calls = {0};
        Protocol protocol = new Protocol(0, 5, 10, 0.1, 3.0, 0);
        Protocol.Measurement m = protocol.measure(() -> calls[0]++, clock, Fakes.NO_PROGRESS);
        assertNotNull(m.sustained);
        assertTrue(m.latenciesMs.length >= 10 && m.latenciesMs.length <= 20);
        assertEquals(3, m.sustained.intervals.size());
        assertEquals(1.0, m.sustained.drift, 1e-9);
    }

    @Test
    public void constantsAreTheOnesCloformerBenchUses() throws Exception {
        JSONObject shared = Fakes.shared("export/contracts/protocol.json"); // read by protocol.py and the Swift tests too
        assertEquals(shared.getInt("min_iterations"), Stats.MIN_ITERATIONS);
        assertEquals(shared.getDouble("max_drift"), Stats.MAX_DRIFT, 0);
        assertEquals(shared.getDouble("sustained_interval_seconds"), Stats.SUSTAINED_INTERVAL_S, 0);
        JSONObject defaults = shared.getJSONObject("defaults");
        Protocol p = Protocol.defaults();
        assertEquals(defaults.getInt("warmup"), p.warmup);
        assertEquals(defaults.getInt("rounds"), p.rounds);
        assertEquals(defaults.getInt("iterations"), p.iterations);
        assertEquals(defaults.getDouble("trim"), p.trim, 0);
        assertEquals(defaults.getDouble("cooldown_seconds"), p.cooldownSeconds, 0);
        assertNull(p.sustainedSeconds);
    }

    @Test(expected = IllegalArgumentException.class)
    public void outOfRangeSettingsAreRefused() {
        new Protocol(10, 0, 10, 0.1, null, 0);
    }
}
