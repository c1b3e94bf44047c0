"""The review: the implementation checked against the plan, step by step."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from gearshift.plan import Plan, _strict_schema, one_line

AdherenceStatus = Literal["done", "partial", "missing", "deviated"]
Severity = Literal["critical", "high", "medium", "low"]

MARKS = {"done": "✅", "partial": "⚠️", "missing": "❌", "deviated": "↪️"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Adherence(_Strict):
    step_id: int
    status: AdherenceStatus
    evidence: str


class Issue(_Strict):
    severity: Severity
    description: str
    file: str | None
    line: int | None


class Review(_Strict):
    adherence: list[Adherence]
    issues: list[Issue]
    recommendations: list[str]


def review_json_schema() -> dict[str, Any]:
    return _strict_schema(Review.model_json_schema())


def review_from_reply(data: Any) -> Review:
    try:
        return Review.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"the review does not fit its schema at {where}: {first['msg']}") from None


def render_review_markdown(review: Review, plan: Plan) -> str:
    titles = {step.id: step.title for step in plan.steps}
    out = ["# Review", "", "## Adherence to Plan"]
    seen = set()
    for item in sorted(review.adherence, key=lambda a: a.step_id):
        seen.add(item.step_id)
        title = titles.get(item.step_id, "(not a step of the plan)")
        out.append(
            f"{MARKS[item.status]} Step {item.step_id}, {one_line(title)}: {item.status}. {one_line(item.evidence)}"
        )
    for step in plan.steps:
        if step.id not in seen:
            out.append(f"❔ Step {step.id}, {one_line(step.title)}: not assessed by the reviewer")
    out += ["", "## Identified Issues"]
    order = ["critical", "high", "medium", "low"]
    issues = sorted(review.issues, key=lambda i: order.index(i.severity))
    for n, issue in enumerate(issues, start=1):
        where = ""
        if issue.file:
            where = f" ({issue.file}{f':{issue.line}' if issue.line else ''})"
        out.append(f"{n}. [{issue.severity}] {one_line(issue.description)}{where}")
    if not issues:
        out.append("None found.")
    out += ["", "## Recommendations"]
    out += [f"{n}. {one_line(r)}" for n, r in enumerate(review.recommendations, start=1)] or ["None."]
    return "\n".join(out) + "\n"
