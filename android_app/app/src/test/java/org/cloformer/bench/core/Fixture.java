package org.cloformer.bench.core;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.json.JSONObject;

/**
 * Entry points for tests/android_app (pytest): the Java core's statistics, preprocessing and results
 * checked against the Python implementation and the result schema, which only Python has.
 *
 *   stats LATENCIES_TXT                         -> stats JSON on stdout
 *   preprocess RGBA W H OUT_H OUT_W OUT_F32    -> NCHW float32 (little-endian), manifest normalization
 *   results DIR                                 -> DIR/{measured,sustained,failed}.json
 *   extras --es|--ei|--ef NAME VALUE ...        -> the request Extras.parse reads from `am start` extras, as JSON
 *   headless DIR PERTURBATION --es|--ei|--ef NAME VALUE ...
 *                                               -> what BenchmarkActivity does (Headless.run, a fake runner whose
 *                                                  outputs are the check bundle's x (1 + PERTURBATION)), result in
 *                                                  DIR unless output_dir says otherwise; prints its path
 *   check ARTIFACT PERTURBATION                 -> the output check of a real artifact's bundle (Check.read, .run)
 *                                                  against the bundle's outputs x (1 + PERTURBATION), as JSON
 */
public final class Fixture {
    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "stats": {
                List<String> lines = Files.readAllLines(new File(args[1]).toPath(), StandardCharsets.UTF_8);
                double[] latencies = lines.stream().mapToDouble(Double::parseDouble).toArray();
                JSONObject out = new JSONObject();
                for (Map.Entry<String, Double> e : Stats.summarize(latencies, 0.10).entrySet()) {
                    out.put(e.getKey(), e.getValue());
                }
                System.out.println(out);
                break;
            }
            case "preprocess": {
                byte[] rgba = Files.readAllBytes(new File(args[1]).toPath());
                int w = Integer.parseInt(args[2]);
                int h = Integer.parseInt(args[3]);
                int[] argb = new int[w * h];
                for (int i = 0; i < argb.length; i++) {
                    argb[i] = (rgba[4 * i + 3] & 0xFF) << 24 | (rgba[4 * i] & 0xFF) << 16
                            | (rgba[4 * i + 1] & 0xFF) << 8 | (rgba[4 * i + 2] & 0xFF);
                }
                float[] out = Preprocess.toNchw(argb, w, h, Integer.parseInt(args[4]), Integer.parseInt(args[5]),
                        0.875, 1 / 255f, new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});
                ByteBuffer bytes = ByteBuffer.allocate(4 * out.length).order(ByteOrder.LITTLE_ENDIAN);
                bytes.asFloatBuffer().put(out);
                Files.write(new File(args[6]).toPath(), bytes.array());
                break;
            }
            case "results": {
                File dir = new File(args[1]);
                File artifact = Fakes.artifact(dir, "cloformer_xxs_64x64_executorch_xnnpack_fp32.pte");
                Fakes.FakeRunner runner = new Fakes.FakeRunner(1000);
                Protocol plain = Protocol.defaults();
                Protocol sustained = new Protocol(2, 5, 10, 0.1, 2.0, 0.5);
                write(dir, "measured", BenchmarkJob.run(new BenchmarkJob.Request(artifact, null, null, 4, plain),
                        Fakes.factory(runner), Fakes.PLATFORM, new Fakes.TickingClock(1_000_000), Fakes.NO_PROGRESS));
                write(dir, "sustained", BenchmarkJob.run(new BenchmarkJob.Request(artifact, null, null, 2, sustained),
                        Fakes.factory(runner), Fakes.PLATFORM, new Fakes.TickingClock(50_000_000), Fakes.NO_PROGRESS));
                write(dir, "failed", BenchmarkJob.run(
                        new BenchmarkJob.Request(new File(dir, "missing.pte"), null, null, 4, plain),
                        Fakes.factory(runner), Fakes.PLATFORM, new Fakes.TickingClock(1), Fakes.NO_PROGRESS));
                break;
            }
            case "extras": {
                Extras e = Extras.parse(amExtras(args, 1), "default");
                Protocol p = e.request.protocol;
                System.out.println(new JSONObject().put("artifact", e.request.artifact.getPath()).put("run_id", e.runId)
                        .put("serial", e.serial).put("threads", e.request.threads).put("warmup", p.warmup)
                        .put("rounds", p.rounds).put("iterations", p.iterations)
                        .put("sustained_seconds", p.sustainedSeconds == null ? JSONObject.NULL : p.sustainedSeconds)
                        .put("cooldown_seconds", p.cooldownSeconds)
                        .put("backend", e.request.backend == null ? JSONObject.NULL : e.request.backend));
                break;
            }
            case "headless": {
                File written = Headless.run(amExtras(args, 3), "default", new File(args[1]),
                        Fakes.factory(new Fakes.FakeRunner(1000, Double.parseDouble(args[2]))), new Headless.Platforms() {
                            @Override
                            public Platform forSerial(String serial) {
                                return Fakes.platform(serial);
                            }
                        }, Fakes.NO_PROGRESS);
                System.out.println(written);
                break;
            }
            case "check": {
                File artifact = new File(args[1]);
                Manifest manifest = Manifest.read(artifact);
                Fakes.FakeRunner runner = new Fakes.FakeRunner(
                        (int) (manifest.inputShape[0] * manifest.numClasses), Double.parseDouble(args[2]));
                runner.load(artifact, manifest, 1);
                System.out.println(Check.run(Check.read(artifact, manifest), runner, (int) manifest.inputShape[0]));
                break;
            }
            default:
                throw new IllegalArgumentException("unknown fixture " + args[0]);
        }
    }

    /** `am start` extras (--es / --ei / --ef NAME VALUE triples) as the Bundle would hold them. */
    private static Map<String, Object> amExtras(String[] args, int from) {
        Map<String, Object> extras = new java.util.HashMap<>();
        for (int i = from; i + 2 < args.length + 1; i += 3) {
            String value = args[i + 2];
            extras.put(args[i + 1], args[i].equals("--ei") ? (Object) Integer.valueOf(value)
                    : args[i].equals("--ef") ? (Object) Float.valueOf(value) : value);
        }
        return extras;
    }

    private static void write(File dir, String name, JSONObject result) throws Exception {
        Result.write(result, dir, name);
    }
}
