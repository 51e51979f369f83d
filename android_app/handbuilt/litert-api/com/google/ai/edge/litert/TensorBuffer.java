package com.google.ai.edge.litert;

/** Compile-only stand-in (never packaged): the calls LiteRtRunner makes on LiteRT's TensorBuffer. */
public final class TensorBuffer implements AutoCloseable {
    private TensorBuffer() {}

    public void writeFloat(float[] data) throws LiteRtException {
        throw new UnsupportedOperationException("compile-only stand-in");
    }

    public float[] readFloat() throws LiteRtException {
        throw new UnsupportedOperationException("compile-only stand-in");
    }

    @Override
    public void close() {}
}
