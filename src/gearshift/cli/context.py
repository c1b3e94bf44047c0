"""`gearshift context`: what a step would see of its files, without a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gearshift.cli.app import app
from gearshift.cli.common import JsonOpt, load, print_json, stderr
from gearshift.cli.options import helped


def _paths(values: list[str]) -> list[str]:
    """Paths given comma-separated, repeated, or both."""
    return [path.strip() for value in values for path in value.split(",") if path.strip()]


@app.command("context")
def context_command(
    step: Annotated[
        str,
        typer.Argument(metavar="STEP", help="The step's text: its title, description and acceptance criteria."),
    ],
    files: Annotated[
        list[str],
        typer.Option(
            "--files", metavar="PATHS", help="The files the step changes, from the repository root: a.py,b.py."
        ),
    ],
    read: Annotated[
        list[str] | None,
        typer.Option("--read", metavar="PATHS", help="Files the step only reads (comma-separated or repeated)."),
    ] = None,
    tokens: Annotated[
        int | None,
        typer.Option(
            "--tokens",
            min=1,
            metavar="N",
            help=helped("Token budget.", "context.step_tokens, 24000", "GEARSHIFT_CONTEXT__STEP_TOKENS"),
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """What a step sees of its files: whole when small, else the parts it names, numbered.

    Example: gearshift context "Add a timeout to Client.send" --files httpx/_client.py
    """
    from gearshift.context.step_files import step_context
    from gearshift.context.tokens import counter_for
    from gearshift.paths import find_repo_root

    settings = load().settings
    root = find_repo_root() or Path.cwd().resolve()
    budget = tokens or settings.context.step_tokens
    counter = counter_for(settings.for_phase("implement").model)
    shown = step_context(root, _paths(files), counter, budget=budget, step_text=step, reads=_paths(read or []))
    if as_json:
        print_json(shown.to_json())
        return
    typer.echo(shown.text, nl=False)
    whole = sum(f.whole for f in shown.files)
    stderr().print(
        f"[dim]{len(shown.files)} files ({whole} whole), {shown.tokens:,} of {budget:,} {counter.label}[/dim]"
    )
