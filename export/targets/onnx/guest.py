"""How the emulated ARM64 machine runs an ONNX artifact (`cloformer-bench arm64`): ONNX Runtime's
aarch64 wheel on one thread, in the guest's python3.11. Nothing of cloformer is importable there:
the arm64 platform's guest_main.py loads this file and calls `load`."""


def load(model: str, backend=None):
    """(input shape, run): run takes the float32 input array and returns the logits."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    source = session.get_inputs()[0]
    return source.shape, lambda x: session.run(None, {source.name: x})[0]
