"""What the MCP tools return (gearshift.mcp_server): typed, so that clients get an output schema and
structured content; plain pydantic models, so a library user can read the same shapes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from gearshift.plan import Plan
from gearshift.review import Review
from gearshift.runs import PhaseUsage


class Usage(BaseModel):
    """What the calls of one tool (or one run) spent; cost_usd is None when no call had a known price."""

    calls: int
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_usd: float | None
    unpriced_calls: int
    seconds: float


class PhaseEffort(BaseModel):
    effort: str
    reasons: list[str]


class RouteResult(BaseModel):
    task: str
    task_type: str
    phases: dict[str, PhaseEffort]  # the route's own choice, with the rules behind it
    efforts: dict[str, str]  # what a run will use under the current settings (a fixed strategy overrides)
    strategy: str
    strategy_set: str
    summary: str
    facts: dict[str, Any]


class MapFile(BaseModel):
    path: str
    score: float
    tokens: int
    symbols: list[dict[str, Any]]
    more_symbols: int


class MapResult(BaseModel):
    task: str
    budget: int
    tokens: int
    tokens_exact: bool
    files: list[MapFile]
    collapsed: list[dict[str, Any]]
    text: str  # the map as the planner reads it


class PlanResult(BaseModel):
    run_id: str
    task: str
    effort: str
    plan: Plan
    markdown: str
    plan_path: str
    usage: Usage
    cost_usd: float | None
    next: str


class ReviewResult(BaseModel):
    run_id: str | None
    task: str
    base: str
    base_commit: str
    effort: str
    effort_reason: str
    files: list[str]
    review: Review
    markdown: str
    usage: Usage
    cost_usd: float | None


class RunSummary(BaseModel):
    id: str
    short_id: str
    task: str
    strategy: str
    status: str
    steps_done: int
    steps_total: int
    tokens: int
    cost_usd: float | None
    branch: str | None
    base_commit: str | None
    created_at: str
    message: str | None


class RunsResult(BaseModel):
    runs: list[RunSummary]


class StatsRow(BaseModel):
    phase: str
    effort_requested: str | None
    effort_sent: str | None
    model: str
    calls: int
    failed: int
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_usd: float | None
    unpriced_calls: int
    latency_ms: int


class StatsResult(BaseModel):
    run_id: str | None
    rows: list[StatsRow]
    totals: Usage

    @classmethod
    def of(cls, run_id: str | None, rows: Iterable[dict[str, Any]]) -> StatsResult:
        """The ledger's stats rows (Ledger.stats), with their totals."""
        typed = [StatsRow.model_validate(row) for row in rows]
        totals = Usage(
            calls=sum(r.calls for r in typed),
            input_tokens=sum(r.input_tokens for r in typed),
            cached_tokens=sum(r.cached_tokens for r in typed),
            output_tokens=sum(r.output_tokens for r in typed),
            reasoning_tokens=sum(r.reasoning_tokens for r in typed),
            cost_usd=known_sum(r.cost_usd for r in typed),
            unpriced_calls=sum(r.unpriced_calls for r in typed),
            seconds=sum(r.latency_ms for r in typed) / 1000,
        )
        return cls(run_id=run_id, rows=typed, totals=totals)


def known_sum(costs: Iterable[float | None]) -> float | None:
    known = [cost for cost in costs if cost is not None]
    return sum(known) if known else None


def usage_of(phases: Iterable[PhaseUsage]) -> Usage:
    """One total over phases (or over one): what a tool's calls spent."""
    every = [dataclasses.asdict(phase) for phase in phases]
    numbers = ("calls", "input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens", "unpriced_calls")
    totals: dict[str, Any] = {key: sum(phase[key] for phase in every) for key in numbers}
    totals["seconds"] = sum(phase["seconds"] for phase in every)
    totals["cost_usd"] = known_sum(phase["cost_usd"] for phase in every)
    return Usage(**totals)
