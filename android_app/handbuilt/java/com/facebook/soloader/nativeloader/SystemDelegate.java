package com.facebook.soloader.nativeloader;

/** Loads libraries with System.loadLibrary: from the APK's extracted lib/ folder. */
public class SystemDelegate implements NativeLoaderDelegate {
    @Override
    public boolean loadLibrary(String shortName, int flags) {
        System.loadLibrary(shortName);
        return true;
    }

    @Override
    public String getLibraryPath(String libName) {
        return null;
    }

    @Override
    public int getSoSourcesVersion() {
        return 0;
    }
}
