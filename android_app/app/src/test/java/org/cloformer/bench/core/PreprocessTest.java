package org.cloformer.bench.core;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class PreprocessTest {
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};

    @Test
    public void aFlatColourStaysFlatAndIsNormalizedPerChannel() {
        int[] argb = new int[40 * 30];
        java.util.Arrays.fill(argb, 0xFF336699);
        float[] out = Preprocess.toNchw(argb, 40, 30, 16, 16, 0.875, 1 / 255f, MEAN, STD);
        assertEquals(3 * 16 * 16, out.length);
        int[] channel = {0x33, 0x66, 0x99};
        for (int c = 0; c < 3; c++) {
            float expected = (channel[c] / 255f - MEAN[c]) / STD[c];
            for (int i = 0; i < 256; i++) {
                assertEquals(expected, out[c * 256 + i], 1e-5);
            }
        }
    }

    @Test
    public void channelsComeOutInRgbPlanes() {
        int[] argb = new int[8 * 8];
        java.util.Arrays.fill(argb, 0xFFFF0000); // pure red
        float[] out = Preprocess.toNchw(argb, 8, 8, 4, 4, 1.0, 1 / 255f, new float[3], new float[] {1, 1, 1});
        assertEquals(1.0f, out[0], 1e-6);
        assertEquals(0.0f, out[16], 1e-6);
        assertEquals(0.0f, out[32], 1e-6);
    }

    @Test
    public void theCenterIsCroppedAfterResizing() {
        // A 1-pixel-wide white column in the middle of a black 64x32 image survives the center crop.
        int[] argb = new int[64 * 32];
        java.util.Arrays.fill(argb, 0xFF000000);
        for (int y = 0; y < 32; y++) {
            argb[y * 64 + 32] = 0xFFFFFFFF;
        }
        float[] out = Preprocess.toNchw(argb, 64, 32, 32, 32, 1.0, 1 / 255f, new float[3], new float[] {1, 1, 1});
        float middle = out[16 * 32 + 16] + out[16 * 32 + 15];
        assertEquals(0.0f, out[16 * 32], 1e-6);   // left edge: black
        assertEquals(1.0f, middle, 1e-5);          // the column's light, split over the two middle pixels at most
    }

    @Test(expected = IllegalArgumentException.class)
    public void aBufferOfTheWrongSizeIsRefused() {
        Preprocess.toNchw(new int[10], 4, 4, 2, 2, 1.0, 1f, MEAN, STD);
    }
}
