"""How the emulated ARM64 machine runs a LiteRT artifact (`cloformer-bench arm64`): ai-edge-litert's
aarch64 wheel (its interpreter with the default XNNPACK delegate) on one thread, in the guest's
python3.11. Nothing of cloformer is importable there: the arm64 platform's guest_main.py loads this
file and calls `load`."""


def load(model: str, backend=None):
    """(input shape, run): run takes the float32 input array and returns the logits."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=model, num_threads=1)
    interpreter.allocate_tensors()
    source, sink = interpreter.get_input_details()[0], interpreter.get_output_details()[0]

    def run(x):
        interpreter.set_tensor(source["index"], x)
        interpreter.invoke()
        return interpreter.get_tensor(sink["index"])
    return list(source["shape"]), run
