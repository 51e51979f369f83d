"""Errors that end a command with one line for the user and a fitting exit code."""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable


class ExportError(Exception):
    """The export ran but failed (e.g. parity above tolerance): exit 1."""

    exit_code = 1


class UsageError(ExportError):
    """Bad input from the user (flags, sizes, checkpoint, paths, missing SDK): exit 2."""

    exit_code = 2


class Unverifiable(Exception):
    """The artifact cannot be run on this machine; the message says why (parity 'unverified')."""


class UsageParser(argparse.ArgumentParser):
    """argparse whose errors are usage errors like every other: one line, exit 2 (via run_cli)."""

    def error(self, message: str):
        raise UsageError(f"{message} (see {self.prog} --help)")


def run_cli(prog: str, body: Callable[[], None]) -> int:
    """Run a command's body; every failure ends as one line on stderr and an exit code."""
    try:
        body()
        return 0
    except ExportError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return e.exit_code
    except FileExistsError as e:
        print(f"{prog}: error: {e} already exists; pass --overwrite to replace it", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing half-written was left behind", file=sys.stderr)
        return 130
    except Exception as e:  # a bug or a library failure: one line unless asked for the traceback
        if os.environ.get("CLOFORMER_DEBUG"):
            raise
        print(f"{prog}: error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} "
              "(set CLOFORMER_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1
