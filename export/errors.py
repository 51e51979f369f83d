"""Errors that end an export with one line for the user and a fitting exit code."""


class ExportError(Exception):
    """The export ran but failed (e.g. parity above tolerance): exit 1."""

    exit_code = 1


class UsageError(ExportError):
    """Bad input from the user (flags, sizes, checkpoint, paths, missing SDK): exit 2."""

    exit_code = 2


class Unverifiable(Exception):
    """The artifact cannot be run on this machine; the message says why (parity 'unverified')."""
