"""Atomic writes (temp name, then rename) and content digests for files and bundles."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextmanager
def staged(final: Path) -> Iterator[Path]:
    """Yield a hidden temp path beside `final`; the caller writes there and calls
    `commit(tmp, final)` when done. Whatever is left at the temp path is removed on exit,
    so a failed or interrupted export leaves nothing behind."""
    # Keep the suffix: some converters insist on it. Process and thread in the name: threads writing the
    # same final name (a platform running devices in parallel) must not share a temp file.
    tmp = final.with_name(f".{final.stem}.tmp-{os.getpid()}-{threading.get_ident()}{final.suffix}")
    remove(tmp)
    try:
        yield tmp
    finally:
        remove(tmp)


def commit(tmp: Path, final: Path, overwrite: bool) -> None:
    """Move `tmp` into place. `os.replace` is atomic for files; a directory bundle
    (a directory artifact) replaces an existing one only when `overwrite` allows it."""
    if final.exists():
        if not overwrite:
            raise FileExistsError(final)
        if final.is_dir():
            remove(final)
    os.replace(tmp, final)


def json_object(data: bytes, what: str) -> dict:
    """Strict JSON of an object (no NaN or Infinity, which the apps cannot read): the contracts'
    one reading; a `ValueError` says why the bytes are not one."""
    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    try:
        value = json.loads(data, parse_constant=refuse)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ValueError as e:  # json.JSONDecodeError is one
        raise ValueError(f"not JSON ({e})") from None
    if not isinstance(value, dict):
        raise ValueError(f"field (top level): a {what} is a JSON object, not {type(value).__name__}")
    return value


def _files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())


def size_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in _files(path))


def sha256(path: Path) -> str:
    """Digest of a file, or of a bundle directory (relative paths and contents, sorted)."""
    digest = hashlib.sha256()
    for p in _files(path):
        if path.is_dir():
            digest.update(p.relative_to(path).as_posix().encode() + b"\0")
        with p.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
