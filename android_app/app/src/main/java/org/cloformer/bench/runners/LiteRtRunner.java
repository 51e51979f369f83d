package org.cloformer.bench.runners;

import com.google.ai.edge.litert.Accelerator;
import com.google.ai.edge.litert.CompiledModel;
import com.google.ai.edge.litert.TensorBuffer;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cloformer.bench.BuildConfig;
import org.cloformer.bench.core.BenchmarkException;
import org.cloformer.bench.core.Manifest;
import org.cloformer.bench.core.Runner;

/**
 * LiteRT on a .tflite, through its CompiledModel API: the accelerator is chosen at load time, the
 * CPU one (XNNPACK, as the host bench measures it), the GPU or the NPU. A model the accelerator
 * cannot take fails at load with LiteRT's reason.
 */
public final class LiteRtRunner implements Runner {
    /** Backend extra -> LiteRT's accelerator; results name the CPU one "xnnpack", as the host bench does. */
    static final Map<String, Accelerator> BACKENDS = new LinkedHashMap<>();

    static {
        BACKENDS.put("xnnpack", Accelerator.CPU);
        BACKENDS.put("gpu", Accelerator.GPU);
        BACKENDS.put("npu", Accelerator.NPU);
    }

    private final String backend;
    private CompiledModel model;
    private List<TensorBuffer> inputs;
    private List<TensorBuffer> outputs;

    LiteRtRunner(String requestedBackend) throws BenchmarkException {
        backend = requestedBackend == null ? "xnnpack" : requestedBackend;
        if (!BACKENDS.containsKey(backend)) {
            throw new BenchmarkException("unknown litert backend " + backend + "; choose one of " + BACKENDS.keySet());
        }
    }

    @Override
    public String runtime() {
        return "litert";
    }

    @Override
    public String version() {
        return BuildConfig.LITERT_VERSION;
    }

    @Override
    public String backend() {
        return backend;
    }

    @Override
    public void load(File artifact, Manifest manifest, int threads) throws BenchmarkException {
        CompiledModel.Options options = new CompiledModel.Options(BACKENDS.get(backend));
        if (BACKENDS.get(backend) == Accelerator.CPU) {
            options.setCpuOptions(new CompiledModel.CpuOptions(threads, null, null));
        }
        try {
            model = CompiledModel.create(artifact.getPath(), options);
            inputs = model.createInputBuffers();
            outputs = model.createOutputBuffers();
        } catch (Exception e) { // LiteRtException, or an accelerator this phone lacks
            throw new BenchmarkException("LiteRT could not compile " + artifact.getName() + " for " + backend + ": "
                    + e.getMessage());
        }
        if (inputs.size() != 1 || outputs.size() != 1) {
            throw new BenchmarkException(artifact.getName() + " has " + inputs.size() + " inputs and " + outputs.size()
                    + " outputs; a cloformer-export .tflite has one of each");
        }
    }

    @Override
    public float[] run(float[] input) throws BenchmarkException {
        try {
            inputs.get(0).writeFloat(input);
            model.run(inputs, outputs);
            return outputs.get(0).readFloat();
        } catch (Exception e) {
            throw new BenchmarkException("LiteRT run failed (" + backend + "): " + e.getMessage());
        }
    }

    @Override
    public void close() {
        for (List<TensorBuffer> buffers : java.util.Arrays.asList(inputs, outputs)) {
            if (buffers != null) {
                for (TensorBuffer buffer : buffers) {
                    buffer.close();
                }
            }
        }
        if (model != null) {
            model.close();
            model = null;
        }
    }
}
