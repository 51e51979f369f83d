"""Errors that end a command with one line for the user and a fitting exit code. A shared leaf:
every CLI of the package (export, diagnose, bench) raises these and ends through `run_cli`."""
from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable


class CommandError(Exception):
    """A command ran but failed (e.g. parity above tolerance, a device that timed out): exit 1."""

    exit_code = 1


class ExportError(CommandError):
    """An export that failed (parity, fidelity below --min-sqnr): exit 1, nothing written."""


class UsageError(CommandError):
    """Bad input from the user (flags, sizes, checkpoint, paths, missing SDK): exit 2."""

    exit_code = 2


class ManifestError(UsageError):
    """A manifest that cannot be read, breaks its schema or does not describe its artifact."""


class Unverifiable(Exception):
    """The artifact cannot be run on this machine; the message says why (parity 'unverified')."""


class UsageParser(argparse.ArgumentParser):
    """argparse whose errors are usage errors like every other: one line, exit 2 (via run_cli)."""

    def error(self, message: str):
        raise UsageError(f"{message} (see {self.prog} --help)")


def _one_line(text: str) -> str:
    """What the user sees: one line, printable on any terminal (a manifest may hold any unicode:
    line separators, control characters, lone surrogates are shown escaped)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def shortened(text: str, limit: int = 160) -> str:
    """A message quoting a value of unknown size, cut to `limit` characters."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


_OS_FIXES = {errno.EFBIG: "a file-size limit (ulimit -f) stopped the write: raise it",
             errno.ENOSPC: "the disk is full: free space", errno.EDQUOT: "the disk quota is full: free space",
             errno.EACCES: "choose a path you may write to", errno.EPERM: "choose a path you may write to",
             errno.EROFS: "the file system is read-only: choose another path"}


def _os_problem(e: OSError) -> str:
    where = f"{e.filename}: " if e.filename else ""
    return f"{where}{e.strerror or type(e).__name__}" + (f" ({_OS_FIXES[e.errno]})" if e.errno in _OS_FIXES else "")


def run_cli(prog: str, body: Callable[[], None]) -> int:
    """Run a command's body; every failure ends as one line on stderr and an exit code."""
    try:
        body()
        return 0
    except CommandError as e:
        print(_one_line(f"{prog}: error: {e}"), file=sys.stderr)
        return e.exit_code
    except FileExistsError as e:
        # The command checked its outputs before starting: another run wrote this one meanwhile.
        print(_one_line(f"{prog}: error: {e} already exists (another run wrote it meanwhile); nothing of this run "
                        "replaced it: choose another output"), file=sys.stderr)
        return 2
    except OSError as e:  # the disk, a limit or a permission stopped a read or write midway
        print(_one_line(f"{prog}: error: {_os_problem(e)}; nothing half-written was left behind"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing half-written was left behind", file=sys.stderr)
        return 130
    except Exception as e:  # a bug or a library failure: one line unless asked for the traceback
        if os.environ.get("CLOFORMER_DEBUG"):
            raise
        print(_one_line(f"{prog}: error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} "
                        "(set CLOFORMER_DEBUG=1 for the traceback)"), file=sys.stderr)
        return 1
