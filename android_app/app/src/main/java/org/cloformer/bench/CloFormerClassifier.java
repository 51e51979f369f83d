package org.cloformer.bench;

import android.graphics.Bitmap;
import java.io.File;
import java.util.Arrays;
import java.util.List;
import org.cloformer.bench.core.BenchmarkException;
import org.cloformer.bench.core.Manifest;
import org.cloformer.bench.core.Preprocess;
import org.cloformer.bench.core.Qnn;
import org.cloformer.bench.core.Runner;
import org.cloformer.bench.core.TopK;
import org.cloformer.bench.runners.Runners;

/**
 * CloFormer in another app, in three lines (README): load an exported artifact with its manifest,
 * classify a Bitmap, read the top-k. Preprocessing follows the manifest, as parity checked it.
 *
 * <pre>
 * try (CloFormerClassifier model = CloFormerClassifier.load(new File(dir, "cloformer_xxs_224x224_executorch_xnnpack_fp32.pte"), 4)) {
 *     List&lt;TopK.Entry&gt; top5 = model.classify(bitmap, 5);
 * }
 * </pre>
 */
public final class CloFormerClassifier implements AutoCloseable {
    private final Runner runner;
    private final Manifest manifest;
    private long lastNanos;

    private CloFormerClassifier(Runner runner, Manifest manifest) {
        this.runner = runner;
        this.manifest = manifest;
    }

    /** The runner and backend its manifest names for this app (`apps.android`). */
    public static CloFormerClassifier load(File artifact, int threads) throws BenchmarkException {
        return load(artifact, null, null, threads);
    }

    /** A null runtime or backend: its manifest's. */
    public static CloFormerClassifier load(File artifact, String runtime, String backend, int threads)
            throws BenchmarkException {
        Manifest manifest = Manifest.read(artifact);
        Runner runner = new Runners().create(manifest.runnerFor(runtime), manifest.backendFor(backend));
        try {
            Qnn.check(manifest, runner, new AndroidPlatform(null).device().optString("soc", null));
            runner.load(artifact, manifest, threads);
        } catch (BenchmarkException | RuntimeException e) {
            runner.close();
            throw e;
        }
        return new CloFormerClassifier(runner, manifest);
    }

    public Manifest manifest() {
        return manifest;
    }

    public String backend() {
        return runner.backend();
    }

    /** The k most likely classes of the image (any size: it is resized and center-cropped as the manifest says). */
    public List<TopK.Entry> classify(Bitmap bitmap, int k) throws BenchmarkException {
        int width = bitmap.getWidth();
        int height = bitmap.getHeight();
        int[] argb = new int[width * height];
        bitmap.getPixels(argb, 0, width, 0, 0, width, height);
        float[] image = Preprocess.toNchw(argb, width, height, manifest);
        float[] batch = new float[(int) manifest.inputSize()];
        for (int offset = 0; offset < batch.length; offset += image.length) {
            System.arraycopy(image, 0, batch, offset, image.length); // a batch-N export gets N copies
        }
        long start = System.nanoTime();
        float[] logits = runner.run(batch);
        lastNanos = System.nanoTime() - start;
        return TopK.of(Arrays.copyOf(logits, manifest.numClasses), k, manifest.labels);
    }

    /** How long the last classify() spent in the runtime (preprocessing excluded), in milliseconds. */
    public double lastInferenceMs() {
        return lastNanos / 1e6;
    }

    @Override
    public void close() {
        runner.close();
    }
}
