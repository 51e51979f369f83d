package org.cloformer.bench.core;

import static org.junit.Assert.assertEquals;

import java.util.List;
import org.junit.Test;

public class TopKTest {
    @Test
    public void bestFirstWithSoftmaxProbabilities() {
        List<TopK.Entry> top = TopK.of(new float[] {0f, 2f, 1f, 2f}, 3);
        assertEquals(3, top.size());
        assertEquals(1, top.get(0).index);  // ties: the lower index first
        assertEquals(3, top.get(1).index);
        assertEquals(2, top.get(2).index);
        double total = 1 + 2 * Math.exp(2) + Math.exp(1);
        assertEquals(Math.exp(2) / total, top.get(0).probability, 1e-6);
    }

    @Test
    public void kLargerThanTheClassesGivesAllOfThem() {
        assertEquals(2, TopK.of(new float[] {1f, 3f}, 5).size());
    }
}
