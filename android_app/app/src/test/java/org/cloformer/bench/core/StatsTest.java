package org.cloformer.bench.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import org.junit.Test;

public class StatsTest {
    private static final double[] TEN = {5, 1, 4, 2, 3, 10, 9, 8, 7, 6};

    @Test
    public void percentilesInterpolateLikeNumpy() {
        assertEquals(9.1, Stats.percentile(TEN, 90), 1e-12);   // numpy.percentile(range(1, 11), 90)
        assertEquals(9.91, Stats.percentile(TEN, 99), 1e-12);
        assertEquals(1.0, Stats.percentile(TEN, 0), 0);
        assertEquals(10.0, Stats.percentile(TEN, 100), 0);
        assertEquals(7.0, Stats.percentile(new double[] {7}, 90), 0);
    }

    @Test
    public void medianOfEvenCountAveragesTheMiddleTwo() {
        assertEquals(5.5, Stats.median(TEN), 0);
        assertEquals(2.0, Stats.median(new double[] {3, 1, 2}), 0);
    }

    @Test
    public void trimmedMeanDropsTheTailsOrKeepsAllWhenNothingWouldRemain() {
        assertEquals(5.5, Stats.trimmedMean(TEN, 0.10), 1e-12);  // drops 1 and 10
        double[] outlier = {1, 1, 1, 1, 1, 1, 1, 1, 1, 100};
        assertEquals(1.0, Stats.trimmedMean(outlier, 0.10), 1e-12);
        assertEquals(2.0, Stats.trimmedMean(new double[] {1, 2, 3}, 0.49), 1e-12); // cut 1 of 3
    }

    @Test
    public void summarizeHasTheSchemaKeysInOrder() {
        Map<String, Double> s = Stats.summarize(TEN, 0.10);
        assertEquals(Arrays.asList("mean", "median", "p90", "p99", "trimmed_mean", "std", "min"),
                new java.util.ArrayList<>(s.keySet()));
        assertEquals(5.5, s.get("mean"), 1e-12);
        assertEquals(Math.sqrt(8.25), s.get("std"), 1e-12);  // population std of 1..10
        assertEquals(1.0, s.get("min"), 0);
    }

    @Test
    public void compensatedMeanDoesNotDriftOverLongRuns() {
        double[] many = new double[1_000_000];
        Arrays.fill(many, 0.1);
        assertEquals(0.1, Stats.mean(many), 1e-16);
    }

    @Test
    public void sustainedIntervalsAndDrift() {
        double[] starts = {0.0, 0.5, 1.0, 1.5, 2.2};
        double[] latencies = {10, 12, 11, 11, 15};
        Stats.Sustained s = Stats.intervals(starts, latencies, 1.0);
        assertEquals(3, s.intervals.size());
        assertEquals(11.0, s.intervals.get(0).medianMs, 0);
        assertEquals(2, s.intervals.get(0).count);
        assertEquals(2.0, s.intervals.get(2).startSeconds, 0);
        assertEquals(15.0 / 11.0, s.drift, 1e-12);
    }

    @Test
    public void invalidReasonsAreWordedAsInPython() {
        assertEquals(Collections.singletonList("too few iterations: 10 < 30"), Stats.invalidReasons(TEN, null));
        double[] ok = new double[30];
        Arrays.fill(ok, 1);
        assertTrue(Stats.invalidReasons(ok, null).isEmpty());
        Stats.Sustained hot = Stats.intervals(new double[] {0, 1}, new double[] {10, 12.5}, 1.0);
        assertEquals("throttling detected: latency drifted x1.25 (> x1.15) over the run",
                Stats.invalidReasons(ok, hot).get(0));
    }
}
