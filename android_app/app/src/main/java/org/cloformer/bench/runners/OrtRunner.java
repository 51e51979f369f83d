package org.cloformer.bench.runners;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.File;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cloformer.bench.core.BenchmarkException;
import org.cloformer.bench.core.Manifest;
import org.cloformer.bench.core.Runner;

/** ONNX Runtime on a .onnx, with the CPU, XNNPACK or NNAPI execution provider. */
public final class OrtRunner implements Runner {
    /** Backend extra -> the execution provider's name as results report it (the host bench uses the same names). */
    static final Map<String, String> BACKENDS = new LinkedHashMap<>();

    static {
        BACKENDS.put("cpu", "CPUExecutionProvider");
        BACKENDS.put("xnnpack", "XnnpackExecutionProvider");
        BACKENDS.put("nnapi", "NnapiExecutionProvider");
    }

    private final String backend;
    private OrtEnvironment env;
    private OrtSession session;
    private String inputName;
    private long[] shape;

    OrtRunner(String requestedBackend) throws BenchmarkException {
        backend = requestedBackend == null ? "cpu" : requestedBackend;
        if (!BACKENDS.containsKey(backend)) {
            throw new BenchmarkException("unknown onnxruntime backend " + backend + "; choose one of " + BACKENDS.keySet());
        }
    }

    @Override
    public String runtime() {
        return "onnxruntime";
    }

    @Override
    public String version() {
        return OrtEnvironment.getEnvironment().getVersion();
    }

    @Override
    public String backend() {
        return BACKENDS.get(backend);
    }

    @Override
    public void load(File artifact, Manifest manifest, int threads) throws BenchmarkException {
        try {
            env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(threads);
            if (backend.equals("xnnpack")) {
                // XNNPACK brings its own thread pool; ORT's would compete with it (ORT's XNNPACK EP docs).
                options.setIntraOpNumThreads(1);
                options.addXnnpack(Collections.singletonMap("intra_op_num_threads", Integer.toString(threads)));
            } else if (backend.equals("nnapi")) {
                options.addNnapi();
            }
            session = env.createSession(artifact.getPath(), options);
            Map.Entry<String, NodeInfo> input = session.getInputInfo().entrySet().iterator().next();
            inputName = input.getKey();
            long[] declared = ((TensorInfo) input.getValue().getInfo()).getShape();
            shape = manifest.inputShape;
            boolean matches = declared.length == shape.length;
            for (int i = 0; matches && i < declared.length; i++) {
                matches = declared[i] <= 0 || declared[i] == shape[i]; // <= 0: a dynamic dimension
            }
            if (!matches) {
                throw new BenchmarkException("the model's input is " + Arrays.toString(declared) + ", its manifest "
                        + "says " + Arrays.toString(shape) + ": push the manifest written with this artifact");
            }
        } catch (OrtException e) {
            throw new BenchmarkException("ONNX Runtime could not load " + artifact.getName() + " with "
                    + backend() + ": " + e.getMessage());
        }
    }

    @Override
    public float[] run(float[] input) throws BenchmarkException {
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
             OrtSession.Result result = session.run(Collections.singletonMap(inputName, tensor))) {
            FloatBuffer logits = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[] out = new float[logits.remaining()];
            logits.get(out);
            return out;
        } catch (OrtException e) {
            throw new BenchmarkException("ONNX Runtime run failed: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        try {
            if (session != null) {
                session.close();
            }
        } catch (OrtException e) {
            // Closing frees native memory; a failure here leaves nothing the result could use.
        }
        session = null;
    }
}
