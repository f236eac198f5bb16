"""User-facing errors and warnings: each carries a one-line message the CLI prints as is."""


class OlmError(Exception):
    """A problem with the user's input or environment, explained in one line."""


class StoreError(OlmError):
    """The store is missing, empty or unreadable."""


class StoreWriteError(StoreError):
    """The store cannot be written (read-only, not a folder, no space left, file exists)."""


class InputError(OlmError):
    """An argument is malformed or names something that does not exist."""


class StoreWarning(UserWarning):
    """Readers skipped damaged or foreign files in a store (``olm store check`` lists them)."""
