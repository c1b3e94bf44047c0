"""The run record: typed state in the ledger, artifacts on disk, one store that owns both.

A run's state (status, branch, efforts, budget) and its steps live in the ledger, written before
the next change begins. Its artifacts (plan.json, plan.md, route.json, review.json, review.md,
antipatterns.json, failed checks' output) live in ``.gearshift/runs/<id>/``, each written whole
or not at all. Nothing outside this module knows where they are.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from gearshift.effort import Effort
from gearshift.errors import UsageError
from gearshift.ledger import Ledger
from gearshift.paths import state_dir
from gearshift.plan import Plan, parse_plan_markdown, render_plan_markdown
from gearshift.review import Review, render_review_markdown


class RunStatus(StrEnum):
    PLANNING = "planning"
    PLANNED = "planned"
    IMPLEMENTING = "implementing"
    IMPLEMENTED = "implemented"
    REVIEWING = "reviewing"
    DONE = "done"
    FAILED = "failed"  # a phase failed; resume tries again
    STOPPED = "stopped"  # the budget stopped it at a step boundary
    INTERRUPTED = "interrupted"  # Ctrl-C while it planned, implemented or reviewed; resume goes on
    UNDONE = "undone"


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class RunState:
    id: str
    task: str
    strategy: str
    status: RunStatus
    repo_root: Path
    checkout: Path | None
    branch: str | None
    base_commit: str | None
    worktree: bool
    efforts: dict[str, Effort]
    test_cmd: str | None
    max_tokens: int | None
    max_usd: float | None
    message: str | None
    base_check: str | None  # the test command's verdict on the base commit, before any step

    def effort(self, phase: str) -> Effort:
        return self.efforts[phase]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunState:
        return cls(
            id=row["id"],
            task=row["task"],
            strategy=row["strategy"],
            status=RunStatus(row["status"]),
            repo_root=Path(row["repo_root"]),
            checkout=Path(row["checkout"]) if row["checkout"] else None,
            branch=row["branch"],
            base_commit=row["base_commit"],
            worktree=bool(row["worktree"]),
            efforts={phase: Effort(value) for phase, value in json.loads(row["efforts"]).items()},
            test_cmd=row["test_cmd"],
            max_tokens=row["max_tokens"],
            max_usd=row["max_usd"],
            message=row["message"],
            base_check=row.get("base_check"),
        )


@dataclass(frozen=True)
class StepState:
    step_id: int
    title: str
    status: StepStatus
    effort: Effort | None
    effort_reason: str | None
    commit_sha: str | None
    attempts: int
    touched: tuple[str, ...]
    leftover: str | None  # fingerprint of the tree a failed step left, to notice a person's changes
    error: str | None
    check_result: str | None  # the test command's verdict after the step: passed, failed, timed out
    tests_at_base: str | None  # the step's new tests run against the base commit's code: fail or pass there

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> StepState:
        return cls(
            step_id=row["step_id"],
            title=row["title"],
            status=StepStatus(row["status"]),
            effort=Effort(row["effort"]) if row["effort"] else None,
            effort_reason=row["effort_reason"],
            commit_sha=row["commit_sha"],
            attempts=int(row["attempts"]),
            touched=tuple(json.loads(row["touched"] or "[]")),
            leftover=row["leftover"],
            error=row["error"],
            check_result=row.get("check_result"),
            tests_at_base=row.get("tests_at_base"),
        )


@dataclass(frozen=True)
class PhaseUsage:
    """What one phase of a run spent, over all its calls."""

    calls: int
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_usd: float | None  # None when no call of the phase had a known price
    unpriced_calls: int
    seconds: float

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class StepResult:
    id: int
    title: str
    status: StepStatus
    effort: Effort | None
    commit: str | None


@dataclass(frozen=True)
class RunResult:
    """A run as a library caller sees it: where it got to, what it made, what it cost."""

    run_id: str
    task: str
    strategy: str
    status: RunStatus
    message: str | None
    branch: str | None
    base_commit: str | None
    steps: tuple[StepResult, ...]
    phases: dict[str, PhaseUsage]
    plan: Plan | None
    review: Review | None

    @property
    def total_tokens(self) -> int:
        return sum(phase.total_tokens for phase in self.phases.values())

    @property
    def cost_usd(self) -> float | None:
        """The known cost; None when no call had a price (see ``PhaseUsage.unpriced_calls``)."""
        known = [phase.cost_usd for phase in self.phases.values() if phase.cost_usd is not None]
        return sum(known) if known else None


def new_run_id() -> str:
    return f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)


def _column(value: Any) -> Any:
    """A typed value as the ledger stores it."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, tuple | list | set | frozenset):
        return json.dumps(sorted(value))
    if isinstance(value, dict):
        return json.dumps({k: _column(v) for k, v in value.items()})
    return value


