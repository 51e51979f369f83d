package org.cloformer.bench;

import android.app.Activity;
import android.content.Intent;
import android.graphics.Bitmap;
import android.graphics.BitmapFactory;
import android.net.Uri;
import android.os.Bundle;
import android.provider.MediaStore;
import android.view.View;
import android.widget.ArrayAdapter;
import android.widget.ImageView;
import android.widget.ProgressBar;
import android.widget.Spinner;
import android.widget.TextView;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.cloformer.bench.core.BenchmarkException;
import org.cloformer.bench.core.BenchmarkJob;
import org.cloformer.bench.core.Manifest;
import org.cloformer.bench.core.Protocol;
import org.cloformer.bench.core.Result;
import org.cloformer.bench.core.TopK;
import org.cloformer.bench.runners.Runners;
import org.json.JSONObject;

/** The simple UI: pick a model, classify a photo (top-5 and latency), run the benchmark with progress. */
public final class MainActivity extends Activity {
    private static final int PICK_PHOTO = 1;
    private static final int TAKE_PHOTO = 2;
    private static final String BUNDLED = "models";

    private Spinner models;
    private Spinner backends;
    private ProgressBar progress;
    private ImageView photo;
    private TextView output;
    private final List<File> files = new ArrayList<>();

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        setContentView(R.layout.activity_main);
        models = (Spinner) findViewById(R.id.models);
        backends = (Spinner) findViewById(R.id.backends);
        progress = (ProgressBar) findViewById(R.id.progress);
        photo = (ImageView) findViewById(R.id.photo);
        output = (TextView) findViewById(R.id.output);
        findViewById(R.id.gallery).setOnClickListener(new View.OnClickListener() {
            @Override
            public void onClick(View v) {
                startActivityForResult(new Intent(Intent.ACTION_GET_CONTENT).setType("image/*"), PICK_PHOTO);
            }
        });
        findViewById(R.id.camera).setOnClickListener(new View.OnClickListener() {
            @Override
            public void onClick(View v) {
                startActivityForResult(new Intent(MediaStore.ACTION_IMAGE_CAPTURE), TAKE_PHOTO);
            }
        });
        findViewById(R.id.benchmark).setOnClickListener(new View.OnClickListener() {
            @Override
            public void onClick(View v) {
                benchmark();
            }
        });
    }

    @Override
    protected void onResume() {
        super.onResume();
        listModels();
    }

    /** Artifacts with a manifest beside them: bundled in assets/models (copied out once), or pushed to files/models. */
    private void listModels() {
        files.clear();
        File pushed = getExternalFilesDir(BUNDLED);
        try {
            String[] bundled = getAssets().list(BUNDLED);
            for (String name : bundled == null ? new String[0] : bundled) {
                copyAsset(BUNDLED + "/" + name, new File(getFilesDir(), name));
            }
        } catch (IOException e) {
            output.setText(getString(R.string.hint) + "\n(bundled models unreadable: " + e.getMessage() + ")");
        }
        for (File dir : new File[] {getFilesDir(), pushed}) {
            File[] found = dir == null ? null : dir.listFiles();
            for (File f : found == null ? new File[0] : found) {
                if (runsHere(f)) {
                    files.add(f);
                }
            }
        }
        List<String> names = new ArrayList<>();
        for (File f : files) {
            names.add(f.getName());
        }
        models.setAdapter(new ArrayAdapter<>(this, android.R.layout.simple_spinner_dropdown_item, names));
    }

    /** A file, or a folder (an artifact's .check bundle) with its files. */
    private void copyAsset(String asset, File target) throws IOException {
        String[] children = getAssets().list(asset);
        if (children != null && children.length > 0) {
            if (!target.isDirectory() && !target.mkdirs()) {
                throw new IOException("cannot create " + target);
            }
            for (String child : children) {
                copyAsset(asset + "/" + child, new File(target, child));
            }
            return;
        }
        if (target.isFile()) {
            return;
        }
        File temp = new File(target.getPath() + ".tmp");
        try (InputStream in = getAssets().open(asset); OutputStream out = new FileOutputStream(temp)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
            }
        }
        if (!temp.renameTo(target)) {
            throw new IOException("cannot rename " + temp);
        }
    }

    private File selected() {
        int i = models.getSelectedItemPosition();
        return i >= 0 && i < files.size() ? files.get(i) : null;
    }

    /** An artifact with its manifest beside it, which names a runner of this app. */
    private static boolean runsHere(File f) {
        if (f.getName().endsWith(".json") || !Manifest.pathFor(f).isFile()) {
            return false;
        }
        try {
            return Manifest.read(f).runner != null;
        } catch (BenchmarkException e) {
            return false;
        }
    }

    private String backend() {
        String chosen = (String) backends.getSelectedItem();
        return "default".equals(chosen) ? null : chosen;
    }

    @Override
    protected void onActivityResult(int requestCode, int resultCode, Intent data) {
        super.onActivityResult(requestCode, resultCode, data);
        if (resultCode != RESULT_OK || data == null) {
            return;
        }
        Bitmap bitmap = null;
        if (requestCode == TAKE_PHOTO) {
            Bundle extras = data.getExtras(); // the camera app's preview-size photo, when it returns one
            bitmap = extras == null ? null : (Bitmap) extras.get("data");
        } else if (requestCode == PICK_PHOTO) {
            bitmap = decode(data.getData());
        }
        if (bitmap == null) {
            output.setText("could not read that photo");
            return;
        }
        photo.setImageBitmap(bitmap);
        classify(bitmap);
    }

    /** Decoded at no more than ~1024 px a side: the model sees 224 px, a 48 MP photo would only cost memory. */
    private Bitmap decode(Uri uri) {
        try (InputStream bounds = getContentResolver().openInputStream(uri)) {
            BitmapFactory.Options options = new BitmapFactory.Options();
            options.inJustDecodeBounds = true;
            BitmapFactory.decodeStream(bounds, null, options);
            options.inSampleSize = Math.max(1, Math.max(options.outWidth, options.outHeight) / 1024);
            options.inJustDecodeBounds = false;
            try (InputStream in = getContentResolver().openInputStream(uri)) {
                return BitmapFactory.decodeStream(in, null, options);
            }
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    private void classify(final Bitmap bitmap) {
        final File artifact = selected();
        if (artifact == null) {
            output.setText(getString(R.string.hint));
            return;
        }
        output.setText("classifying with " + artifact.getName() + " …");
        final String backend = backend();
        new Thread(new Runnable() {
            @Override
            public void run() {
                String text;
                try (CloFormerClassifier model = CloFormerClassifier.load(artifact, null, backend, 4)) {
                    StringBuilder lines = new StringBuilder();
                    for (TopK.Entry e : model.classify(bitmap, 5)) {
                        lines.append(e).append('\n');
                    }
                    text = lines.append(String.format(Locale.ROOT, "%s: %.1f ms (first inference, %s)",
                            artifact.getName(), model.lastInferenceMs(), model.backend())).toString();
                } catch (BenchmarkException | RuntimeException e) {
                    text = "cannot classify: " + e.getMessage();
                }
                show(text);
            }
        }).start();
    }

    private void benchmark() {
        final File artifact = selected();
        if (artifact == null) {
            output.setText(getString(R.string.hint));
            return;
        }
        final Protocol protocol = Protocol.defaults();
        progress.setMax(protocol.rounds * protocol.iterations);
        progress.setProgress(0);
        progress.setVisibility(View.VISIBLE);
        output.setText("benchmarking " + artifact.getName() + " …");
        final BenchmarkJob.Request request = new BenchmarkJob.Request(artifact, null, backend(), 4, protocol);
        new Thread(new Runnable() {
            @Override
            public void run() {
                JSONObject result = BenchmarkJob.run(request, new Runners(), new AndroidPlatform(null),
                        Protocol.SYSTEM_CLOCK, new Protocol.Progress() {
                            @Override
                            public void update(final int done, int total) {
                                runOnUiThread(new Runnable() {
                                    @Override
                                    public void run() {
                                        progress.setProgress(done);
                                    }
                                });
                            }
                        });
                show(summary(result));
            }
        }).start();
    }

    private String summary(JSONObject result) {
        String written;
        try {
            String name = new java.text.SimpleDateFormat("yyyyMMdd-HHmmss", Locale.ROOT).format(new java.util.Date());
            written = "written to " + Result.write(result, getExternalFilesDir("results"), "ui-" + name);
        } catch (IOException e) {
            written = "not written: " + e.getMessage();
        }
        JSONObject stats = result.optJSONObject("stats");
        if (stats == null) {
            return "failed: " + result.optJSONArray("invalid_reasons") + "\n" + written;
        }
        JSONObject runtime = result.optJSONObject("runtime");
        return String.format(Locale.ROOT, "%s %s\nmedian %.2f ms  p90 %.2f ms  min %.2f ms\nload %.0f ms  first %.1f ms"
                        + "%s\n%s", runtime.optString("name"), runtime.optString("backend"), stats.optDouble("median"),
                stats.optDouble("p90"), stats.optDouble("min"), result.optDouble("load_ms"), result.optDouble("first_ms"),
                result.optBoolean("valid") ? "" : "\ninvalid: " + result.optJSONArray("invalid_reasons"), written);
    }

    private void show(final String text) {
        runOnUiThread(new Runnable() {
            @Override
            public void run() {
                progress.setVisibility(View.INVISIBLE);
                output.setText(text);
            }
        });
    }
}
