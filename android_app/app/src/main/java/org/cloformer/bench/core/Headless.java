package org.cloformer.bench.core;

import java.io.File;
import java.io.IOException;
import java.util.Map;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * A headless run from intent extras to a result file: what BenchmarkActivity does, without Android,
 * so the path from `cloformer-bench android` to the pulled JSON is tested on the JVM too. Wrong extras
 * still give a result, named by the run_id the caller waits for.
 */
public final class Headless {
    /** The device description for a run, given the adb serial the extras carry (or null). */
    public interface Platforms {
        Platform forSerial(String serial);
    }

    private Headless() {}

    public static File run(Map<String, Object> extras, String defaultRunId, File defaultDirectory, Runner.Factory runners,
                           Platforms platforms, Protocol.Progress progress) throws IOException {
        String runId = Extras.runIdOr(extras, defaultRunId);
        File directory = defaultDirectory;
        JSONObject result;
        try {
            Extras parsed = Extras.parse(extras, defaultRunId);
            if (parsed.outputDir != null) {
                directory = new File(parsed.outputDir);
            }
            result = BenchmarkJob.run(parsed.request, runners, platforms.forSerial(parsed.serial), Protocol.SYSTEM_CLOCK,
                    progress);
        } catch (BenchmarkException e) {
            Object artifact = extras.get("artifact");
            Object serial = extras.get("serial");
            try {
                result = Result.failed(platforms.forSerial(serial == null ? null : serial.toString()),
                        artifact == null ? null : artifact.toString(), e.getMessage());
            } catch (JSONException never) {
                throw new IllegalStateException(never); // only non-finite numbers break org.json
            }
        }
        return Result.write(result, directory, runId);
    }
}
