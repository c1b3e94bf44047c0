"""Review of the working tree: the uncommitted change (or everything since ``base``) against a run's plan
or a task, at review effort, outside a run's own review phase.

This is what an editor's agent asks for after it has done the work itself: ``gearshift review`` reviews
a run's branch, this reviews whatever the checkout holds now, untracked new files included. It asks the
review phase's question (phases.review.build_request, the read tools, Review parsing) through the
gateway, so the call lands in the ledger under phase ``review``: with the run's id when the review is
against a run's plan, else with none. Nothing is saved to the run: its own review.md stays the one
``gearshift review`` made.

    with Workflow.open(".") as workflow:
        found = review_working_tree(workflow, "Add a --json flag to list")
        print(found.markdown, found.usage.cost_usd)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gearshift import workspace
from gearshift.checks import run_check, truncate_output
from gearshift.effort import Effort
from gearshift.errors import UsageError
from gearshift.gateway import Budget, CallSite
from gearshift.ledger import CallRecord
from gearshift.models import Request
from gearshift.paths import STATE_DIR
from gearshift.phases import PhaseContext
from gearshift.phases.reading import converse
from gearshift.phases.review import build_request
from gearshift.plan import Plan, Step, one_line
from gearshift.review import Review, render_review_markdown, review_from_reply
from gearshift.routing import security_words_in
from gearshift.runs import PhaseUsage, RunState, RunStore
from gearshift.triage import chosen_phases, decide_route
from gearshift.workflow import Workflow

# what new_run_id makes: a task that looks like this is meant as a run, even when no run has it
RUN_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{4}")
# a part of a run id as `gearshift runs` shows it (6bf7, c0de): four or more of its digits, hex and dashes
RUN_PART = re.compile(r"[0-9a-f-]{4,}")
MAX_LINES_PER_FILE = 600  # as workspace.diff: a reviewer needs whole functions, not whole generated files
MAX_DIFF_CHARS = 80_000


@dataclass(frozen=True)
class TreeReview:
    """A review of the working tree, with what it was judged against and what it cost."""

    review: Review
    plan: Plan  # the run's plan, or a one-step plan that is the task itself
    task: str
    run_id: str | None
    base: str  # as asked, e.g. HEAD
    base_commit: str
    effort: Effort
    effort_reason: str
    files: tuple[str, ...]  # the files whose changes were reviewed
    usage: PhaseUsage  # the review's calls: one, or more when the model read files first

    @property
    def markdown(self) -> str:
        return render_review_markdown(self.review, self.plan)


def review_working_tree(
    workflow: Workflow, task_or_run: str, *, base: str = "HEAD", effort: Effort | None = None
) -> TreeReview:
    """Review the working tree's change since ``base`` against a run's plan (``task_or_run`` names a run:
    its id or a unique part of one) or else against ``task_or_run`` as a task. Raises UsageError when
    there is nothing to review or ``base`` is not a commit."""
    root = workflow.root
    run_id = find_run(workflow.runs, task_or_run)
    run = workflow.runs.get(run_id) if run_id else None
    task = run.task if run else task_or_run.strip()
    if not task:
        raise UsageError("the task is empty: say what the change should do, or give a run id")
    plan = run_plan(workflow.runs, run) if run else task_plan(task)
    commit = resolve_base(root, base)
    diff, files = working_tree_diff(root, commit)
    if not files:
        raise UsageError(
            f"the working tree has no changes against {base}; nothing to review"
            " (give an older base, e.g. base=HEAD~1, to review committed work)"
        )
    # the workflow's own phase context: its providers (a transcript, a library user's own) serve the call
    ctx = workflow.context()
    effort, reason = _effort(ctx, task, run, effort)
    checks = _checks(ctx, run)
    ctx.say(f"reviewing {len(files)} changed files against {'run ' + run.id if run else 'the task'} at {effort} ...")
    choice = ctx.choice("review")

    def build(reading: bool) -> Request:
        return build_request(task, plan, diff, checks, choice.model, effort, reading=reading)

    if run is not None and (run.max_tokens or run.max_usd):  # the run's budget holds for this call too
        workflow.gateway.budgets[run.id] = Budget(max_tokens=run.max_tokens, max_usd=run.max_usd)
    site = CallSite(phase="review", run_id=run.id if run else None)
    calls: list[CallRecord] = []  # this review's calls, as the gateway records them: exact, whoever else calls

    def listen(record: CallRecord, started: float) -> None:
        calls.append(record)

    workflow.gateway.observers.append(listen)
    try:
        review = converse(ctx, ctx.provider("review"), build, site, review_from_reply, root=root)
    finally:
        workflow.gateway.observers.remove(listen)
    usage = _usage(calls)
    return TreeReview(review, plan, task, site.run_id, base, commit, effort, reason, tuple(files), usage)


def find_run(runs: RunStore, task_or_run: str) -> str | None:
    """The run ``task_or_run`` names, or None when it is a task. One word of four or more digits, hex
    letters and dashes that is (a unique part of) a run's id names that run; one shaped like a whole
    run id names a run even when there is none (an error then, not a review against the words
    "20250101-120000-ab12"). Anything else is a task."""
    text = task_or_run.strip()
    if not text or len(text.split()) > 1:
        return None
    if RUN_ID.fullmatch(text) or (RUN_PART.fullmatch(text) and runs.ledger.find_runs(text)):
        return runs.resolve(text)  # one line when no run or several runs match
    return None


def run_plan(runs: RunStore, run: RunState) -> Plan:
    """The plan the change was made from: plan.md as it is now (a person may have edited it, and an
    agent follows it as it reads), else plan.json."""
    if runs.has_plan(run.id):
        return runs.read_plan_markdown(run.id)
    return runs.load_plan(run.id)  # one line when the run has no plan at all


def task_plan(task: str) -> Plan:
    """A plan of one step that is the task itself: what a change made without a plan is judged against."""
    step = Step(
        id=1,
        title=_title(task),
        description=task,
        files=[],
        acceptance=["the change does what the task asks, and nothing it does not ask"],
        kind="implementation",
        security_critical=bool(security_words_in(task)),
        ambiguities=[],
    )
    return Plan(
        summary="No plan was made for this change: review it against the task itself, as its one step.",
        architecture_decisions=[],
        steps=[step],
        risks=[],
        testing_strategy=[],
    )


def resolve_base(root: Path, base: str) -> str:
    """The commit ``base`` names (HEAD, a branch, a tag, a sha); one line when it names none."""
    workspace.head(root)  # no commits at all: say that, not that HEAD is unknown
    if not base.strip() or base.startswith("-"):
        raise UsageError(f"base {base!r} is not a commit; give a commit, branch or tag (default HEAD)")
    commit = workspace.git(root, "rev-parse", "--verify", "-q", f"{base}^{{commit}}", check=False).strip()
    if not commit:
        raise UsageError(f"base {base!r} is not a commit in {root}; give a commit, branch or tag (default HEAD)")
    return commit


def working_tree_diff(root: Path, base: str) -> tuple[str, list[str]]:
    """The working tree against ``base`` (staged or not, and untracked files not ignored, as new files),
    with every changed function whole and bounded like workspace.diff; and the files it covers."""
    tracked = [n for n in workspace.git(root, "diff", "--name-only", "-z", base).split("\0") if n]
    untracked = [n for n in workspace.git(root, "ls-files", "--others", "--exclude-standard", "-z").split("\0") if n]
    # gearshift's own state is not the change, even where no .gitignore keeps it out of git's sight
    names = sorted({*tracked, *untracked} - {n for n in untracked if n.startswith(f"{STATE_DIR}/")})

    def of(name: str) -> str:
        if name in tracked:
            return workspace.git(root, "diff", "--function-context", base, "--", name)
        # a new file, against /dev/null: exit status 1 is "they differ", as they always do
        return workspace.git(root, "diff", "--no-index", "--", "/dev/null", name, check=False)

    text = workspace.bounded_diff(names, of, max_lines_per_file=MAX_LINES_PER_FILE, max_chars=MAX_DIFF_CHARS)
    return text, names


def _title(task: str) -> str:
    line = one_line(task)
    return line if len(line) <= 80 else line[:77] + "..."


def _effort(ctx: PhaseContext, task: str, run: RunState | None, asked: Effort | None) -> tuple[Effort, str]:
    """The review effort: as asked; else the run's; else the route's for the task, by the rules (no call)."""
    if asked is not None:
        return asked, "asked for"
    if run is not None:
        return run.effort("review"), f"the review effort of run {run.id}"
    routed = chosen_phases(decide_route(task, ctx.root, ctx.settings), ctx.settings)["review"]
    return routed.effort, routed.reasons[0] if routed.reasons else "the route"


def _checks(ctx: PhaseContext, run: RunState | None) -> str:
    """The test command's verdict on the working tree, with its output, for the reviewer to weigh."""
    command = (run.test_cmd if run else None) or ctx.settings.checks.test_cmd
    if not command:
        return "(no test command configured)"
    checks = ctx.settings.checks
    ctx.say(f"running the test command on the working tree for the review: {command}")
    result = run_check(command, ctx.root, timeout=checks.timeout, shell=checks.shell)
    verdict = "passed" if result.passed else "FAILED"
    return f"$ {command}\n- now, on the working tree: {verdict}\n" + truncate_output(result.output, head=10, tail=30)


def _usage(calls: list[CallRecord]) -> PhaseUsage:
    costs = [call.cost_usd for call in calls if call.cost_usd is not None]
    return PhaseUsage(
        calls=len(calls),
        input_tokens=sum(call.input_tokens for call in calls),
        cached_tokens=sum(call.cached_tokens for call in calls),
        output_tokens=sum(call.output_tokens for call in calls),
        reasoning_tokens=sum(call.reasoning_tokens for call in calls),
        cost_usd=sum(costs) if costs else None,
        unpriced_calls=len(calls) - len(costs),
        seconds=sum(call.latency_ms or 0 for call in calls) / 1000,
    )
