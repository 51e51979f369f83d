"""Runs inside the emulated ARM64 userland (its python3.11 and aarch64 wheels; nothing of
cloformer is importable there): the Python runtimes' side of `cloformer-bench arm64`.

guest_runner.py MODEL OUTDIR MEASURED INPUT.bin...   (same contract as et_runner.cpp)
  runs the model once per input (raw float32 in, OUTDIR/output<i>.bin raw float32 out), then
  MEASURED more times on the first input, each between two marks for the instruction counter.
"""
import os
import sys

import numpy as np

MARK = 0x7C10F0  # count_insns.c records the count at close(MARK)


def mark() -> None:
    try:
        os.close(MARK)
    except OSError:  # EBADF, which is the point
        pass


def onnxruntime(model: str):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    source = session.get_inputs()[0]
    return source.shape, lambda x: session.run(None, {source.name: x})[0]


def litert(model: str):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=model, num_threads=1)
    interpreter.allocate_tensors()
    source, sink = interpreter.get_input_details()[0], interpreter.get_output_details()[0]

    def run(x):
        interpreter.set_tensor(source["index"], x)
        interpreter.invoke()
        return interpreter.get_tensor(sink["index"])
    return list(source["shape"]), run


def main(model: str, outdir: str, measured: str, *inputs: str) -> None:
    shape, run = (litert if model.endswith(".tflite") else onnxruntime)(model)
    mark()  # loaded
    arrays = [np.fromfile(path, dtype="<f4").reshape(shape) for path in inputs]
    for i, x in enumerate(arrays):
        np.ascontiguousarray(run(x), dtype="<f4").tofile(os.path.join(outdir, f"output{i}.bin"))
    for _ in range(int(measured)):
        mark()
        run(arrays[0])
        mark()


if __name__ == "__main__":
    main(*sys.argv[1:])
