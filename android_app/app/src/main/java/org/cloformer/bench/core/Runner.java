package org.cloformer.bench.core;

import java.io.File;

/** One runtime executing one artifact: ExecuTorch, ONNX Runtime, or a fake in tests. */
public interface Runner extends AutoCloseable {
    /** As the result schema names it: executorch, onnxruntime. */
    String runtime();

    String version();

    /** The backend or execution provider actually used, e.g. xnnpack, NnapiExecutionProvider. */
    String backend();

    /** Load the artifact (timed by the caller as load_ms); fail with the reason and the fix. */
    void load(File artifact, Manifest manifest, int threads) throws BenchmarkException;

    /** One inference on an NCHW float input of the manifest's shape; the logits. */
    float[] run(float[] input) throws BenchmarkException;

    @Override
    void close();

    /** The QNN runtime (major.minor.patch) this runner loads QNN context binaries with, or null if it runs none. */
    default String qnnRuntimeVersion() {
        return null;
    }

    /** Makes the runner a benchmark asks for: unknown runtimes and backends fail with the valid choices. */
    interface Factory {
        Runner create(String runtime, String backend) throws BenchmarkException;
    }
}
