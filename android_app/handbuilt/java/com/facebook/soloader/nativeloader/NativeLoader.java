package com.facebook.soloader.nativeloader;

/** The one entry point ExecuTorch's Module uses to load libexecutorch.so (isInitialized, init, loadLibrary). */
public final class NativeLoader {
    private static NativeLoaderDelegate delegate;

    private NativeLoader() {}

    public static synchronized boolean isInitialized() {
        return delegate != null;
    }

    public static synchronized void init(NativeLoaderDelegate nativeLoaderDelegate) {
        if (delegate != null) {
            throw new IllegalStateException("NativeLoader is already initialized");
        }
        delegate = nativeLoaderDelegate;
    }

    public static boolean loadLibrary(String shortName) {
        return loadLibrary(shortName, 0);
    }

    public static boolean loadLibrary(String shortName, int flags) {
        NativeLoaderDelegate current;
        synchronized (NativeLoader.class) {
            if (delegate == null) {
                throw new IllegalStateException("NativeLoader.init was not called");
            }
            current = delegate;
        }
        return current.loadLibrary(shortName, flags);
    }
}
