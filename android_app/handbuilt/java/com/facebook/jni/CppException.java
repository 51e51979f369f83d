package com.facebook.jni;

import com.facebook.jni.annotations.DoNotStrip;

/** Thrown by libfbjni.so for a C++ exception crossing into Java. */
@DoNotStrip
public class CppException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    @DoNotStrip
    public CppException(String message) {
        super(message);
    }
}
