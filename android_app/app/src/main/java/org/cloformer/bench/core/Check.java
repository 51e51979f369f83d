package org.cloformer.bench.core;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * The output check every run makes before it times: the check bundle written beside the artifact
 * ({@code <artifact>.check/}, the manifest's {@code check}) holds reference inputs and the eager fp32
 * model's outputs; the artifact must reproduce them within its precision's tolerance. The figures
 * are those of export/check.py: max abs diff, SQNR (capped at 200 dB) and top-5 agreement.
 */
public final class Check {
    /** The invalid reason of a failed check, followed by what failed. */
    public static final String FAILED = "outputs differ from the reference: ";
    static final double SQNR_CAP_DB = 200;
    static final int TOP_K = 5;

    /** One reference input and its expected outputs (rows x classes). */
    public static final class Case {
        public final String name;
        public final float[] input;
        public final float[] expected;

        Case(String name, float[] input, float[] expected) {
            this.name = name;
            this.input = input;
            this.expected = expected;
        }
    }

    /** The bundle's cases, or none and why (the artifact was copied without its .check folder). */
    public static final class Bundle {
        public final List<Case> cases;
        public final String absentReason;
        final double maxAbsDiff;
        final double minSqnrDb;

        Bundle(List<Case> cases, String absentReason, double maxAbsDiff, double minSqnrDb) {
            this.cases = cases;
            this.absentReason = absentReason;
            this.maxAbsDiff = maxAbsDiff;
            this.minSqnrDb = minSqnrDb;
        }
    }

    private Check() {}

    /**
     * The bundle beside {@code artifact} as its manifest describes it. No bundle folder: no cases, and why (the
     * run goes on with check absent). A folder that is there but damaged (a file missing, changed since export,
     * unreadable or of another shape) fails the run: checking against it, or quietly not checking, would give a
     * verdict that looks right and is not.
     */
    public static Bundle read(File artifact, Manifest manifest) throws BenchmarkException {
        try {
            JSONObject section = manifest.check;
            JSONObject tolerance = section.getJSONObject("tolerance");
            double maxAbs = tolerance.getDouble("max_abs_diff");
            double minSqnr = tolerance.getDouble("min_sqnr_db");
            String bundle = section.getString("bundle");
            File folder = new File(artifact.getParentFile(), bundle);
            if (!folder.isDirectory()) {
                return new Bundle(new ArrayList<Case>(), bundle + " is missing: copy the artifact's .check folder "
                        + "beside it", 0, 0);
            }
            List<Case> cases = new ArrayList<>();
            JSONArray specs = section.getJSONArray("cases");
            for (int i = 0; i < specs.length(); i++) {
                JSONObject spec = specs.getJSONObject(i);
                float[][] arrays = new float[2][];
                String[] roles = {"input", "expected"};
                for (int r = 0; r < 2; r++) {
                    JSONObject file = spec.getJSONObject(roles[r]);
                    String name = file.getString("file");
                    File path = new File(folder, name);
                    if (!path.isFile()) {
                        throw damaged(bundle, name + " is missing");
                    }
                    byte[] bytes;
                    try {
                        bytes = readAll(path);
                    } catch (IOException e) {
                        throw damaged(bundle, name + " is not a .npy file (cannot read it: "
                                + e.getClass().getSimpleName() + ")");
                    }
                    if (!sha256(bytes).equals(file.getString("sha256"))) {
                        throw damaged(bundle, name + " does not match its manifest's sha256");
                    }
                    String expected = "float32 " + Arrays.toString(longs(file.getJSONArray("shape")));
                    Npy npy;
                    try { // its digest matched: only a manifest edited to fit a bad file gets here
                        npy = Npy.parse(bytes, path.getPath());
                    } catch (Npy.Invalid e) {
                        throw damaged(bundle, e.dtype == null ? name + " is not a .npy file (" + e.detail + ")"
                                : name + " holds " + e.dtype + " " + Arrays.toString(e.shape) + ", not " + expected);
                    }
                    String holds = "float32 " + Arrays.toString(npy.shape);
                    if (!holds.equals(expected)) {
                        throw damaged(bundle, name + " holds " + holds + ", not " + expected);
                    }
                    arrays[r] = npy.data;
                }
                cases.add(new Case(spec.getString("name"), arrays[0], arrays[1]));
            }
            return new Bundle(cases, null, maxAbs, minSqnr);
        } catch (JSONException e) {
            throw new BenchmarkException("manifest check section: " + e.getMessage() + "; re-export the artifact");
        }
    }

    private static BenchmarkException damaged(String bundle, String what) {
        return new BenchmarkException("the check bundle " + bundle + " is damaged: " + what + "; re-export the "
                + "artifact, or copy its .check folder again");
    }

    private static byte[] readAll(File file) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (InputStream in = new FileInputStream(file)) { // android.jar 23: no java.nio.file
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                bytes.write(buffer, 0, n);
            }
        }
        return bytes.toByteArray();
    }

    private static String sha256(byte[] bytes) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every Java platform has SHA-256
        }
        StringBuilder hex = new StringBuilder();
        for (byte b : digest.digest(bytes)) {
            hex.append(String.format(Locale.ROOT, "%02x", b));
        }
        return hex.toString();
    }

    /** The result's {@code check}: every case through the runner, each figure against the tolerance. */
    public static JSONObject run(Bundle bundle, Runner runner, int rows) throws BenchmarkException, JSONException {
        if (bundle.cases.isEmpty()) {
            return absentResult(bundle.absentReason);
        }
        JSONArray figures = new JSONArray();
        List<String> problems = new ArrayList<>();
        for (Case c : bundle.cases) {
            float[] actual = runner.run(c.input);
            if (actual.length != c.expected.length) {
                problems.add(c.name + " returned " + actual.length + " values, expected " + c.expected.length);
                continue;
            }
            if (!allFinite(actual)) {
                problems.add(c.name + " returned NaN or infinite values");
                continue;
            }
            JSONObject row = figures(c.name, c.expected, actual, rows);
            figures.put(row);
            if (row.getDouble("max_abs_diff") > bundle.maxAbsDiff) {
                problems.add(String.format(Locale.ROOT, "%s max abs diff %s > %s", c.name,
                        general(row.getDouble("max_abs_diff"), 3), general(bundle.maxAbsDiff, 6)));
            }
            if (row.getDouble("sqnr_db") < bundle.minSqnrDb) {
                problems.add(String.format(Locale.ROOT, "%s SQNR %.1f dB < %s dB", c.name, row.getDouble("sqnr_db"),
                        general(bundle.minSqnrDb, 6)));
            }
        }
        JSONObject tolerance = new JSONObject().put("max_abs_diff", bundle.maxAbsDiff).put("min_sqnr_db", bundle.minSqnrDb);
        return new JSONObject().put("status", problems.isEmpty() ? "pass" : "fail")
                .put("reason", problems.isEmpty() ? JSONObject.NULL : join(problems))
                .put("tolerance", tolerance).put("cases", figures);
    }

    public static JSONObject absentResult(String reason) throws JSONException {
        return new JSONObject().put("status", "absent").put("reason", reason).put("tolerance", JSONObject.NULL)
                .put("cases", new JSONArray());
    }

    /** Max abs diff, SQNR (dB, capped) and the share of rows whose expected top-1 is in the actual top-5. */
    static JSONObject figures(String name, float[] expected, float[] actual, int rows) throws JSONException {
        double maxAbs = 0;
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = (double) expected[i] - (double) actual[i];
            maxAbs = Math.max(maxAbs, Math.abs(d));
            signal += (double) expected[i] * expected[i];
            noise += d * d;
        }
        double sqnr = noise == 0 ? SQNR_CAP_DB : Math.min(SQNR_CAP_DB, 10 * Math.log10(Math.max(signal, 1e-300) / noise));
        int classes = expected.length / rows;
        int agree = 0;
        for (int r = 0; r < rows; r++) {
            float[] exp = Arrays.copyOfRange(expected, r * classes, (r + 1) * classes);
            float[] act = Arrays.copyOfRange(actual, r * classes, (r + 1) * classes);
            int best = TopK.of(exp, 1).get(0).index;
            for (TopK.Entry e : TopK.of(act, TOP_K)) {
                if (e.index == best) {
                    agree++;
                    break;
                }
            }
        }
        return new JSONObject().put("name", name).put("max_abs_diff", maxAbs)
                .put("sqnr_db", Math.round(sqnr * 100) / 100.0).put("top5_agreement", (double) agree / rows);
    }

    /** Like Python's format(x, ".Ng"): N significant digits, no trailing zeros. */
    static String general(double x, int digits) {
        BigDecimal d = new BigDecimal(x).round(new MathContext(digits)).stripTrailingZeros();
        int exponent = d.precision() - d.scale() - 1;
        return exponent >= -4 && exponent < digits ? d.toPlainString()
                : String.format(Locale.ROOT, "%se%+03d", d.movePointLeft(exponent).toPlainString(), exponent);
    }

    private static String join(List<String> parts) { // android.jar 23 has no String.join
        StringBuilder text = new StringBuilder();
        for (String part : parts) {
            text.append(text.length() == 0 ? "" : "; ").append(part);
        }
        return text.toString();
    }

    private static boolean allFinite(float[] values) {
        for (float v : values) {
            if (Float.isNaN(v) || Float.isInfinite(v)) {
                return false;
            }
        }
        return true;
    }

    private static long[] longs(JSONArray array) throws JSONException {
        long[] values = new long[array.length()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.getLong(i);
        }
        return values;
    }
}
