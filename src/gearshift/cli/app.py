"""The Typer application and its global options; the command modules add their commands to it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gearshift import __version__
from gearshift.cli.common import state

app = typer.Typer(
    name="gearshift",
    help="Plan at high effort, implement at medium, review at high; every model call recorded.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
config_app = typer.Typer(help="Inspect settings.", no_args_is_help=True)
app.add_typer(config_app, name="config")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gearshift {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="Ledger file to use (default: .gearshift/ledger.db in the repo)."),
    ] = None,
) -> None:
    state["db"] = db
