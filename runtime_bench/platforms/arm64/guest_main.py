"""Runs inside the emulated ARM64 userland (its python3.11 and aarch64 wheels; nothing of
cloformer is importable there): the Python guests' side of `cloformer-bench arm64`.

guest_main.py LOADER BACKEND MODEL OUTDIR MEASURED INPUT.bin...
  LOADER is a target's guest file (its `Guest.loader`), whose `load(MODEL, BACKEND)` returns the
  input shape and a run function (BACKEND: the manifest's, "-" when it names none). Runs the model
  once per input (raw float32 in, OUTDIR/output<i>.bin raw float32 out), then MEASURED more times
  on the first input, each between two marks for the instruction counter. A native guest program takes the same arguments after BACKEND.
"""
import importlib.util
import os
import sys

import numpy as np

MARK = 0x7C10F0  # count_insns.c records the count at close(MARK)


def mark() -> None:
    try:
        os.close(MARK)
    except OSError:  # EBADF, which is the point
        pass


def main(loader: str, backend: str, model: str, outdir: str, measured: str, *inputs: str) -> None:
    spec = importlib.util.spec_from_file_location("guest_loader", loader)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shape, run = module.load(model, None if backend == "-" else backend)
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
