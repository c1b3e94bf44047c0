"""The workflow's commands: run, plan, implement, review, resume, runs, show, undo."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gearshift.cli.app import app
from gearshift.cli.common import JsonOpt, load, open_ledger, print_json, say, spinner, stderr, stdout
from gearshift.cli.options import (
    BaseUrl,
    EffortImplement,
    EffortPlan,
    EffortReview,
    MaxTokens,
    MaxUsd,
    Model,
    Provider,
    Record,
    Strategy,
    TestCmd,
    Transcript,
    settings_flags,
)
from gearshift.errors import UsageError

if TYPE_CHECKING:
    from gearshift.workflow import Approve, Workflow

TaskArg = Annotated[
    str | None, typer.Argument(metavar="TASK", help="What to build or fix, in words; - reads it from standard input.")
]
TaskFile = Annotated[Path | None, typer.Option("--task-file", help="Read the task from this file.")]
MAX_TASK_CHARS = 64_000  # a task is a request, not a document: the planner can read files


def read_task(task: str | None, task_file: Path | None) -> str:
    """The task from the argument, standard input (-) or --task-file; one line when it cannot be had."""
    if (task is None) == (task_file is None):
        raise UsageError("give the task as an argument, as - for standard input, or with --task-file FILE")
    if task_file is not None:
        try:
            text = task_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the task from {task_file}: {exc}") from None
    else:
        text = sys.stdin.read() if task == "-" else str(task)
    if len(text) > MAX_TASK_CHARS:
        raise UsageError(
            f"the task is {len(text) // 1000} KB, more than the {MAX_TASK_CHARS // 1000} KB a task may be;"
            " put the detail in a file in the repository and name it in the task: the planner can read it"
        )
    return text


RunArg = Annotated[
    str | None, typer.Argument(metavar="RUN", help="Run id, or any unique part of one (default: the newest run).")
]


@contextmanager
def _workflow(record: Path | None = None, **given: Any) -> Iterator[Workflow]:
    from gearshift.workflow import Workflow

    settings = load(settings_flags(**given)).settings
    with Workflow.open(
        Path.cwd(), settings=settings, say=say, progress=spinner, ledger_path=_ledger_path(), record_to=record
    ) as workflow:
        yield workflow


def _ledger_path() -> Path | None:
    from gearshift.cli.common import state

    db = state["db"]
    return Path(db) if db else None


def _approve(yes: bool) -> Approve:
    def approve(plan_md: str, path: Path) -> bool:
        if yes:
            return True
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            return False
        from rich.markdown import Markdown

        stdout().print(Markdown(plan_md))
        return typer.confirm(f"Implement this plan? (you can edit {path} first and answer later)", default=False)

    return approve


def _phase_summary(workflow: Workflow, run_id: str) -> None:
    from gearshift.report import phase_table

    rows = workflow.ledger.phase_totals(run_id)
    if rows:
        stdout().print(phase_table(rows, title=f"Run {run_id}: tokens per phase"))


def _finish_note(workflow: Workflow, run_id: str) -> None:
    run = workflow.get_run(run_id)
    if run.status == "done":
        say(f"done: branch {run.branch}, review in {workflow.runs.review_markdown_path(run_id)}")


@app.command()
def run(
    task: TaskArg = None,
    task_file: TaskFile = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Implement the plan without asking.")] = False,
    worktree: Annotated[bool, typer.Option(help="Work in a separate git worktree; leave this checkout as is.")] = False,
    test_cmd: TestCmd = None,
    strategy: Strategy = None,
    effort_plan: EffortPlan = None,
    effort_implement: EffortImplement = None,
    effort_review: EffortReview = None,
    max_tokens: MaxTokens = None,
    max_usd: MaxUsd = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
    record: Record = None,
) -> None:
    """Plan at high effort, implement step by step at medium, review at high."""
    from gearshift.workflow import RunOptions

    with _workflow(**locals()) as workflow:
        result = workflow.run(
            read_task(task, task_file), RunOptions(test_cmd=test_cmd, worktree=worktree), _approve(yes)
        )
        if result.status == "planned" and not yes:
            say(f"plan only, no terminal to approve it on; next: gearshift implement {result.run_id} (or --yes)")
        _phase_summary(workflow, result.run_id)
        _finish_note(workflow, result.run_id)


@app.command()
def plan(
    task: TaskArg = None,
    task_file: TaskFile = None,
    worktree: Annotated[bool, typer.Option(help="Implement later in a separate git worktree.")] = False,
    test_cmd: TestCmd = None,
    strategy: Strategy = None,
    effort_plan: EffortPlan = None,
    effort_implement: EffortImplement = None,
    effort_review: EffortReview = None,
    max_tokens: MaxTokens = None,
    max_usd: MaxUsd = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
    record: Record = None,
) -> None:
    """Make the plan and stop; edit .gearshift/runs/<id>/plan.md, then `gearshift implement`."""
    from gearshift.workflow import RunOptions

    with _workflow(**locals()) as workflow:
        run_id = workflow.plan(read_task(task, task_file), RunOptions(test_cmd=test_cmd, worktree=worktree))
        typer.echo(run_id)
        say(f"next: edit {workflow.runs.plan_markdown_path(run_id)} if you like, then: gearshift implement {run_id}")


@app.command()
def implement(
    run_arg: RunArg = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
    record: Record = None,
) -> None:
    """Implement a run's (edited) plan, step by step."""
    with _workflow(**locals()) as workflow:
        run_id = workflow.runs.resolve(run_arg)
        workflow.implement(run_id)
        say(f"implemented; next: gearshift review {run_id}")
        _phase_summary(workflow, run_id)


