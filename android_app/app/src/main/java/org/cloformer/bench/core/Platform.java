package org.cloformer.bench.core;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.FileWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.json.JSONObject;

/** What a result needs from the device it ran on; the Android app and the tests each provide one. */
public interface Platform {
    /** The result's `device` object: kind, model, os, soc, cores, serial. */
    JSONObject device();

    /** The app's version, the result's tool.version. */
    String toolVersion();

    /** Proportional set size in MB (Android's Debug.getPss), or null where there is none. */
    Double pssMb();

    /** Peak resident set size of this process in MB since the last reset, or null where unknown. */
    default Double peakRssMb() {
        // java.io, not java.nio.file: the hand-built APK compiles against android.jar API 23, which lacks it.
        try (BufferedReader status = new BufferedReader(new InputStreamReader(
                new FileInputStream("/proc/self/status"), StandardCharsets.UTF_8))) {
            for (String line; (line = status.readLine()) != null; ) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return null;
        }
        return null;
    }

    /** Restart the peak from the current RSS (Linux clear_refs), so it covers one measurement. */
    default void resetPeakRss() {
        try (FileWriter writer = new FileWriter("/proc/self/clear_refs")) {
            writer.write("5");
        } catch (IOException e) {
            // Not writable here (some kernels, some sandboxes): the peak is then the process's since it started.
        }
    }
}
