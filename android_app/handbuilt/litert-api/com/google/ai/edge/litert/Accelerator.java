package com.google.ai.edge.litert;

/** Compile-only stand-in (never packaged): the signature of LiteRT's Kotlin enum, see ../../../../../../README.md. */
public enum Accelerator {
    NONE, CPU, GPU, NPU
}
