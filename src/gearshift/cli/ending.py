"""What a run says as it goes and when it ends: each step's files, where the user is, what to do next.

While a run works, each step's commit is said as soon as it is made, with the files it changed and
their +/- counts. When it ends: the review's serious findings (never a plain "done" over a critical
issue), the branch this checkout is on, and the commands to see, keep or drop the work, or to
follow the review up.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from gearshift.cli.common import say
from gearshift.errors import GearshiftError

if TYPE_CHECKING:
    from gearshift.followup import Findings
    from gearshift.runs import RunState
    from gearshift.workflow import Workflow

SHOWN_FINDINGS = 8  # lines of findings at the end of a run; the rest are in review.md
SHOWN_FILES = 6  # files named per step; the rest counted


class StepReport:
    """The workflow's ``say``: before each message, the steps committed since the last one, with their files."""

    def __init__(self) -> None:
        self.workflow: Workflow | None = None
        self.run_id: str | None = None
        self.told: set[tuple[str, int]] = set()

    def attach(self, workflow: Workflow, run_id: str | None = None) -> None:
        """From now on, tell the steps of ``run_id`` (default: the newest run) committed from now on."""
        self.workflow, self.run_id = workflow, run_id
        for run in {run_id, self._newest()} - {None}:
            self.told |= {(str(run), step.step_id) for step in workflow.runs.steps(str(run)) if step.commit_sha}

    def say(self, message: str) -> None:
        self.flush()
        say(message)

    def flush(self) -> None:
        workflow, run_id = self.workflow, self.run_id or self._newest()
        if workflow is None or run_id is None:
            return
        try:
            run = workflow.get_run(run_id)
            for step in workflow.runs.steps(run_id):
                if step.commit_sha and step.status == "done" and (run_id, step.step_id) not in self.told:
                    self.told.add((run_id, step.step_id))
                    files = step_files(run.checkout or workflow.root, step.commit_sha)
                    say(f"step {step.step_id}: committed {step.commit_sha[:7]}: {files_text(files)}")
        except GearshiftError:  # what a step changed is worth a line, never a run
            return

    def _newest(self) -> str | None:
        if self.workflow is None:
            return None
        newest = self.workflow.ledger.runs(limit=1)
        return str(newest[0]["id"]) if newest else None


def step_files(cwd: Path, commit: str) -> list[tuple[str, int | None, int | None]]:
    """The files a commit changed, with lines added and removed (None for a binary file)."""
    from gearshift import workspace

    out = workspace.git(cwd, "show", "--numstat", "--format=", "--no-renames", commit, check=False)
    files = []
    for line in out.splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3:
            added, removed, path = parts
            files.append((path, int(added) if added.isdigit() else None, int(removed) if removed.isdigit() else None))
    return files


def files_text(files: list[tuple[str, int | None, int | None]]) -> str:
    """``calc.py +12 -3, README.md +4``; a binary file says so."""
    if not files:
        return "no files changed"
    shown = []
    for path, added, removed in files[:SHOWN_FILES]:
        if added is None or removed is None:
            shown.append(f"{path} (binary)")
        else:
            shown.append(f"{path} +{added}" + (f" -{removed}" if removed else ""))
    more = len(files) - SHOWN_FILES
    return ", ".join(shown) + (f" and {more} more file{'s' if more > 1 else ''}" if more > 0 else "")


def review_findings(workflow: Workflow, run_id: str) -> Findings | None:
    """What the run's review left to do (None when it has no review)."""
    from gearshift.followup import findings
    from gearshift.plan import Plan

    review = workflow.runs.load_review(run_id)
    if review is None:
        return None
    plan = workflow.runs.read_json(run_id, "plan.json")
    return findings(review, Plan.model_validate(plan) if plan is not None else None)


