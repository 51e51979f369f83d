package org.cloformer.bench.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/** The k best classes of a logit vector, with softmax probabilities. */
public final class TopK {
    public static final class Entry {
        public final int index;
        public final float probability;

        Entry(int index, float probability) {
            this.index = index;
            this.probability = probability;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "class %d: %.1f %%", index, 100 * probability);
        }
    }

    private TopK() {}

    public static List<Entry> of(float[] logits, int k) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double total = 0;
        for (float v : logits) {
            total += Math.exp(v - max);
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < logits.length; i++) {
            order.add(i);
        }
        // Stable sort: ties keep the lower index first, as numpy's argsort(kind="stable") of -logits.
        Collections.sort(order, new Comparator<Integer>() {
            @Override
            public int compare(Integer a, Integer b) {
                return Float.compare(logits[b], logits[a]);
            }
        });
        List<Entry> best = new ArrayList<>();
        for (int i = 0; i < Math.min(k, logits.length); i++) {
            int index = order.get(i);
            best.add(new Entry(index, (float) (Math.exp(logits[index] - max) / total)));
        }
        return best;
    }
}
