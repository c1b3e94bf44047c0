"""What a review leaves to do, and the follow-up run that does it (the seed's third plan deviation).

"Use xhigh for planning when high reasoning fails to capture all considerations": when a review
finds steps missing, partial or deviated, or issues of high or critical severity, the plan missed
something. A follow-up is a new run, on top of the first run's branch, whose task is those
findings, planned one effort level above the first plan. Pure functions: a review in, words out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gearshift import workspace
from gearshift.effort import Effort
from gearshift.errors import UsageError
from gearshift.plan import Plan
from gearshift.review import Review
from gearshift.runs import RunStore

SERIOUS = ("critical", "high")
UNFINISHED = ("missing", "partial", "deviated")
LEVELS = list(Effort)


@dataclass(frozen=True)
class Findings:
    steps: list[str]  # "step 3 (Add refresh tokens) missing: no rotation on reuse"
    issues: list[str]  # "[high] tokens never expire (auth/jwt.py:42)"

    def __bool__(self) -> bool:
        return bool(self.steps or self.issues)

    def summary(self) -> str:
        """One line: what the review found, counted."""
        parts = []
        if self.steps:
            parts.append(f"{len(self.steps)} step{'s' if len(self.steps) != 1 else ''} not done as planned")
        if self.issues:
            parts.append(f"{len(self.issues)} high or critical issue{'s' if len(self.issues) != 1 else ''}")
        return " and ".join(parts)


def findings(review: Review, plan: Plan | None) -> Findings:
    titles = {step.id: step.title for step in plan.steps} if plan else {}
    steps = [
        f"step {item.step_id} ({titles.get(item.step_id, 'not in the plan')}) {item.status}: {item.evidence}"
        for item in sorted(review.adherence, key=lambda a: a.step_id)
        if item.status in UNFINISHED
    ]
    issues = []
    for issue in review.issues:
        if issue.severity in SERIOUS:
            where = f" ({issue.file}{':' + str(issue.line) if issue.line else ''})" if issue.file else ""
            issues.append(f"[{issue.severity}] {issue.description}{where}")
    return Findings(steps, issues)


def one_level_up(effort: Effort) -> Effort:
    """The next effort level; xhigh stays xhigh."""
    return LEVELS[min(LEVELS.index(effort) + 1, len(LEVELS) - 1)]


def followup_task(run_id: str, task: str, found: Findings) -> str:
    """The follow-up run's task: the first task, and what its review found still to do."""
    lines = [
        f"Finish the work of run {run_id}, whose task was: {task.strip()}",
        "",
        "Its review found the following still to do. Fix each of them; keep what is already done.",
    ]
    lines += [f"- {text}" for text in found.steps + found.issues]
    return "\n".join(lines)


def reason(plan_effort: Effort, found: Findings) -> str:
    """Why the follow-up plans higher, in the words `gearshift show` prints."""
    first = (found.steps + found.issues)[0]
    more = f" (and {len(found.steps) + len(found.issues) - 1} more)" if len(found.steps) + len(found.issues) > 1 else ""
    return f"the {plan_effort} plan missed: {first}{more}"


@dataclass(frozen=True)
class FollowUp:
    task: str
    plan_effort: Effort
    base: str  # the first run's branch tip
    reason: str

    def record(self, of: str) -> dict[str, Any]:
        return {"of": of, "plan_effort": self.plan_effort.value, "reason": self.reason}


def prepare(root: Path, runs: RunStore, run_id: str) -> FollowUp:
    """The follow-up of a reviewed run; one line, before anything is paid, when there is none to make."""
    first = runs.get(run_id)
    review = runs.load_review(run_id)
    if review is None or not first.branch:
        raise UsageError(f"run {run_id} has no review to follow up yet: gearshift review {run_id}")
    found = findings(review, runs.load_plan(run_id))
    if not found:
        raise UsageError(
            f"the review of run {run_id} found nothing to follow up:"
            " no step missing, partial or deviated, no high or critical issue"
        )
    tip = workspace.git(root, "rev-parse", "--verify", "-q", f"refs/heads/{first.branch}", check=False).strip()
    if not tip:
        raise UsageError(f"the run's branch {first.branch} is gone; a follow-up starts from it")
    planned = first.effort("plan")
    return FollowUp(followup_task(run_id, first.task, found), one_level_up(planned), tip, reason(planned, found))
