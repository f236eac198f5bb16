"""The `olm` command. User mistakes end in one line on stderr and a non-zero exit."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    import typer

    from olmstats.cli.app import app
    from olmstats.errors import OlmError

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
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
