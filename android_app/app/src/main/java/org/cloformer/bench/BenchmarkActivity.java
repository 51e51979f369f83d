package org.cloformer.bench;

import android.app.Activity;
import android.os.Bundle;
import android.util.Log;
import java.io.File;
import java.io.IOException;
import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.cloformer.bench.core.BenchmarkException;
import org.cloformer.bench.core.BenchmarkJob;
import org.cloformer.bench.core.Extras;
import org.cloformer.bench.core.Protocol;
import org.cloformer.bench.core.Result;
import org.cloformer.bench.runners.Runners;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * The headless benchmark: started by `cloformer-bench android` (or by hand, README) with the intent
 * extras that core.Extras lists, it measures one artifact, writes files/results/&lt;run_id&gt;.json
 * (atomically), and finishes. Every outcome leaves a result file; failures have valid=false.
 */
public final class BenchmarkActivity extends Activity {
    static final String TAG = "CloFormerBench";

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        final Map<String, Object> extras = new HashMap<>();
        Bundle bundle = getIntent().getExtras();
        if (bundle != null) {
            for (String key : bundle.keySet()) {
                extras.put(key, bundle.get(key));
            }
        }
        final String defaultRunId = new SimpleDateFormat("yyyyMMdd-HHmmss", Locale.ROOT).format(new Date());
        // Off the main thread: a measurement takes longer than Android lets the UI thread block.
        new Thread(new Runnable() {
            @Override
            public void run() {
                measureAndWrite(extras, defaultRunId);
                finish();
            }
        }, "benchmark").start();
    }

    private void measureAndWrite(Map<String, Object> extras, String defaultRunId) {
        JSONObject result;
        String runId = Extras.runIdOr(extras, defaultRunId);
        File directory = getExternalFilesDir("results");
        try {
            Extras parsed = Extras.parse(extras, defaultRunId);
            if (parsed.outputDir != null) {
                directory = new File(parsed.outputDir);
            }
            result = BenchmarkJob.run(parsed.request, new Runners(), new AndroidPlatform(parsed.serial),
                    Protocol.SYSTEM_CLOCK, new Protocol.Progress() {
                        @Override
                        public void update(int done, int total) {
                            if (done % 10 == 0) {
                                Log.i(TAG, "timed " + done + (total > 0 ? " of " + total : ""));
                            }
                        }
                    });
        } catch (BenchmarkException e) {
            try {
                Object artifact = extras.get("artifact");
                Object serial = extras.get("serial");
                result = Result.failed(new AndroidPlatform(serial == null ? null : serial.toString()),
                        artifact == null ? null : artifact.toString(), e.getMessage());
            } catch (JSONException never) {
                throw new IllegalStateException(never);
            }
        }
        try {
            File written = Result.write(result, directory, runId);
            Log.i(TAG, "result " + written + (result.optBoolean("valid") ? "" : " (invalid: "
                    + result.optJSONArray("invalid_reasons") + ")"));
        } catch (IOException e) {
            Log.e(TAG, "cannot write the result: " + e.getMessage());
        }
    }
}
