package org.cloformer.bench.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The statistics of export/contracts/protocol.py, ported line for line: every result reports the same numbers. */
public final class Stats {
    /** Fewer timed iterations than this: too few for a p90 (MLPerf-style minimum). */
    public static final int MIN_ITERATIONS = 30;
    /** Sustained run: last interval's median / first's above this means throttling. */
    public static final double MAX_DRIFT = 1.15;
    public static final double SUSTAINED_INTERVAL_S = 1.0;

    private Stats() {}

    /** Linear interpolation between closest ranks (numpy's default), q in [0, 100]. */
    public static double percentile(double[] values, double q) {
        double[] ordered = sorted(values);
        double position = (ordered.length - 1) * q / 100;
        int low = (int) Math.floor(position);
        int high = (int) Math.ceil(position);
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low);
    }

    public static double median(double[] values) {
        double[] ordered = sorted(values);
        int n = ordered.length;
        return n % 2 == 1 ? ordered[n / 2] : (ordered[n / 2 - 1] + ordered[n / 2]) / 2;
    }

    public static double trimmedMean(double[] values, double trim) {
        double[] ordered = sorted(values);
        int cut = (int) (ordered.length * trim);
        double[] kept = ordered.length - 2 * cut > 0 ? Arrays.copyOfRange(ordered, cut, ordered.length - cut) : ordered;
        return mean(kept);
    }

    /** Like Python's statistics.fmean (math.fsum): a compensated sum, so long runs do not drift. */
    public static double mean(double[] values) {
        double sum = 0, compensation = 0;
        for (double v : values) {
            double y = v - compensation;
            double t = sum + y;
            compensation = (t - sum) - y;
            sum = t;
        }
        return sum / values.length;
    }

    /** Population standard deviation (statistics.pstdev). */
    public static double std(double[] values) {
        double mean = mean(values);
        double[] squares = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            squares[i] = (values[i] - mean) * (values[i] - mean);
        }
        return Math.sqrt(mean(squares));
    }

    /** mean, median, p90, p99, trimmed_mean, std, min: the result's `stats` object, in the schema's order. */
    public static Map<String, Double> summarize(double[] latenciesMs, double trim) {
        Map<String, Double> stats = new LinkedHashMap<>();
        stats.put("mean", mean(latenciesMs));
        stats.put("median", median(latenciesMs));
        stats.put("p90", percentile(latenciesMs, 90));
        stats.put("p99", percentile(latenciesMs, 99));
        stats.put("trimmed_mean", trimmedMean(latenciesMs, trim));
        stats.put("std", std(latenciesMs));
        stats.put("min", sorted(latenciesMs)[0]);
        return stats;
    }

    /** One window of a sustained run. */
    public static final class Interval {
        public final double startSeconds;
        public final double medianMs;
        public final int count;

        Interval(double startSeconds, double medianMs, int count) {
            this.startSeconds = startSeconds;
            this.medianMs = medianMs;
            this.count = count;
        }
    }

    /** Sustained mode: the median latency of each interval and the drift (last median / first), the thermal proxy. */
    public static final class Sustained {
        public final double intervalSeconds;
        public final List<Interval> intervals;
        public final double drift;

        Sustained(double intervalSeconds, List<Interval> intervals) {
            this.intervalSeconds = intervalSeconds;
            this.intervals = intervals;
            this.drift = intervals.get(intervals.size() - 1).medianMs / intervals.get(0).medianMs;
        }
    }

    public static Sustained intervals(double[] startsS, double[] latenciesMs, double intervalS) {
        TreeMap<Long, List<Double>> windows = new TreeMap<>();
        for (int i = 0; i < startsS.length; i++) {
            long key = (long) Math.floor(startsS[i] / intervalS);
            if (!windows.containsKey(key)) {
                windows.put(key, new ArrayList<Double>());
            }
            windows.get(key).add(latenciesMs[i]);
        }
        List<Interval> rows = new ArrayList<>();
        for (Map.Entry<Long, List<Double>> window : windows.entrySet()) {
            double[] values = new double[window.getValue().size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = window.getValue().get(i);
            }
            rows.add(new Interval(window.getKey() * intervalS, median(values), values.length));
        }
        return new Sustained(intervalS, rows);
    }

    /** Why a measurement is not valid (empty when it is), worded as protocol.py words it. */
    public static List<String> invalidReasons(double[] latenciesMs, Sustained sustained) {
        List<String> reasons = new ArrayList<>();
        if (latenciesMs.length < MIN_ITERATIONS) {
            reasons.add("too few iterations: " + latenciesMs.length + " < " + MIN_ITERATIONS);
        }
        if (sustained != null && sustained.drift > MAX_DRIFT) {
            reasons.add(String.format(java.util.Locale.ROOT,
                    "throttling detected: latency drifted x%.2f (> x%s) over the run", sustained.drift, MAX_DRIFT));
        }
        return reasons;
    }

    private static double[] sorted(double[] values) {
        double[] copy = values.clone();
        Arrays.sort(copy);
        return copy;
    }
}
