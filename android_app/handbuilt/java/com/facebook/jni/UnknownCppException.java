package com.facebook.jni;

import com.facebook.jni.annotations.DoNotStrip;

/** Thrown by libfbjni.so for a C++ exception of a type fbjni cannot describe. */
@DoNotStrip
public class UnknownCppException extends CppException {
    private static final long serialVersionUID = 1L;

    @DoNotStrip
    public UnknownCppException(String message) {
        super(message);
    }

    @DoNotStrip
    public UnknownCppException() {
        super("Unknown");
    }
}
