"""The plan: what the plan phase produces, what a person may edit, what implement follows.

plan.json is the model's structured answer; plan.md renders it in the seed's shape
(Architecture Decision, Implementation Steps, Risk Assessment, Testing Strategy). A person
may edit plan.md, and ``parse_plan_markdown`` reads it back; rendering and parsing round-trip.
Steps are identified by their position: reordering them in plan.md renumbers them.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gearshift.errors import PlanSyntaxError

StepKind = Literal["implementation", "testing", "documentation", "refactoring", "bug_fix", "security"]
STEP_KINDS: tuple[str, ...] = StepKind.__args__  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Step(_Strict):
    id: int
    title: str
    description: str
    files: list[str]  # what the step changes or creates
    reads: list[str] = Field(default_factory=list)  # what it only needs to read (a plan may leave it out)
    acceptance: list[str]
    kind: StepKind
    security_critical: bool
    ambiguities: list[str]


class Risk(_Strict):
    risk: str
    mitigation: str


class Plan(_Strict):
    summary: str
    architecture_decisions: list[str]
    steps: list[Step]
    risks: list[Risk]
    testing_strategy: list[str]


def plan_json_schema() -> dict[str, Any]:
    """The schema named ``plan`` sent for structured output: strict, every property required."""
    return _strict_schema(Plan.model_json_schema())


def _strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    # Strict structured output wants no titles/defaults noise, additionalProperties false and
    # every property required everywhere (a field with a default is optional only when parsing).
    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: clean(v) for k, v in node.items() if k not in ("title", "default")}
            if "properties" in node:  # property names are data, not schema keywords: keep them all
                out["properties"] = {name: clean(value) for name, value in node["properties"].items()}
                out["required"] = list(node["properties"])
            if out.get("type") == "object":
                out["additionalProperties"] = False
            return out
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    cleaned: dict[str, Any] = clean(schema)
    return cleaned


def plan_from_reply(data: Any) -> Plan:
    """Validate the model's structured plan; steps are renumbered 1..N in their order."""
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"the plan does not fit its schema at {where}: {first['msg']}") from None
    return renumber(plan)


def renumber(plan: Plan) -> Plan:
    steps = [step.model_copy(update={"id": n}) for n, step in enumerate(plan.steps, start=1)]
    return plan.model_copy(update={"steps": steps})


# --- markdown ------------------------------------------------------------------------------

_SECTIONS = {
    "summary": "Summary",
    "decisions": "Architecture Decision",
    "steps": "Implementation Steps",
    "risks": "Risk Assessment",
    "testing": "Testing Strategy",
}
_STEP_HEADING = re.compile(r"^### (?:Step )?(\d+)[.:)]\s*(.*)$")
_FIELD = re.compile(r"^- (Kind|Files|Reads|Security critical|Acceptance|Ambiguities):\s*(.*)$")
_LIST_FIELDS = {"Acceptance": "acceptance", "Ambiguities": "ambiguities"}
_SUB_ITEM = re.compile(r"^\s{2,}- (.*)$")
_MITIGATION = re.compile(r"^\s{2,}Mitigation:\s*(.*)$")


def one_line(text: str) -> str:
    """List items in plan.md are single lines: folded whitespace, no newlines."""
    return " ".join(text.split())


def _escape_line(line: str) -> str:
    # description lines that would read as structure get a backslash, as in markdown
    if line.startswith(("#", "- ", "\\")) or _FIELD.match(line):
        return "\\" + line
    return line


def _description_lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return [_escape_line(line) for line in lines]


def _paths(paths: list[str]) -> str:
    return ", ".join(one_line(p).replace(",", " ") for p in paths)


def render_plan_markdown(plan: Plan, task: str = "") -> str:
    out: list[str] = [f"# Plan: {one_line(task)}" if task.strip() else "# Plan", ""]
    out += [f"## {_SECTIONS['summary']}", *_description_lines(plan.summary), ""]
    out += [f"## {_SECTIONS['decisions']}", *[f"- {one_line(d)}" for d in plan.architecture_decisions], ""]
    out += [f"## {_SECTIONS['steps']}", ""]
    for step in plan.steps:
        out.append(f"### {step.id}. {one_line(step.title)}")
        out += _description_lines(step.description)
        out.append(f"- Kind: {step.kind}")
        out.append(f"- Files: {_paths(step.files)}")
        if step.reads:
            out.append(f"- Reads: {_paths(step.reads)}")
        out.append(f"- Security critical: {'yes' if step.security_critical else 'no'}")
        for label, key in _LIST_FIELDS.items():
            items = getattr(step, key)
            out.append(f"- {label}:")
            out += [f"  - {one_line(item)}" for item in items]
        out.append("")
    out += [f"## {_SECTIONS['risks']}"]
    for risk in plan.risks:
        out += [f"- {one_line(risk.risk)}", f"  Mitigation: {one_line(risk.mitigation)}"]
    out += ["", f"## {_SECTIONS['testing']}", *[f"- {one_line(t)}" for t in plan.testing_strategy], ""]
    return "\n".join(out)


