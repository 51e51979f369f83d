package org.cloformer.bench.core;

/** A run that cannot be measured; its message is the `invalid_reasons` entry (problem, then the fix). */
public class BenchmarkException extends Exception {
    private static final long serialVersionUID = 1L;

    public BenchmarkException(String message) {
        super(message);
    }

    public BenchmarkException(String message, Throwable cause) {
        super(message, cause);
    }
}
