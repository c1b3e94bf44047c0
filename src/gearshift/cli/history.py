"""The record of runs: runs, show, undo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gearshift.cli.app import app
from gearshift.cli.common import JsonOpt, open_ledger, print_json, run_names, say, stderr, stdout, width
from gearshift.cli.runs import RunArg, _session

RUNS_JSON_KEYS = (
    "id",
    "task",
    "strategy",
    "status",
    "steps_done",
    "steps_total",
    "tokens",
    "cost_usd",
    "branch",
    "base_commit",
    "created_at",
    "message",
)


@app.command()
def runs(
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, metavar="N", help="How many runs to list.")] = 20,
) -> None:
    """List runs, newest first: task, strategy, status, steps done, tokens, cost.

    The run column is each id's unique part, what `show`, `resume` and the others accept.

    Example: gearshift runs -n 5
    """
    with open_ledger() as ledger:
        rows = ledger.runs(limit=limit)
        names = run_names(ledger)
    if as_json:
        print_json([{key: row[key] for key in RUNS_JSON_KEYS} for row in rows])
        return
    if not rows:
        stderr().print('no runs yet; start one with: gearshift run "your task"')
        return
    from gearshift.report import runs_table

    stdout().print(runs_table(rows, width=width(), runs=names))


@app.command()
def show(run_arg: RunArg = None, as_json: JsonOpt = False) -> None:
    """A run: its plan, its steps with status and every attempt's effort, its review, its tokens per phase.

    Example: gearshift show 6bf7 --json
    """
    from gearshift.runs import RunStore

    with open_ledger() as ledger:
        run_id = ledger.resolve_run(run_arg)
        row = ledger.get_run(run_id) or {}
        # the artifacts are in the run's own repository, wherever the ledger was opened from
        details = RunStore(Path(row.get("repo_root") or Path.cwd()), ledger).describe(run_id)
        calls = ledger.calls(run_id=run_id)
    from gearshift.report import step_attempts

    attempts = step_attempts(calls)  # every call of each step: its implementation, retries, fixes
    for step in details["steps"]:
        step["calls"] = attempts.get(step["step_id"], [])
    if as_json:
        print_json(details)
        return
    from gearshift.report import (
        efforts_text,
        findings_text,
        phase_table,
        route_text,
        run_panel,
        steps_table,
        tests_at_base_text,
    )

    console = stdout()
    console.print(run_panel(details["run"], details["plan"], details["review"]))
    if details["route"]:
        console.print(route_text(details["route"]))
    if details["steps"]:
        console.print(steps_table(details["steps"], width=console.width))
        if (why := efforts_text(details["steps"])) is not None:
            console.print(why)
        if (probes := tests_at_base_text(details["steps"])) is not None:
            console.print(probes)
    if details["phases"]:
        console.print(phase_table(details["phases"], width=console.width))
    if details["antipatterns"] is not None:
        console.print(findings_text(details["antipatterns"]))


@app.command()
def undo(run_arg: RunArg = None) -> None:
    """Put a run's branch back to its base commit; its commits stay under refs/gearshift/undone/.

    Example: gearshift undo 6bf7
    """
    with _session() as session:
        run_id = session.resolve(run_arg)
        workflow = session.workflow
        old = workflow.undo(run_id)
        run = workflow.get_run(run_id)
        say(
            f"branch {run.branch} is back at {(run.base_commit or '')[:10]}; the undone work is kept at"
            f" refs/gearshift/undone/{run_id} ({old[:10]}): git switch -c restored refs/gearshift/undone/{run_id}"
        )
