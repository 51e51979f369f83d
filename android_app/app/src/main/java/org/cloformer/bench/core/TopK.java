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
        /** The class name from the manifest's labels, or null. */
        public final String label;

        Entry(int index, float probability, String label) {
            this.index = index;
            this.probability = probability;
            this.label = label;
        }

        @Override
        public String toString() {
            String name = label != null ? label : "class " + index;
            return String.format(java.util.Locale.ROOT, "%s: %.1f %%", name, 100 * probability);
        }
    }

    private TopK() {}

    public static List<Entry> of(float[] logits, int k) {
        return of(logits, k, null);
    }

    /** With class names (a manifest's labels, or null for indices). */
    public static List<Entry> of(float[] logits, int k, String[] labels) {
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
            best.add(new Entry(index, (float) (Math.exp(logits[index] - max) / total),
                    labels == null ? null : labels[index]));
        }
        return best;
    }
}
