package com.facebook.jni;

import com.facebook.jni.annotations.DoNotStrip;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/**
 * The Java half of a C++ object (fbjni's HybridData). libfbjni.so creates it with the no-argument
 * constructor, stores the C++ pointer in mDestructor.mNativePointer, and registers
 * Destructor.deleteNative; the object is freed by resetNative() or, once unreachable, by a daemon thread.
 */
@DoNotStrip
public class HybridData {
    @DoNotStrip
    private final Destructor mDestructor = new Destructor(this);

    public synchronized void resetNative() {
        mDestructor.destruct();
    }

    public boolean isValid() {
        return mDestructor.mNativePointer != 0;
    }

    /** Frees the C++ object when its HybridData becomes unreachable (a phantom reference, like fbjni's). */
    public static final class Destructor extends PhantomReference<Object> {
        private static final ReferenceQueue<Object> QUEUE = new ReferenceQueue<>();
        private static final Set<Destructor> LIVE = Collections.synchronizedSet(new HashSet<Destructor>());

        static {
            Thread reaper = new Thread("HybridData destructor") {
                @Override
                public void run() {
                    while (true) {
                        try {
                            Reference<?> gone = QUEUE.remove();
                            ((Destructor) gone).destruct();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            };
            reaper.setDaemon(true);
            reaper.start();
        }

        @DoNotStrip
        private volatile long mNativePointer;

        Destructor(Object referent) {
            super(referent, QUEUE);
            LIVE.add(this);
        }

        synchronized void destruct() {
            long pointer = mNativePointer;
            mNativePointer = 0;
            LIVE.remove(this);
            if (pointer != 0) {
                deleteNative(pointer);
            }
        }

        static native void deleteNative(long pointer);
    }
}
