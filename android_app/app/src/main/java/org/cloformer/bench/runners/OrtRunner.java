package org.cloformer.bench.runners;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtEpDevice;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dalvik.system.BaseDexClassLoader;
import java.io.File;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cloformer.bench.BuildConfig;
import org.cloformer.bench.core.BenchmarkException;
import org.cloformer.bench.core.Manifest;
import org.cloformer.bench.core.Qnn;
import org.cloformer.bench.core.Runner;

/**
 * ONNX Runtime on a .onnx, with the CPU, XNNPACK or NNAPI execution provider, or QNN's (the plugin
 * EP com.qualcomm.qti:onnxruntime-android-qnn with the qnn-runtime libraries) for QNN context models.
 */
public final class OrtRunner implements Runner {
    /** Backend extra -> the execution provider's name as results report it (the host bench uses the same names). */
    static final Map<String, String> BACKENDS = new LinkedHashMap<>();
    private static final String QNN_EP = "QNNExecutionProvider";

    static {
        BACKENDS.put("cpu", "CPUExecutionProvider");
        BACKENDS.put("xnnpack", "XnnpackExecutionProvider");
        BACKENDS.put("nnapi", "NnapiExecutionProvider");
        BACKENDS.put(Qnn.BACKEND, QNN_EP);
    }

    private static boolean qnnRegistered; // a plugin EP library is registered once per process

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
            } else if (backend.equals(Qnn.BACKEND)) {
                addQnn(options, manifest);
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
    public String qnnRuntimeVersion() {
        return backend.equals(Qnn.BACKEND) ? BuildConfig.QNN_RUNTIME_VERSION : null;
    }

    /** The QNN EP on the HTP, for a context model compiled off the phone: never falling back to the CPU,
     * and refusing a binary the phone's runtime reports it cannot run rather than letting it fail later. */
    private void addQnn(OrtSession.SessionOptions options, Manifest manifest) throws OrtException, BenchmarkException {
        if (manifest.qnn == null) {
            throw new BenchmarkException("backend qnn runs QNN context models (cloformer-export --target qnn); this "
                    + "artifact is a plain " + manifest.target + " export: choose cpu, xnnpack or nnapi");
        }
        // The QNN libraries sit extracted in the app's native library folder (legacy packaging); an absolute
        // backend path also makes the EP point ADSP_LIBRARY_PATH there, where the DSP skeletons are.
        String htp = ((BaseDexClassLoader) OrtRunner.class.getClassLoader()).findLibrary("QnnHtp");
        if (htp == null) {
            throw new BenchmarkException("libQnnHtp.so is not in this build of the app: build it with the qnn-runtime "
                    + "dependency (android_app/gradle/libs.versions.toml)");
        }
        synchronized (OrtRunner.class) {
            if (!qnnRegistered) {
                env.registerExecutionProviderLibrary(QNN_EP, new File(new File(htp).getParent(),
                        "libonnxruntime_providers_qnn.so").getPath());
                qnnRegistered = true;
            }
        }
        List<OrtEpDevice> devices = new ArrayList<>();
        for (OrtEpDevice device : env.getEpDevices()) {
            if (QNN_EP.equals(device.getEpName())) {
                devices.add(device);
            }
        }
        if (devices.isEmpty()) {
            throw new BenchmarkException("the QNN execution provider found no Hexagon NPU on this phone; QNN context "
                    + "models run on Snapdragon phones only");
        }
        if (env.getModelCompatibilityForEpDevices(devices, manifest.qnn.compatibility)
                == OrtEnvironment.OrtCompiledModelCompatibility.EP_UNSUPPORTED) {
            throw new BenchmarkException("this phone's QNN runtime " + BuildConfig.QNN_RUNTIME_VERSION + " and NPU "
                    + "cannot run the context compiled for " + manifest.qnn.soc + " by QNN " + manifest.qnn.sdkVersion
                    + ": re-export it for this phone with cloformer-export --target qnn --soc <its SoC>");
        }
        Map<String, String> qnn = new HashMap<>();
        qnn.put("backend_path", htp);
        qnn.put("htp_performance_mode", "burst"); // the highest clocks: a benchmark compares best cases
        options.addExecutionProvider(devices, qnn);
        options.addConfigEntry("session.disable_cpu_ep_fallback", "1");
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
