package org.cloformer.bench.core;

/**
 * The manifest's preprocessing on a plain ARGB int[] (Android's Bitmap.getPixels layout, 0xAARRGGBB):
 * resize with antialiased bilinear filtering so the image covers size / crop_fraction, center crop,
 * scale, subtract mean, divide by std, NCHW float. The same arithmetic as export/inputs.py
 * (torch's interpolate(mode="bilinear", antialias=True)), so the phone sees what parity checked.
 */
public final class Preprocess {
    private Preprocess() {}

    public static float[] toNchw(int[] argb, int width, int height, Manifest manifest) {
        return toNchw(argb, width, height, manifest.height(), manifest.width(), manifest.cropFraction, manifest.scale,
                manifest.mean, manifest.std);
    }

    public static float[] toNchw(int[] argb, int width, int height, int outHeight, int outWidth, double cropFraction,
                                 float scale, float[] mean, float[] std) {
        if (argb.length != width * height || width < 1 || height < 1) {
            throw new IllegalArgumentException("image buffer holds " + argb.length + " pixels, not " + width + "x" + height);
        }
        double factor = Math.max(outHeight / cropFraction / height, outWidth / cropFraction / width);
        // Python's round() (half to even) as in export/inputs.py: the same resized size, the same crop.
        int resizedH = Math.max(outHeight, (int) Math.rint(height * factor));
        int resizedW = Math.max(outWidth, (int) Math.rint(width * factor));
        Weights rows = new Weights(height, resizedH, (resizedH - outHeight) / 2, outHeight);
        Weights cols = new Weights(width, resizedW, (resizedW - outWidth) / 2, outWidth);
        float[] out = new float[3 * outHeight * outWidth];
        float[] horizontal = new float[height * outWidth];
        for (int c = 0; c < 3; c++) {
            int shift = 16 - 8 * c; // R, G, B
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < outWidth; x++) {
                    double sum = 0;
                    for (int k = 0; k < cols.size[x]; k++) {
                        sum += cols.weight[x][k] * ((argb[y * width + cols.start[x] + k] >> shift) & 0xFF);
                    }
                    horizontal[y * outWidth + x] = (float) sum;
                }
            }
            int plane = c * outHeight * outWidth;
            for (int y = 0; y < outHeight; y++) {
                for (int x = 0; x < outWidth; x++) {
                    double sum = 0;
                    for (int k = 0; k < rows.size[y]; k++) {
                        sum += rows.weight[y][k] * horizontal[(rows.start[y] + k) * outWidth + x];
                    }
                    out[plane + y * outWidth + x] = ((float) sum * scale - mean[c]) / std[c];
                }
            }
        }
        return out;
    }

    /** Antialiased bilinear (triangle filter widened by the downscale factor) weights of the kept outputs. */
    static final class Weights {
        final int[] start;
        final int[] size;
        final double[][] weight;

        Weights(int in, int resized, int first, int count) {
            double scale = (double) in / resized;
            double support = scale >= 1 ? scale : 1.0;
            double invScale = scale >= 1 ? 1 / scale : 1.0;
            start = new int[count];
            size = new int[count];
            weight = new double[count][];
            for (int i = 0; i < count; i++) {
                double center = scale * (first + i + 0.5);
                int lo = Math.max((int) (center - support + 0.5), 0);
                int n = Math.min((int) (center + support + 0.5), in) - lo;
                double[] w = new double[n];
                double total = 0;
                for (int k = 0; k < n; k++) {
                    w[k] = Math.max(0, 1 - Math.abs((k + lo - center + 0.5) * invScale));
                    total += w[k];
                }
                for (int k = 0; k < n; k++) {
                    w[k] = total > 0 ? w[k] / total : 0;
                }
                start[i] = lo;
                size[i] = n;
                weight[i] = w;
            }
        }
    }
}
