"""The command line: parse, call the library, render. No logic here that the library lacks.

Imports point one way: this module imports the command modules, which import ``app`` and
``common``; heavy modules (pydantic, the SDKs, rich tables) are imported inside the commands
that need them, so that ``gearshift --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
import time

from gearshift.cli import apply, calls, context, evidence, route, runs  # noqa: F401  (importing them registers their commands)
from gearshift.cli.app import app
from gearshift.errors import GearshiftError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: one clear line for every error a user can cause; a traceback only on request."""
    started = time.monotonic()
    try:
        app()
    except GearshiftError as exc:
        if os.environ.get("GEARSHIFT_DEBUG"):
            import traceback

            traceback.print_exc()
        print(f"gearshift: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print(f"gearshift: interrupted after {time.monotonic() - started:.1f}s", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("GEARSHIFT_DEBUG"):
            raise
        print(
            f"gearshift: internal error: {type(exc).__name__}: {exc} (GEARSHIFT_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        sys.exit(1)
