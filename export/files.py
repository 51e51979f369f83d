"""Atomic writes (temp name, then rename) and content digests for files and bundles."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
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
    _remove_orphans(final)
    try:
        yield tmp
    finally:
        remove(tmp)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _remove_orphans(final: Path) -> None:
    """Temp files of `final` whose writer was killed (kill -9, power loss) before it could clean up."""
    pattern = re.compile(rf"\.{re.escape(final.stem)}\.tmp-(\d+)-\d+{re.escape(final.suffix)}")
    if not final.parent.is_dir():
        return
    for sibling in final.parent.iterdir():
        match = pattern.fullmatch(sibling.name)
        if match and not _alive(int(match.group(1))):
            remove(sibling)


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (flock on the folder itself: nothing is left on disk), so
    that two commands putting files in place there do not interleave (two exports into one --output)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def folder_made(path: Path) -> Iterator[None]:
    """Create `path` (and missing parents); if the body fails, remove again the ones created here
    that are still empty, so a failed command leaves no empty folders behind."""
    created = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        created.append(folder)
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        for folder in created:
            try:
                folder.rmdir()
            except OSError:  # not empty (another command wrote there) or gone
                break
        raise


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
    class OutOfRange(ValueError):
        pass

    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    def finite(literal: str) -> float:
        # A literal beyond a double (1e400, or an integer of 309 digits and more) would be read as
        # inf, or as an integer no app can hold: both are refused, the literal named (cut if long).
        number = float(literal)
        if abs(number) == float("inf"):
            shown = literal if len(literal) <= 40 else literal[:37] + "..."
            raise OutOfRange(f"{shown} is out of range (not a finite number)")
        return number

    def integer(literal: str) -> int:
        finite(literal)
        return int(literal)

    try:
        value = json.loads(data, parse_constant=refuse, parse_float=finite, parse_int=integer)
    except OutOfRange as e:
        raise ValueError(str(e)) from None
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
