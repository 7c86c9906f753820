"""The one exception type the package raises for bad input, so callers (and the CLI) can tell
a user's mistake from a bug: the CLI prints its message on one line and exits non-zero."""


class PoetryGenError(Exception):
    """A problem with the user's input or files, with a message fit to show them as is."""
