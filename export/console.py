"""What the commands print and what they keep the libraries from printing. A shared leaf."""
from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager


class Progress:
    """Prints each step as it starts and its seconds when it ends (stderr; --quiet silences)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        if not self.quiet:
            print(f"{label} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        yield
        if not self.quiet:
            print(f"{label}: done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)


def quiet_libraries(loggers: tuple[str, ...] = ()) -> None:
    """The exporters log and warn a lot that is not the user's business (e.g. torchao's
    optional CUDA kernels, 'torch 2.13 untested' notices); our own progress says what ran.
    `loggers`: the libraries' own (each target names those of its libraries)."""
    for name in ("torch", "torchao", *loggers):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning)


@contextmanager
def native_output_silenced(stdout: bool = False) -> Iterator[None]:
    """Runtimes and converters written in C++ log straight to fd 2 (and some to fd 1), below
    Python's sys.stderr: redirect the file descriptors themselves. CLOFORMER_DEBUG=1 keeps them."""
    if os.environ.get("CLOFORMER_DEBUG"):
        yield
        return
    fds = (1, 2) if stdout else (2,)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(fd) for fd in fds]
    try:
        with open(os.devnull, "wb") as devnull:
            for fd in fds:
                os.dup2(devnull.fileno(), fd)
        yield
    finally:
        for fd, copy in zip(fds, saved):
            os.dup2(copy, fd)
            os.close(copy)


@contextmanager
def library_chatter_hidden() -> Iterator[None]:
    """Exporters write progress bars and notices to stderr and stdout (one bar per compiler pass,
    conversion steps); our own progress lines say what runs."""
    if os.environ.get("CLOFORMER_DEBUG"):
        yield
        return
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()), \
            native_output_silenced(stdout=True):
        yield
