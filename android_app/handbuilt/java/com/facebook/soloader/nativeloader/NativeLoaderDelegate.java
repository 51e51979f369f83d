package com.facebook.soloader.nativeloader;

/** How NativeLoader loads a native library. */
public interface NativeLoaderDelegate {
    int SKIP_MERGED_JNI_ONLOAD = 1;

    boolean loadLibrary(String shortName, int flags);

    String getLibraryPath(String libName);

    int getSoSourcesVersion();
}