class RunStore:
    """Runs of one repository: their state in the ledger and their artifacts on disk."""

    def __init__(self, root: Path, ledger: Ledger) -> None:
        self.root = root
        self.ledger = ledger

    # --- state ------------------------------------------------------------------------------

    def create(self, run_id: str, **fields: Any) -> RunState:
        self.ledger.create_run(id=run_id, **{name: _column(value) for name, value in fields.items()})
        return self.get(run_id)

    def get(self, run_id: str) -> RunState:
        row = self.ledger.get_run(run_id)
        if row is None:
            raise UsageError(f"no run {run_id!r}; `gearshift runs` lists them")
        return RunState.from_row(row)

    def update(self, run_id: str, **fields: Any) -> RunState:
        self.ledger.update_run(run_id, **{name: _column(value) for name, value in fields.items()})
        return self.get(run_id)

    def steps(self, run_id: str) -> list[StepState]:
        return [StepState.from_row(row) for row in self.ledger.steps(run_id)]

    def step(self, run_id: str, step_id: int) -> StepState | None:
        return next((s for s in self.steps(run_id) if s.step_id == step_id), None)

    def set_step(self, run_id: str, step_id: int, **fields: Any) -> None:
        self.ledger.set_step(run_id, step_id, **{name: _column(value) for name, value in fields.items()})

    def resolve(self, part: str | None) -> str:
        """A run id from any unique part of one; none means the newest run."""
        return self.ledger.resolve_run(part)

    # --- artifacts --------------------------------------------------------------------------

    def directory(self, run_id: str) -> Path:
        return state_dir(self.root) / "runs" / run_id

    def plan_markdown_path(self, run_id: str) -> Path:
        return self.directory(run_id) / "plan.md"

    def review_markdown_path(self, run_id: str) -> Path:
        return self.directory(run_id) / "review.md"

    def has_plan(self, run_id: str) -> bool:
        return self.plan_markdown_path(run_id).exists()

    def save_plan(self, run_id: str, plan: Plan, task: str, *, markdown: bool = True) -> None:
        """plan.json is what implement follows; plan.md what a person edits (rewritten only when asked)."""
        write_atomic(self.directory(run_id) / "plan.json", plan.model_dump_json(indent=2))
        if markdown:
            write_atomic(self.plan_markdown_path(run_id), render_plan_markdown(plan, task))

    def load_plan(self, run_id: str) -> Plan:
        """The plan being implemented (plan.json), as frozen when implementation began."""
        path = self.directory(run_id) / "plan.json"
        if not path.exists():
            raise UsageError(f"run {run_id} has no plan yet; gearshift resume {run_id} makes one")
        return Plan.model_validate_json(path.read_text(encoding="utf-8"))

    def read_plan_markdown(self, run_id: str) -> Plan:
        """plan.md as it is now: a person may have edited it."""
        path = self.plan_markdown_path(run_id)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        return parse_plan_markdown(text, source=str(path))

    def save_review(self, run_id: str, review: Review, plan: Plan) -> None:
        write_atomic(self.directory(run_id) / "review.json", review.model_dump_json(indent=2))
        write_atomic(self.review_markdown_path(run_id), render_review_markdown(review, plan))

    def load_review(self, run_id: str) -> Review | None:
        data = self.read_json(run_id, "review.json")
        return Review.model_validate(data) if data is not None else None

    def save_json(self, run_id: str, name: str, data: Any) -> None:
        write_atomic(self.directory(run_id) / name, json.dumps(data, indent=2))

    def read_json(self, run_id: str, name: str) -> Any:
        """An artifact's data, or None where it is missing or damaged."""
        try:
            return json.loads((self.directory(run_id) / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save_check_output(self, run_id: str, step_id: int, output: str) -> Path:
        path = self.directory(run_id) / f"step-{step_id}-check.txt"
        write_atomic(path, output)
        return path

    def result(self, run_id: str) -> RunResult:
        run = self.get(run_id)
        plan_data = self.read_json(run_id, "plan.json")
        return RunResult(
            run_id=run.id,
            task=run.task,
            strategy=run.strategy,
            status=run.status,
            message=run.message,
            branch=run.branch,
            base_commit=run.base_commit,
            steps=tuple(StepResult(s.step_id, s.title, s.status, s.effort, s.commit_sha) for s in self.steps(run_id)),
            phases={row["phase"]: _phase_usage(row) for row in self.ledger.phase_totals(run_id)},
            plan=Plan.model_validate(plan_data) if plan_data is not None else None,
            review=self.load_review(run_id),
        )

    def describe(self, run_id: str) -> dict[str, Any]:
        """Everything known of a run, as ``gearshift show --json`` prints it."""
        return {
            "run": _decoded(self.ledger.get_run(run_id) or {}),
            "steps": [_decoded(row) for row in self.ledger.steps(run_id)],
            "plan": self.read_json(run_id, "plan.json"),
            "review": self.read_json(run_id, "review.json"),
            "phases": self.ledger.phase_totals(run_id),
            "route": self.read_json(run_id, "route.json"),
            "antipatterns": self.read_json(run_id, "antipatterns.json"),
        }


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    """A ledger row with its JSON columns as JSON and its flags as booleans, as --json prints them."""
    decoded = dict(row)
    for column in ("efforts", "touched"):
        if isinstance(decoded.get(column), str):
            decoded[column] = json.loads(decoded[column])
    if "worktree" in decoded:
        decoded["worktree"] = bool(decoded["worktree"])
    return decoded


def _phase_usage(row: dict[str, Any]) -> PhaseUsage:
    return PhaseUsage(
        calls=int(row["calls"]),
        input_tokens=int(row["input_tokens"] or 0),
        cached_tokens=int(row["cached_tokens"] or 0),
        output_tokens=int(row["output_tokens"] or 0),
        reasoning_tokens=int(row["reasoning_tokens"] or 0),
        cost_usd=row["cost_usd"],
        unpriced_calls=int(row["unpriced_calls"] or 0),
        seconds=(row["latency_ms"] or 0) / 1000,
    )
