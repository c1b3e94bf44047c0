"""Commands that show what gearshift would decide and see, without a run: route, map."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from gearshift.cli.app import app
from gearshift.cli.common import JsonOpt, load, open_ledger, print_json, spinner, stdout
from gearshift.cli.options import BaseUrl, Model, Provider, Strategy, Transcript, settings_flags
from gearshift.errors import UsageError


@app.command("route")
def route_command(
    task: Annotated[str | None, typer.Argument(help="The task, in words.")] = None,
    as_json: JsonOpt = False,
    classifier: Annotated[
        str | None,
        typer.Option(
            help="rules (default: rules and learned word weights, no model call) or model (classify phase, low effort)."
        ),
    ] = None,
    batch: Annotated[
        Path | None, typer.Option(help="A file of tasks, one a line (- for standard input); prints JSON lines.")
    ] = None,
    strategy: Strategy = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
) -> None:
    """Show the task type and the effort of each phase, with the rule behind every choice, and what
    `gearshift run` will do under the current settings (strategy auto follows the route).

    Example: gearshift route "Add JWT authentication to the API" --json
    """
    from gearshift.gateway import Gateway
    from gearshift.models import make_provider
    from gearshift.paths import find_repo_root
    from gearshift.triage import route_task, run_summary, strategy_source

    flags = settings_flags(strategy=strategy, provider=provider, model=model, base_url=base_url, transcript=transcript)
    if classifier is not None:
        if classifier not in ("rules", "model"):
            raise UsageError(f"unknown classifier {classifier!r}: choose rules or model")
        flags["routing.classifier"] = classifier
    loaded = load(flags)
    settings = loaded.settings
    if (task is None) == (batch is None):
        raise UsageError("give a task, or --batch FILE with one task a line")
    tasks = [task] if task is not None else _read_batch(batch)  # type: ignore[arg-type]
    root = find_repo_root() or Path.cwd()
    where = strategy_source(loaded.source_of("strategy"), root.resolve())
    with open_ledger() as ledger:
        gateway = Gateway(ledger, progress=spinner)
        classify_with = None
        if settings.routing.classifier == "model":
            classify_with = make_provider(settings.for_phase("classify").provider, settings)
        for text in tasks:
            decided, phases = route_task(text, root, settings, gateway=gateway, provider=classify_with)
            run = {
                "strategy": settings.strategy,
                "strategy_set": where,
                "efforts": {name: chosen.effort.value for name, chosen in phases.items()},
                "summary": run_summary(decided, phases, settings.strategy, where),
            }
            if strategy is not None and strategy != "auto":  # what a fixed strategy would do instead
                decided.phases = phases
            result = {**decided.to_json(), "run": run}
            if batch is not None:
                typer.echo(json.dumps({"task": text, **result}))
            elif as_json:
                print_json(result)
            else:
                _print_route(text, result)


def _read_batch(path: Path) -> list[str]:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    tasks = [line.strip() for line in text.splitlines() if line.strip()]
    if not tasks:
        raise UsageError(f"{path} holds no tasks (one a line)")
    return tasks


def _print_route(task: str, result: dict[str, Any]) -> None:
    from rich.table import Table

    console = stdout()
    console.print(
        f"[bold]{task}[/bold]\ntask type: [bold]{result['task_type']}[/bold]  "
        f"({'; '.join(result['facts']['classifier'])})"
    )
    table = Table(show_header=True, title_justify="left")
    table.add_column("phase")
    table.add_column("effort")
    table.add_column("why", overflow="fold")
    for phase, chosen in result["phases"].items():
        table.add_row(phase, chosen["effort"], "\n".join(chosen["reasons"]))
    console.print(table)
    repo = result["facts"].get("repo")
    if repo:
        console.print(
            f"[dim]repository: {repo['code_files']} code files, {repo['lines_of_code']:,} lines,"
            f" {repo['import_edges']} imports between {repo['modules']} modules;"
            f" the task's likely area reaches {repo['area_reach']} modules[/dim]"
        )
    console.print(result["run"]["summary"], markup=False, highlight=False)


@app.command("map")
def map_command(
    task: Annotated[str, typer.Argument(help="The task the map is for.")],
    tokens: Annotated[
        int | None,
        typer.Option(
            "--tokens", min=1, help="Token budget (default: context.map_tokens, else sized for the plan model)."
        ),
    ] = None,
    top: Annotated[int | None, typer.Option("--top", min=1, help="List the K best files, whatever the budget.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """What the planner sees: files ranked by relevance to the task, with their key symbols.

    Example: gearshift map "Add a timeout to Client.send" --tokens 8000
    """
    from gearshift.context.budget import map_budget
    from gearshift.context.repomap import build_map
    from gearshift.paths import cache_dir, find_repo_root

    settings = load().settings
    root = find_repo_root() or Path.cwd().resolve()
    result = build_map(
        root,
        task,
        cache_path=cache_dir(root) / "index.db",
        budget=tokens or map_budget(settings),
        top=top,
        model=settings.for_phase("plan").model,
    )
    if as_json:
        print_json(result.to_json())
        return
    typer.echo(result.render(), nl=False)
    unit = "tokens" if result.exact_tokens else "tokens (estimated)"
    # click's styling, not a rich console: importing rich would add a twentieth of a second to a warm map
    typer.secho(f"{len(result.files)} files, {result.tokens:,} of {result.budget:,} {unit}", err=True, dim=True)
