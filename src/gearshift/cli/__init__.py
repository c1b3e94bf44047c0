"""The command line: parse, call the library, render. No logic here that the library lacks.

Imports point one way: this module imports the command modules, which import ``app`` and
``common``; heavy modules (pydantic, the SDKs, rich tables) are imported inside the commands
that need them, so that ``gearshift --help`` starts fast.
"""

from __future__ import annotations

import os
import sys

import typer

from gearshift.cli import apply, calls, context, evidence, history, mcp, route, runs  # noqa: F401  (importing them registers their commands)
from gearshift.cli.app import app, click, house_style
from gearshift.errors import GearshiftError

__all__ = ["app", "main"]

house_style(app)


def main() -> None:
    """Entry point: one clear line for every error a user can cause; a traceback only on request."""
    try:
        code = app(standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        print(f"gearshift: {_usage_line(exc)}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("gearshift: aborted", file=sys.stderr)
        sys.exit(130)
    except GearshiftError as exc:
        if os.environ.get("GEARSHIFT_DEBUG"):
            import traceback

            traceback.print_exc()
        print(f"gearshift: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("gearshift: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("GEARSHIFT_DEBUG"):
            raise
        print(
            f"gearshift: internal error: {type(exc).__name__}: {exc} (GEARSHIFT_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _usage_line(exc: click.ClickException) -> str:
    """A usage mistake in one line, with where to read more: `--max-usd -1`, an unknown option."""
    message = "; ".join(line.strip() for line in exc.format_message().splitlines() if line.strip())
    where = getattr(exc, "ctx", None)
    if where is None:
        return message
    return f"{message} (see: {where.command_path} --help)"