@app.command()
def review(
    run_arg: RunArg = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
    record: Record = None,
) -> None:
    """Review a run's result against its plan."""
    with _workflow(**locals()) as workflow:
        run_id = workflow.runs.resolve(run_arg)
        workflow.review(run_id)
        typer.echo(workflow.runs.review_markdown_path(run_id).read_text(encoding="utf-8"))
        _phase_summary(workflow, run_id)


@app.command()
def resume(
    run_arg: RunArg = None,
    max_tokens: MaxTokens = None,
    max_usd: MaxUsd = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
    record: Record = None,
) -> None:
    """Continue an interrupted run where it stopped (a larger budget may be given)."""
    with _workflow(**locals()) as workflow:
        run_id = workflow.runs.resolve(run_arg)
        workflow.resume(run_id, max_tokens=max_tokens, max_usd=max_usd)
        _phase_summary(workflow, run_id)
        _finish_note(workflow, run_id)


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
def runs(as_json: JsonOpt = False, limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 20) -> None:
    """List runs: task, strategy, status, steps done, tokens, cost."""
    with open_ledger() as ledger:
        rows = ledger.runs(limit=limit)
    if as_json:
        print_json([{key: row[key] for key in RUNS_JSON_KEYS} for row in rows])
        return
    if not rows:
        stderr().print('no runs yet; start one with: gearshift run "your task"')
        return
    from gearshift.report import runs_table

    stdout().print(runs_table(rows))


@app.command()
def show(run_arg: RunArg = None, as_json: JsonOpt = False) -> None:
    """A run: its plan, its steps with status and effort, its review, its tokens per phase."""
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
    from gearshift.report import findings_text, phase_table, route_text, run_panel, steps_table, tests_at_base_text

    console = stdout()
    console.print(run_panel(details["run"], details["plan"], details["review"]))
    if details["route"]:
        console.print(route_text(details["route"]))
    if details["steps"]:
        console.print(steps_table(details["steps"]))
        if (probes := tests_at_base_text(details["steps"])) is not None:
            console.print(probes)
    if details["phases"]:
        console.print(phase_table(details["phases"]))
    if details["antipatterns"] is not None:
        console.print(findings_text(details["antipatterns"]))


@app.command()
def undo(run_arg: RunArg = None) -> None:
    """Put a run's branch back to its base commit (its commits stay reachable under refs/gearshift/undone/)."""
    with _workflow() as workflow:
        run_id = workflow.runs.resolve(run_arg)
        old = workflow.undo(run_id)
        run = workflow.get_run(run_id)
        say(
            f"branch {run.branch} is back at {(run.base_commit or '')[:10]}; the undone work is kept at"
            f" refs/gearshift/undone/{run_id} ({old[:10]}): git switch -c restored refs/gearshift/undone/{run_id}"
        )