def finish(workflow: Workflow, run_id: str, short: str) -> None:
    """The end of a reviewed run: its verdict with its serious findings, where the user is, what next."""
    run = workflow.get_run(run_id)
    if run.status != "done":
        return
    found = review_findings(workflow, run_id)
    steps = [step for step in workflow.runs.steps(run_id) if step.status == "done"]
    lines = prose(f"Run {short} done: {len(steps)} step{'s' if len(steps) != 1 else ''} on branch {run.branch}.")
    if found:
        lines = prose(f"Run {short} done, but its review found {found.summary()}:")
        serious = found.steps + found.issues
        more = [f"and {len(serious) - SHOWN_FINDINGS} more"] if len(serious) > SHOWN_FINDINGS else []
        for text in serious[:SHOWN_FINDINGS] + more:
            lines += prose(text, first="  - ", rest="    ")
    elif found is not None:
        lines += prose("Its review found no step unfinished and no high or critical issue.")
    lines += ["", *where(workflow, run, short)]
    if found:
        lines += [
            "",
            *prose(f"To do what the review found, planned one effort level higher: gearshift followup {short}"),
        ]
    typer.echo("\n".join(lines))


def prose(text: str, first: str = "", rest: str = "") -> list[str]:
    """Words wrapped to the width of the output (after ``first``, then ``rest``); a gearshift command at
    the end of them is never split."""
    from gearshift.cli.common import width

    command = text.find("gearshift ")
    words = [*text[:command].split(), text[command:]] if command >= 0 else text.split()
    limit = width()
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append((rest if lines else first) + word)
    return lines


def where(workflow: Workflow, run: RunState, short: str) -> list[str]:
    """Which branch this checkout is on now, and the commands to see, keep or drop the run's work."""
    from gearshift import workspace

    root = workflow.root
    current = workspace.current_branch(root) or "a detached HEAD"
    base = (run.base_commit or "")[:7]
    origin = started_from(root, run)
    branch = str(run.branch)
    if run.worktree:
        lines = prose(f"The work is on branch {branch}, in the worktree {run.checkout}; this checkout is on {current}.")
        keep = f"git merge {branch}" if current == origin else f"git switch {origin} && git merge {branch}"
    elif current == branch:
        lines = prose(f"This checkout is now on the run's branch {branch}; it started from {origin} at {base}.")
        keep = f"git switch {origin} && git merge {branch}"
    else:
        lines = prose(f"This checkout is on {current}; the run's work is on branch {branch}.")
        keep = f"git switch {origin} && git merge {branch}"
    review = _relative(workflow.runs.review_markdown_path(run.id))
    lines += [
        f"  see the changes:  git diff {base}..{branch}",
        f"  keep them:        {keep}",
        f"  drop them:        gearshift undo {short}" + ("" if run.worktree else f" && git switch {origin}"),
        f"  the review:       {review}",
    ]
    return lines


def started_from(root: Path, run: RunState) -> str:
    """The branch the run started from: the one git last switched from to the run's branch, else the
    one branch at the base commit, else the branch this checkout is on."""
    from gearshift import workspace

    if run.worktree:
        return workspace.current_branch(root) or "your branch"
    moves = workspace.git(root, "reflog", "-n", "200", "--format=%gs", check=False).splitlines()
    marker = f" to {run.branch}"
    for move in moves:
        if move.startswith("checkout: moving from ") and move.endswith(marker):
            return move.removeprefix("checkout: moving from ").removesuffix(marker)
    at_base = workspace.git(
        root, "for-each-ref", f"--points-at={run.base_commit}", "--format=%(refname:short)", "refs/heads", check=False
    ).split()
    others = [name for name in at_base if not name.startswith("gearshift/")]
    return others[0] if len(others) == 1 else "your branch"


def _relative(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def interrupted(run_id: str | None, short: str | None, status: Any = None) -> str:
    """The one line a Ctrl-C ends with."""
    if run_id is None:
        return "interrupted before a run was recorded; nothing to resume"
    name = short or run_id
    return f"interrupted; run {name} is recorded as {status}; continue with: gearshift resume {name}"
