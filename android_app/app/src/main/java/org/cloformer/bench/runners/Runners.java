package org.cloformer.bench.runners;

import org.cloformer.bench.core.BenchmarkException;
import org.cloformer.bench.core.Runner;

/** The runtimes this app knows, by the name results use; one that is not in this build says so. */
public final class Runners implements Runner.Factory {
    @Override
    public Runner create(String runtime, String backend) throws BenchmarkException {
        if ("executorch".equals(runtime)) {
            requireClass("org.pytorch.executorch.Module", "ExecuTorch");
            return new ExecuTorchRunner(backend);
        }
        if ("onnxruntime".equals(runtime)) {
            requireClass("ai.onnxruntime.OrtEnvironment", "ONNX Runtime");
            return new OrtRunner(backend);
        }
        if ("litert".equals(runtime)) {
            requireClass("com.google.ai.edge.litert.CompiledModel", "LiteRT");
            return new LiteRtRunner(backend);
        }
        throw new BenchmarkException("unknown runtime " + runtime + "; choose executorch, onnxruntime or litert");
    }

    private static void requireClass(String name, String runtime) throws BenchmarkException {
        try {
            Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new BenchmarkException(runtime + " is not in this build of the app (the hand-built APK carries "
                    + "ExecuTorch only, android_app/README.md); install the Gradle build for " + runtime);
        }
    }
}
