package com.google.ai.edge.litert;

import java.util.List;

/**
 * Compile-only stand-in (never packaged): the Java view of the calls LiteRtRunner makes on LiteRT's
 * Kotlin CompiledModel (@JvmStatic / @JvmOverloads create, buffers, run; Options and CpuOptions).
 */
public final class CompiledModel implements AutoCloseable {
    private CompiledModel() {}

    /** Kotlin: class CpuOptions(val numThreads: Int?, val xnnPackFlags: Int?, val xnnPackWeightCachePath: String?). */
    public static final class CpuOptions {
        public CpuOptions(Integer numThreads, Integer xnnPackFlags, String xnnPackWeightCachePath) {}
    }

    /** Kotlin: class Options(vararg accelerators: Accelerator) { var cpuOptions: CpuOptions? }. */
    public static final class Options {
        public Options(Accelerator... accelerators) {}

        public void setCpuOptions(CpuOptions options) {}
    }

    public static CompiledModel create(String filePath, Options options) throws LiteRtException {
        throw new UnsupportedOperationException("compile-only stand-in");
    }

    public List<TensorBuffer> createInputBuffers() throws LiteRtException {
        throw new UnsupportedOperationException("compile-only stand-in");
    }

    public List<TensorBuffer> createOutputBuffers() throws LiteRtException {
        throw new UnsupportedOperationException("compile-only stand-in");
    }

    public void run(List<TensorBuffer> inputs, List<TensorBuffer> outputs) throws LiteRtException {
        throw new UnsupportedOperationException("compile-only stand-in");
    }

    @Override
    public void close() {}
}
