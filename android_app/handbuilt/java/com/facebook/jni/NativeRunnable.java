package com.facebook.jni;

import com.facebook.jni.annotations.DoNotStrip;

/** A Runnable whose run() is C++ (fbjni registers it when it initializes). */
@DoNotStrip
public class NativeRunnable implements Runnable {
    @DoNotStrip
    private final HybridData mHybridData;

    @DoNotStrip
    private NativeRunnable(HybridData hybridData) {
        mHybridData = hybridData;
    }

    @Override
    public native void run();
}
