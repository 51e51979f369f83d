package org.cloformer.bench.runners;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cloformer.bench.BuildConfig;
import org.cloformer.bench.core.BenchmarkException;
import org.cloformer.bench.core.Manifest;
import org.cloformer.bench.core.Runner;
import org.pytorch.executorch.EValue;
import org.pytorch.executorch.ExecuTorchRuntime;
import org.pytorch.executorch.Module;
import org.pytorch.executorch.Tensor;

/**
 * ExecuTorch's Java Module on a .pte. The backend is fixed when the .pte is exported (xnnpack,
 * portable, qnn, vulkan); a .pte delegated to a backend this runtime was built without is refused
 * with the backends it has, instead of failing inside the first forward.
 */
public final class ExecuTorchRunner implements Runner {
    private final String requested;
    private Module module;
    private long[] shape;
    private String backend;

    ExecuTorchRunner(String requestedBackend) {
        this.requested = requestedBackend;
    }

    @Override
    public String runtime() {
        return "executorch";
    }

    @Override
    public String version() {
        return BuildConfig.EXECUTORCH_VERSION;
    }

    @Override
    public String backend() {
        return backend;
    }

    @Override
    public void load(File artifact, Manifest manifest, int threads) throws BenchmarkException {
        if (requested != null && !requested.equals(manifest.backend)) {
            throw new BenchmarkException("backend " + requested + " requested, but this .pte was exported for "
                    + manifest.backend + " (an ExecuTorch backend is chosen at export: cloformer-export --target "
                    + "executorch --backend " + requested + ")");
        }
        backend = manifest.backend;
        shape = manifest.inputShape;
        module = Module.load(artifact.getPath(), Module.LOAD_MODE_MMAP, threads);
        List<String> registered = Arrays.asList(ExecuTorchRuntime.getRegisteredBackends());
        List<String> missing = new ArrayList<>();
        for (String used : module.getMethodMetadata("forward").getBackends()) {
            if (!registered.contains(used)) {
                missing.add(used);
            }
        }
        if (!missing.isEmpty()) {
            throw new BenchmarkException("this .pte is delegated to " + missing + ", which this ExecuTorch runtime "
                    + "lacks (it has " + registered + "); export for one of those, or build the app with an "
                    + "ExecuTorch AAR that includes " + missing);
        }
        int status = module.loadMethod("forward");
        if (status != 0) {
            throw new BenchmarkException(String.format(java.util.Locale.ROOT,
                    "ExecuTorch could not load method forward (error 0x%x); `adb logcat -s ExecuTorch` says why", status));
        }
    }

    @Override
    public float[] run(float[] input) throws BenchmarkException {
        try {
            EValue[] outputs = module.forward(EValue.from(Tensor.fromBlob(input, shape)));
            return outputs[0].toTensor().getDataAsFloatArray();
        } catch (RuntimeException e) {
            throw new BenchmarkException("ExecuTorch forward failed on input " + Arrays.toString(shape)
                    + " from the manifest: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        if (module != null) {
            module.destroy();
            module = null;
        }
    }
}
