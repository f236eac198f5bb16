"""User-facing errors: each carries a one-line message the CLI prints without a traceback."""


class OlmError(Exception):
    """A problem with the user's input or environment, explained in one line."""


class StoreError(OlmError):
    """The store is missing, empty or unreadable."""


class InputError(OlmError):
    """An argument is malformed or names something that does not exist."""
