"""Errors with a message meant for the user: one line naming the problem and the fix."""


class ModelError(ValueError):
    """A bad model name, size or checkpoint."""
