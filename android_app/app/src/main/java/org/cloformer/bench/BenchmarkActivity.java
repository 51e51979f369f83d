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
import org.cloformer.bench.core.Headless;
import org.cloformer.bench.core.Platform;
import org.cloformer.bench.core.Protocol;
import org.cloformer.bench.runners.Runners;

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
        try {
            File written = Headless.run(extras, defaultRunId, getExternalFilesDir("results"), new Runners(),
                    new Headless.Platforms() {
                        @Override
                        public Platform forSerial(String serial) {
                            return new AndroidPlatform(serial);
                        }
                    }, new Protocol.Progress() {
                        @Override
                        public void update(int done, int total) {
                            if (done % 10 == 0) {
                                Log.i(TAG, "timed " + done + (total > 0 ? " of " + total : ""));
                            }
                        }
                    });
            Log.i(TAG, "result " + written);
        } catch (IOException e) {
            Log.e(TAG, "cannot write the result: " + e.getMessage());
        }
    }
}