def parse_plan_markdown(text: str, source: str = "plan.md") -> Plan:
    """Read a (possibly hand-edited) plan.md back into a Plan, or say which line is wrong."""
    sections: dict[str, list[tuple[int, str]]] = {key: [] for key in _SECTIONS}
    current: str | None = None
    titles = {title.lower(): key for key, title in _SECTIONS.items()}
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("## "):
            name = line[3:].strip().lower()
            if name not in titles:
                raise PlanSyntaxError(
                    source, number, f"unknown section {line[3:].strip()!r}; expected {', '.join(_SECTIONS.values())}"
                )
            current = titles[name]
            continue
        if current is None or (line.startswith("# ") and current is None):
            continue
        sections[current].append((number, line))

    summary = _paragraph(sections["summary"])
    steps = _parse_steps(sections["steps"], source)
    if not steps:
        raise PlanSyntaxError(source, 1, f"no steps under '## {_SECTIONS['steps']}' (write them as '### 1. Title')")
    return Plan(
        summary=summary,
        architecture_decisions=_bullets(sections["decisions"], source),
        steps=steps,
        risks=_parse_risks(sections["risks"], source),
        testing_strategy=_bullets(sections["testing"], source),
    )


def _unescape(line: str) -> str:
    return line[1:] if line.startswith("\\") else line


def _paragraph(lines: list[tuple[int, str]]) -> str:
    return "\n".join(_unescape(line) for _, line in lines).strip()


def _bullets(lines: list[tuple[int, str]], source: str) -> list[str]:
    items: list[str] = []
    for number, line in lines:
        if not line.strip():
            continue
        if not line.startswith("- "):
            raise PlanSyntaxError(source, number, f"expected a '- ' list item, found {line.strip()[:40]!r}")
        items.append(one_line(line[2:]))
    return items


def _parse_risks(lines: list[tuple[int, str]], source: str) -> list[Risk]:
    risks: list[Risk] = []
    for number, line in lines:
        if not line.strip():
            continue
        mitigation = _MITIGATION.match(line)
        if mitigation and risks:
            risks[-1] = Risk(risk=risks[-1].risk, mitigation=one_line(mitigation.group(1)))
        elif line.startswith("- "):
            risks.append(Risk(risk=one_line(line[2:]), mitigation=""))
        else:
            raise PlanSyntaxError(source, number, "expected '- risk' or an indented 'Mitigation: ...' line")
    return risks


def _parse_steps(lines: list[tuple[int, str]], source: str) -> list[Step]:
    steps: list[Step] = []
    fields: dict[str, Any] = {}
    description: list[str] = []
    list_key: str | None = None

    def finish() -> None:
        if not fields:
            return
        steps.append(
            Step(
                id=len(steps) + 1,
                title=fields["title"],
                description="\n".join(description).strip(),
                files=fields.get("files", []),
                reads=fields.get("reads", []),
                acceptance=fields.get("acceptance", []),
                kind=fields.get("kind", "implementation"),
                security_critical=fields.get("security_critical", False),
                ambiguities=fields.get("ambiguities", []),
            )
        )

    for number, line in lines:
        heading = _STEP_HEADING.match(line)
        if heading:
            finish()
            fields, description, list_key = {}, [], None
            title = one_line(heading.group(2))
            if not title:
                raise PlanSyntaxError(source, number, "a step heading needs a title after its number")
            fields["title"] = title
            continue
        if line.startswith("### "):
            raise PlanSyntaxError(source, number, "a step heading reads '### N. Title'")
        if not fields:
            if line.strip():
                raise PlanSyntaxError(source, number, "text before the first step; start steps with '### 1. Title'")
            continue
        field = _FIELD.match(line)
        sub = _SUB_ITEM.match(line)
        if field:
            label, value = field.group(1), field.group(2).strip()
            list_key = None
            if label == "Kind":
                if value not in STEP_KINDS:
                    raise PlanSyntaxError(
                        source, number, f"unknown kind {value!r}; choose one of {', '.join(STEP_KINDS)}"
                    )
                fields["kind"] = value
            elif label in ("Files", "Reads"):
                fields[label.lower()] = [one_line(f) for f in value.split(",") if f.strip()]
            elif label == "Security critical":
                if value.lower() not in ("yes", "no"):
                    raise PlanSyntaxError(source, number, "'Security critical' is yes or no")
                fields["security_critical"] = value.lower() == "yes"
            else:
                list_key = _LIST_FIELDS[label]
                fields[list_key] = [one_line(value)] if value else []
        elif sub and list_key:
            fields[list_key].append(one_line(sub.group(1)))
        else:
            list_key = None
            description.append(_unescape(line))
    finish()
    return steps
