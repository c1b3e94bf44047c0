"""What every command shares: the consoles, the spinner, the ledger and settings as the flags say.

No command module imports another; they all import this one and ``gearshift.cli.app``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from gearshift.ledger import Ledger
    from gearshift.settings import LoadedSettings

# set by the global options (see gearshift.cli.app) before any command runs
state: dict[str, Any] = {"db": None}

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def stderr() -> Console:
    from rich.console import Console

    # status lines on a pipe or in a CI log are not wrapped at 80 columns
    return Console(stderr=True, soft_wrap=not sys.stderr.isatty())


def stdout() -> Console:
    from rich.console import Console

    # a terminal's own width; on a pipe or in a file COLUMNS when it is set, else wide, not 80 columns
    return Console() if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit() else Console(width=200)


def width() -> int:
    """The width tables are laid out for: stdout's, as ``stdout()`` sees it."""
    return stdout().width


def say(message: str) -> None:
    stderr().print(f"[dim]gearshift:[/dim] {message}", highlight=False)


def print_json(data: Any) -> None:
    from gearshift.report import as_json

    typer.echo(as_json(data))


def open_ledger() -> Ledger:
    from gearshift.ledger import Ledger
    from gearshift.paths import default_db_path, find_repo_root

    path = state["db"] or default_db_path(find_repo_root())
    return Ledger(Path(path))


def run_names(ledger: Ledger) -> dict[str, str]:
    """Every run id of the ledger -> its unique part, as tables show it."""
    from gearshift.report import short_ids

    return short_ids(ledger.find_runs(""))


def short_id(ledger: Ledger, run_id: str) -> str:
    """A run id's unique part: what a user types to name it (`gearshift resume 6bf7`)."""
    return run_names(ledger).get(run_id, run_id)


def load(flags: dict[str, Any] | None = None) -> LoadedSettings:
    from gearshift.settings import load_settings

    return load_settings(flags=flags)


@contextmanager
def spinner(label: str) -> Iterator[None]:
    """A spinner with elapsed time on a terminal; nothing at all on a pipe."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=stderr(),
        transient=True,
    ) as progress:
        progress.add_task(f"waiting for {label}", total=None)
        yield
