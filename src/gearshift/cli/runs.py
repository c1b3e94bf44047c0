"""The workflow's commands: run, plan, implement, review, resume, followup."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gearshift.cli.app import app
from gearshift.cli.common import load, say, short_id, spinner, stdout, width
from gearshift.cli.ending import StepReport, finish, interrupted
from gearshift.cli.options import (
    BaseUrl,
    Command,
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
    helped,
    settings_flags,
)
from gearshift.errors import UsageError

if TYPE_CHECKING:
    from gearshift.workflow import Approve, Workflow

TaskArg = Annotated[
    str | None, typer.Argument(metavar="TASK", help="What to build or fix, in words; - reads it from standard input.")
]
TaskFile = Annotated[Path | None, typer.Option("--task-file", metavar="FILE", help="Read the task from this file.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Implement the plan without asking.")]
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


@dataclass
class Session:
    """A workflow opened for one command, and what it says as it goes."""

    workflow: Workflow
    report: StepReport

    def resolve(self, part: str | None) -> str:
        """The run a command works on; its steps committed from now on are told as they are made."""
        run_id = self.workflow.runs.resolve(part)
        self.report.attach(self.workflow, run_id)
        return run_id

    def short(self, run_id: str) -> str:
        return short_id(self.workflow.ledger, run_id)


@contextmanager
def _session(record: Path | None = None, **given: Any) -> Iterator[Session]:
    """The workflow, with each step's files said as it is committed; Ctrl-C ends in one line on how
    to go on, exit 130."""
    from gearshift.workflow import RunInterrupted, Workflow

    report = StepReport()
    settings = load(settings_flags(**given)).settings
    with Workflow.open(
        Path.cwd(), settings=settings, say=report.say, progress=spinner, ledger_path=_ledger_path(), record_to=record
    ) as workflow:
        report.attach(workflow)
        session = Session(workflow, report)
        try:
            yield session
        except RunInterrupted as stop:
            report.flush()
            say(interrupted(stop.run_id, session.short(stop.run_id), stop.status))
            raise typer.Exit(130) from None
        except KeyboardInterrupt:
            say(interrupted(None, None))
            raise typer.Exit(130) from None
        finally:
            report.flush()


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
        try:
            return typer.confirm(f"Implement this plan? (you can edit {path} first and answer later)", default=False)
        except typer.Abort:  # Ctrl-C at the question: the run stays planned, and says how to go on
            raise KeyboardInterrupt from None

    return approve


def _phase_summary(session: Session, run_id: str) -> None:
    from gearshift.report import phase_table

    rows = session.workflow.ledger.phase_totals(run_id)
    if rows:
        title = f"Run {session.short(run_id)}: tokens per phase"
        stdout().print(phase_table(rows, title=title, width=width()))


def _ended(session: Session, run_id: str, *, planned_only: bool = False) -> None:
    """The end of a command that ran the method: the table per phase, then where the user is."""
    if planned_only:
        say(f"plan only, no terminal to approve it on; next: gearshift implement {session.short(run_id)} (or --yes)")
    _phase_summary(session, run_id)
    finish(session.workflow, run_id, session.short(run_id))


@app.command()
def run(
    task: TaskArg = None,
    task_file: TaskFile = None,
    yes: Yes = False,
    worktree: Annotated[
        bool, typer.Option("--worktree", help="Work in a separate git worktree; leave this checkout as is.")
    ] = False,
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
    command: Command = None,
    record: Record = None,
) -> None:
    """Plan, approve, implement step by step (a commit each), review against the plan.

    Example: gearshift run "Add a --json flag to list" --test-cmd 'pytest -q'
    """
    from gearshift.workflow import RunOptions

    with _session(**locals()) as session:
        options = RunOptions(test_cmd=test_cmd, worktree=worktree)
        result = session.workflow.run(read_task(task, task_file), options, _approve(yes))
        _ended(session, result.run_id, planned_only=result.status == "planned" and not yes)


@app.command()
def plan(
    task: TaskArg = None,
    task_file: TaskFile = None,
    worktree: Annotated[
        bool, typer.Option("--worktree", help="Implement later in a separate git worktree (a dirty tree is then fine).")
    ] = False,
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
    command: Command = None,
    record: Record = None,
) -> None:
    """Make the plan and stop, to edit it before `gearshift implement` (prints the run's id).

    Like `run`, it refuses uncommitted changes to tracked files unless --worktree.

    Example: gearshift plan --task-file task.md --test-cmd 'pytest -q'
    """
    from gearshift.workflow import RunOptions

    with _session(**locals()) as session:
        workflow = session.workflow
        run_id = workflow.plan(read_task(task, task_file), RunOptions(test_cmd=test_cmd, worktree=worktree))
        typer.echo(run_id)
        plan_md = workflow.runs.plan_markdown_path(run_id)
        say(f"next: edit {plan_md} if you like, then: gearshift implement {session.short(run_id)}")


@app.command()
def implement(
    run_arg: RunArg = None,
    test_cmd: Annotated[
        str | None,
        typer.Option(
            "--test-cmd", metavar="CMD", help=helped("Check run after each step, e.g. 'pytest -q'.", "the run's own")
        ),
    ] = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
    command: Command = None,
    record: Record = None,
) -> None:
    """Implement a run's plan (plan.md as you left it), step by step, a commit each.

    Example: gearshift implement 6bf7 --test-cmd 'pytest -q'
    """
    with _session(**locals()) as session:
        run_id = session.resolve(run_arg)
        if test_cmd is not None:
            _set_test_cmd(session.workflow, run_id, test_cmd)
        session.workflow.implement(run_id)
        say(f"implemented; next: gearshift review {session.short(run_id)}")
        _phase_summary(session, run_id)


def _set_test_cmd(workflow: Workflow, run_id: str, test_cmd: str) -> None:
    """The run's test command from now on; the base commit's verdict is taken again with it."""
    from gearshift.checks import validate_command

    validate_command(test_cmd, shell=workflow.settings.checks.shell)
    if workflow.get_run(run_id).test_cmd != test_cmd:
        workflow.runs.update(run_id, test_cmd=test_cmd, base_check=None)


@app.command()
def review(
    run_arg: RunArg = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
    command: Command = None,
    record: Record = None,
) -> None:
    """Review a run's result against its plan: runs its test command once more, then asks the model.

    A review made again replaces review.md; the earlier one is kept as review.previous.md.

    Example: gearshift review 6bf7
    """
    with _session(**locals()) as session:
        run_id = session.resolve(run_arg)
        session.workflow.review(run_id)
        typer.echo(session.workflow.runs.review_markdown_path(run_id).read_text(encoding="utf-8"))
        _ended(session, run_id)


@app.command()
def resume(
    run_arg: RunArg = None,
    max_tokens: MaxTokens = None,
    max_usd: MaxUsd = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
    command: Command = None,
    record: Record = None,
) -> None:
    """Continue a run where it stopped: after Ctrl-C, a kill, a failure or the budget (raise it here).

    Example: gearshift resume 6bf7 --max-tokens 400000
    """
    with _session(**locals()) as session:
        run_id = session.resolve(run_arg)
        session.workflow.resume(run_id, max_tokens=max_tokens, max_usd=max_usd)
        _ended(session, run_id)


@app.command()
def followup(
    run_arg: RunArg = None,
    yes: Yes = False,
    test_cmd: Annotated[
        str | None,
        typer.Option("--test-cmd", metavar="CMD", help=helped("Check run after each step.", "the first run's")),
    ] = None,
    max_tokens: MaxTokens = None,
    max_usd: MaxUsd = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
    command: Command = None,
    record: Record = None,
) -> None:
    """Do what a run's review found still to do: a new run on top of its branch, planned one effort
    level higher (xhigh after high), the reason recorded.

    It follows up steps the review found missing, partial or deviated, and issues of high or
    critical severity; `gearshift show` prints them.

    Example: gearshift followup 6bf7 --yes
    """
    from gearshift.workflow import RunOptions

    with _session(**locals()) as session:
        first_id = session.resolve(run_arg)
        first = session.workflow.get_run(first_id)
        options = RunOptions(test_cmd=test_cmd or first.test_cmd, worktree=first.worktree)
        result = session.workflow.followup(first_id, options, _approve(yes))
        _ended(session, result.run_id, planned_only=result.status == "planned" and not yes)
