package com.facebook.jni;

import com.facebook.jni.annotations.DoNotStrip;

/** fbjni checks whether a hybrid class derives from this one (detectHybrid); ExecuTorch's do not. */
@DoNotStrip
public abstract class HybridClassBase extends HybridData {}
