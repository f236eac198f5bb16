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


def io_error_text(exc: BaseException) -> str:
    """The reason of a file-system error in a few words ("No space left on device"), whether
    Python raised it (OSError) or Polars wrapped it ("... IO error: X (os error 28)")."""
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return message.rsplit("IO error: ", 1)[-1].split(" (os error")[0]
