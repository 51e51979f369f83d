package com.facebook.jni;

import com.facebook.jni.annotations.DoNotStrip;

/** Thrown by libfbjni.so for a C++ std::system_error, with its error code. */
@DoNotStrip
public class CppSystemErrorException extends CppException {
    private static final long serialVersionUID = 1L;

    private final int errorCode;

    @DoNotStrip
    public CppSystemErrorException(String message, int errorCode) {
        super(message);
        this.errorCode = errorCode;
    }

    public int getErrorCode() {
        return errorCode;
    }
}
