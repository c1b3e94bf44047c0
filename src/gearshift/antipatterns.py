"""The seed's three anti-patterns, found in a finished run with the numbers that show them.

1. High effort on simple implementation: a step whose change is far larger than its plan item
   (lines added, new functions or classes the plan never named, files outside the step's list).
2. Medium effort on complex planning: a complex or security task planned at medium or lower,
   or a plan for it without risks or without tests.
3. Never switching levels: one effort for every phase.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gearshift.effort import Effort
from gearshift.plan import Plan
from gearshift.routing import Thresholds
from gearshift.workspace import git

_DEFINITION = re.compile(
    r"^\+\s*(?:export\s+)?(?:default\s+)?(?:pub(?:\(\w+\))?\s+)?(?:async\s+)?"
    r"(?:def|class|function|func|fn|interface|struct|enum|trait|impl)\s+([A-Za-z_]\w*)"
)

_TEST_NAME = re.compile(r"^_*test", re.IGNORECASE)


@dataclass(frozen=True)
class StepChange:
    step_id: int
    lines_added: int
    lines_removed: int
    files: list[str]
    definitions: list[str]  # names of functions and classes the step added


@dataclass(frozen=True)
class Finding:
    pattern: str  # oversized_step | shallow_planning | never_switching
    title: str
    message: str
    numbers: dict[str, Any] = field(default_factory=dict)
    step: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def step_change(cwd: Path, sha: str, step_id: int) -> StepChange:
    """What one step's commit changed, from git."""
    added = removed = 0
    files: list[str] = []
    for line in git(cwd, "show", "--numstat", "--format=", sha).splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            added += int(parts[0]) if parts[0].isdigit() else 0
            removed += int(parts[1]) if parts[1].isdigit() else 0
            files.append(parts[2])
    patch = git(cwd, "show", "--format=", "-U0", sha)
    definitions = [m.group(1) for line in patch.splitlines() if (m := _DEFINITION.match(line))]
    return StepChange(step_id, added, removed, files, definitions)


def oversized_steps(
    plan: Plan, changes: list[StepChange], efforts: dict[int, str], limits: Thresholds
) -> list[Finding]:
    plan_text = plan.model_dump_json().lower()
    steps = {step.id: step for step in plan.steps}
    findings = []
    for change in changes:
        step = steps.get(change.step_id)
        if step is None:
            continue
        # new tests are what a plan asks for, never a sign of abstractions nobody asked for
        unnamed = [name for name in change.definitions if name.lower() not in plan_text and not _TEST_NAME.match(name)]
        outside = [f for f in change.files if f not in step.files]
        signs = []
        if change.lines_added > limits.step_lines:
            signs.append(f"{change.lines_added} lines added (more than {limits.step_lines})")
        if len(unnamed) >= limits.step_new_definitions:
            signs.append(f"{len(unnamed)} functions or classes the plan never named ({', '.join(unnamed[:5])})")
        if outside and step.files:
            signs.append(f"{len(outside)} files outside the step's list ({', '.join(outside[:3])})")
        if signs:
            effort = efforts.get(change.step_id, "?")
            findings.append(
                Finding(
                    "oversized_step",
                    "High effort on simple implementation",
                    f"step {change.step_id} ({step.title}) at {effort}: "
                    + "; ".join(signs)
                    + ". Look for layers, options or abstractions nobody asked for; implement at medium.",
                    {
                        "lines_added": change.lines_added,
                        "unplanned_definitions": unnamed,
                        "files_outside": outside,
                        "effort": effort,
                    },
                    step=change.step_id,
                )
            )
    return findings


def shallow_planning(route: dict[str, Any], plan_effort: Effort, plan: Plan | None) -> list[Finding]:
    facts = route.get("facts", {})
    why = []
    if route.get("task_type") in ("architecture", "requirements"):
        why.append(f"a {route['task_type']} task")
    if facts.get("security_words"):
        why.append(f"security work ({', '.join(facts['security_words'][:3])})")
    if facts.get("complex_bug_words"):
        why.append(f"a complex bug ({', '.join(facts['complex_bug_words'][:3])})")
    if facts.get("large_codebase") and facts.get("coupled"):
        why.append("a large, coupled codebase")
    if not why:
        return []
    findings = []
    complexity = " and ".join(why)
    if plan_effort.rank <= Effort.MEDIUM.rank:
        findings.append(
            Finding(
                "shallow_planning",
                "Medium effort on complex planning",
                f"{complexity} was planned at {plan_effort}; plan at high or xhigh.",
                {"plan_effort": plan_effort.value, "why_complex": why},
            )
        )
    if plan is not None:
        has_tests = bool(plan.testing_strategy) or any(s.kind == "testing" for s in plan.steps)
        missing = [name for name, present in (("risks", bool(plan.risks)), ("tests", has_tests)) if not present]
        if missing:
            findings.append(
                Finding(
                    "shallow_planning",
                    "Medium effort on complex planning",
                    f"the plan for {complexity} has no {' and no '.join(missing)}; re-plan at a higher effort.",
                    {"missing": missing, "risks": len(plan.risks), "testing_strategy": len(plan.testing_strategy)},
                )
            )
    return findings


def never_switching(efforts: dict[str, str]) -> list[Finding]:
    used = {efforts[phase] for phase in ("plan", "implement", "review") if phase in efforts}
    if len(used) != 1:
        return []
    level = used.pop()
    return [
        Finding(
            "never_switching",
            "Never switching levels",
            f"plan, implement and review all ran at {level}; match the effort to the phase"
            " (e.g. --strategy high-medium-high or auto).",
            {"effort": level},
        )
    ]
