package com.facebook.jni;

import com.facebook.jni.annotations.DoNotStrip;

/** fbjni runs C++ on a thread attached with the app's class loader through this class. */
@DoNotStrip
public final class ThreadScopeSupport {
    private ThreadScopeSupport() {}

    @DoNotStrip
    private static void runStdFunction(long functionPointer) {
        runStdFunctionImpl(functionPointer);
    }

    private static native void runStdFunctionImpl(long functionPointer);
}
