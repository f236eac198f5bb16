"""The `olm` command. User mistakes end in one line on stderr and a non-zero exit.

Warnings that readers raise about a damaged store (:class:`~olmstats.errors.StoreWarning`)
become one ``olm: warning:`` line each on stderr; a reader or file-system error nobody foresaw
still ends in one line (exit 1), never a traceback.
"""

from __future__ import annotations

import sys
import warnings


def _show_store_warnings() -> None:
    from olmstats.errors import StoreWarning

    shown: set[str] = set()
    previous = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, StoreWarning):
            text = str(message)
            if text not in shown:
                shown.add(text)
                sys.stderr.write(f"olm: warning: {text}\n")
            return
        previous(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    warnings.simplefilter("always", StoreWarning)


def main(argv: list[str] | None = None) -> int:
    import polars as pl
    import typer

    from olmstats.cli.app import app
    from olmstats.errors import OlmError

    _show_store_warnings()
    try:
        result = app(args=argv, standalone_mode=False, prog_name="olm")
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        return 130
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        sys.stderr.write(f"olm: error: {exc.format_message()}\n")
        return exc.exit_code
    except OlmError as exc:
        sys.stderr.write(f"olm: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        sys.stderr.write(f"olm: error: reading data failed: {first} (try `olm store check`)\n")
        return 1
    except OSError as exc:
        sys.stderr.write(f"olm: error: {exc.strerror or exc}: {exc.filename or ''}\n")
        return 1
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
