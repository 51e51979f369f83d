package org.cloformer.bench.core;

import java.io.File;
import java.io.FileWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
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
        try {
            List<String> lines = Files.readAllLines(new File("/proc/self/status").toPath(), StandardCharsets.UTF_8);
            for (String line : lines) {
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
