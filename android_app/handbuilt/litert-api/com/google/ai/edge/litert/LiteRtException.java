package com.google.ai.edge.litert;

/** Compile-only stand-in (never packaged): what LiteRT's calls declare they throw (Kotlin @Throws). */
public class LiteRtException extends Exception {
    public LiteRtException(String message) {
        super(message);
    }
}
