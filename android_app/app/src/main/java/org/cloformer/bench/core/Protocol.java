package org.cloformer.bench.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The latency protocol of export/contracts/protocol.py: cool-down, first (cold) call, warm-up, then
 * rounds x iterations, or back-to-back calls for sustainedSeconds. Defaults match cloformer-bench.
 */
public final class Protocol {
    public final int warmup;
    public final int rounds;
    public final int iterations;
    public final double trim;
    /** Run this long instead of rounds x iterations; null: rounds x iterations. */
    public final Double sustainedSeconds;
    public final double cooldownSeconds;

    public Protocol(int warmup, int rounds, int iterations, double trim, Double sustainedSeconds,
                    double cooldownSeconds) {
        if (warmup < 0 || rounds < 1 || iterations < 1 || cooldownSeconds < 0 || trim < 0 || trim >= 0.5
                || (sustainedSeconds != null && !(sustainedSeconds > 0))) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "protocol out of range: warmup %d >= 0, rounds %d >= 1, iterations %d >= 1, trim %s in [0, 0.5), "
                            + "sustained_seconds %s > 0, cooldown_seconds %s >= 0",
                    warmup, rounds, iterations, trim, sustainedSeconds, cooldownSeconds));
        }
        this.warmup = warmup;
        this.rounds = rounds;
        this.iterations = iterations;
        this.trim = trim;
        this.sustainedSeconds = sustainedSeconds;
        this.cooldownSeconds = cooldownSeconds;
    }

    /** 10 warm-up runs as ExecuTorch's Android minibench; 5 x 10 timed (>= Stats.MIN_ITERATIONS). */
    public static Protocol defaults() {
        return new Protocol(10, 5, 10, 0.10, null, 0.0);
    }

    /** One inference. */
    public interface Call {
        void run() throws Exception;
    }

    /** A clock in nanoseconds, replaceable in tests. */
    public interface Clock {
        long nanoTime();

        void sleep(long millis) throws InterruptedException;
    }

    public static final Clock SYSTEM_CLOCK = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleep(long millis) throws InterruptedException {
            Thread.sleep(millis);
        }
    };

    /** Called after every timed iteration with (done, total); total is -1 in sustained mode. */
    public interface Progress {
        void update(int done, int total);
    }

    /** What measure() returns: the figures a result reports. */
    public static final class Measurement {
        public final double firstMs;
        public final double[] latenciesMs;
        public final Stats.Sustained sustained;

        Measurement(double firstMs, double[] latenciesMs, Stats.Sustained sustained) {
            this.firstMs = firstMs;
            this.latenciesMs = latenciesMs;
            this.sustained = sustained;
        }

        public List<String> invalidReasons() {
            return Stats.invalidReasons(latenciesMs, sustained);
        }
    }

    public Measurement measure(Call call, Clock clock, Progress progress) throws Exception {
        clock.sleep(Math.round(cooldownSeconds * 1000));
        long start = clock.nanoTime();
        call.run();
        double firstMs = (clock.nanoTime() - start) / 1e6;
        for (int i = 0; i < warmup; i++) {
            call.run();
        }
        List<Double> latencies = new ArrayList<>();
        List<Double> starts = new ArrayList<>();
        long began = clock.nanoTime();
        int total = sustainedSeconds == null ? rounds * iterations : -1;
        while (sustainedSeconds == null ? latencies.size() < total
                : (start = clock.nanoTime()) - began < sustainedSeconds * 1e9) {
            if (sustainedSeconds == null) {
                start = clock.nanoTime();
            }
            call.run();
            starts.add((start - began) / 1e9);
            latencies.add((clock.nanoTime() - start) / 1e6);
            progress.update(latencies.size(), total);
        }
        double[] latenciesMs = toArray(latencies);
        Stats.Sustained sustained = sustainedSeconds == null ? null
                : Stats.intervals(toArray(starts), latenciesMs, Stats.SUSTAINED_INTERVAL_S);
        return new Measurement(firstMs, latenciesMs, sustained);
    }

    private static double[] toArray(List<Double> values) {
        double[] array = new double[values.size()];
        for (int i = 0; i < array.length; i++) {
            array[i] = values.get(i);
        }
        return array;
    }
}
