"""The seed's three anti-patterns, found in a finished run with the numbers that show them.

1. High effort on simple implementation: a step implemented at high or above whose code (test files,
   test helpers and fixtures left out) is far larger than its plan item: lines added, new functions
   or classes the plan never named, files the plan never named.
2. Medium effort on complex planning: a complex or security task planned at medium or lower,
   or a plan for it without risks or without tests.
3. Never switching levels: one effort for every phase because a fixed strategy (or the settings)
   chose it whatever the task; not when the route chose each level by its rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gearshift.effort import Effort
from gearshift.plan import Plan
from gearshift.probe import find_test_files
from gearshift.routing import Thresholds
from gearshift.workspace import git

_DEFINITION = re.compile(
    r"^\+\s*(?:export\s+)?(?:default\s+)?(?:pub(?:\(\w+\))?\s+)?(?:async\s+)?"
    r"(?:def|class|function|func|fn|interface|struct|enum|trait|impl)\s+([A-Za-z_]\w*)"
)

_TEST_NAME = re.compile(r"^_*test", re.IGNORECASE)
# Test helpers and fixtures outside a tests folder: they serve the tests, not the feature.
_TEST_SUPPORT = re.compile(
    r"(?:^|/)(?:fixtures?|testdata|__fixtures__|__mocks__|mocks?)/"
    r"|(?:^|/)(?:test_?utils?|test_?helpers?|testing|fixtures?|mocks?)\.\w+$|_(?:fixtures?|mocks?)\.\w+$",
    re.IGNORECASE,
)


def is_test_code(path: str) -> bool:
    """A test, a test helper or a fixture, by where it lives and its name."""
    return bool(find_test_files([path])) or bool(_TEST_SUPPORT.search(path))


@dataclass(frozen=True)
class StepChange:
    step_id: int
    lines_added: int  # in code that is not a test, a test helper or a fixture
    lines_removed: int
    files: list[str]  # every file the step's commit changed
    definitions: list[str]  # names of functions and classes the step added, outside test code
    test_lines_added: int = 0
    test_files: list[str] = field(default_factory=list)


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
    """What one step's commit changed, from git; test code counted apart."""
    added = removed = test_added = 0
    files: list[str] = []
    for line in git(cwd, "show", "--numstat", "--format=", sha).splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            plus = int(parts[0]) if parts[0].isdigit() else 0
            if is_test_code(parts[2]):
                test_added += plus
            else:
                added += plus
                removed += int(parts[1]) if parts[1].isdigit() else 0
            files.append(parts[2])
    definitions: list[str] = []
    in_tests = False
    for line in git(cwd, "show", "--format=", "-U0", sha).splitlines():
        if line.startswith("+++ "):
            in_tests = is_test_code(line[4:].removeprefix("b/"))
        elif not in_tests and (match := _DEFINITION.match(line)):
            definitions.append(match.group(1))
    tests = [path for path in files if is_test_code(path)]
    return StepChange(step_id, added, removed, files, definitions, test_added, tests)


def oversized_steps(
    plan: Plan,
    changes: list[StepChange],
    efforts: Mapping[int, str],
    limits: Thresholds,
    reasons: Mapping[int, str] | None = None,
) -> list[Finding]:
    """Steps implemented at high or above (``efforts``: the effort each step's implementation ran at)
    whose code is far larger than their plan item; ``reasons`` say why each step ran at its effort."""
    plan_text = plan.model_dump_json().lower()
    named = {path for step in plan.steps for path in [*step.files, *step.reads]}
    steps = {step.id: step for step in plan.steps}
    findings = []
    for change in changes:
        step = steps.get(change.step_id)
        effort = efforts.get(change.step_id, "")
        if step is None or effort not in {e.value for e in Effort} or Effort(effort).rank < Effort.HIGH.rank:
            continue
        # new tests are what a plan asks for, never a sign of abstractions nobody asked for
        unnamed = [name for name in change.definitions if name.lower() not in plan_text and not _TEST_NAME.match(name)]
        outside = [
            path
            for path in change.files
            if not is_test_code(path) and path not in named and not _named_in(path, plan_text)
        ]
        signs = []
        if change.lines_added > limits.step_lines:
            signs.append(f"{change.lines_added} lines of code added, tests aside (more than {limits.step_lines})")
        if len(unnamed) >= limits.step_new_definitions:
            signs.append(f"{len(unnamed)} functions or classes the plan never named ({', '.join(unnamed[:5])})")
        if outside and step.files:
            signs.append(f"{len(outside)} files the plan never named ({', '.join(outside[:3])})")
        if not signs:
            continue
        findings.append(
            Finding(
                "oversized_step",
                "High effort on simple implementation",
                f"step {change.step_id} ({step.title}) at {effort}: {'; '.join(signs)}. "
                + _advice(effort, (reasons or {}).get(change.step_id, "")),
                {
                    "lines_added": change.lines_added,
                    "test_lines_added": change.test_lines_added,
                    "unplanned_definitions": unnamed,
                    "files_outside": outside,
                    "effort": effort,
                },
                step=change.step_id,
            )
        )
    return findings


def _named_in(path: str, plan_text: str) -> bool:
    """The plan names the file somewhere in its text: by its path, or by its file name."""
    name = path.rsplit("/", 1)[-1].lower()
    return path.lower() in plan_text or (
        "." in name and re.search(rf"(?<![\w/.-]){re.escape(name)}", plan_text) is not None
    )


def _advice(effort: str, reason: str) -> str:
    """What to do about it, knowing why the step ran at ``effort`` (its reason: a rule of the route for this
    step, the route's level for the whole task, the settings, or a fixed strategy)."""
    look = "Look for layers, options or abstractions nobody asked for"
    rule = reason.split(": ", 1)[1] if ": " in reason else ""
    if "set in the settings" in rule:
        return f"{look}; phases.implement.effort sets {effort}: a step like this implements at medium."
    if rule.startswith("the run's implement effort (auto)"):
        return f"{look}; the route implemented this task's steps at {effort} (its reasons: gearshift show)."
    if rule and "implement effort" not in rule and "strategy" not in rule:
        return f"{look}; the route sent it to {effort} because {rule}."
    return f"{look}; a step like this implements at medium (--strategy auto lets the route choose)."


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


def never_switching(
    efforts: Mapping[str, str],
    strategy: str | None = None,
    route: Mapping[str, Any] | None = None,
    step_efforts: Mapping[int, str] | None = None,
) -> list[Finding]:
    """One level for plan, implement (every step) and review, chosen whatever the task: by a fixed
    strategy or the settings. Under ``auto`` the route chose each level by rule, which is switching;
    and a fixed level is no loss where the route (route.json) would have chosen the same everywhere."""
    phases = ("plan", "implement", "review")
    used = {efforts[phase] for phase in phases if phase in efforts} | set((step_efforts or {}).values())
    if len(used) != 1:
        return []
    level = used.pop()
    chosen = (route or {}).get("chosen", {})
    set_by_hand = [p for p in phases if "set in the settings" in ((chosen.get(p) or {}).get("reasons") or [""])[0]]
    if strategy == "auto" and len(set_by_hand) < len(phases):
        return []
    routed = (route or {}).get("route", {}).get("phases", {})
    would = {phase: routed[phase]["effort"] for phase in phases if phase in routed}
    if would and set(would.values()) == {level}:
        return []
    who = "the settings (phases.*.effort) set" if strategy == "auto" else f"strategy {strategy or '?'} sets"
    alternative = ", ".join(f"{phase} at {effort}" for phase, effort in would.items())
    instead = f"; the route would {alternative} (--strategy auto)" if alternative else " (e.g. --strategy auto)"
    return [
        Finding(
            "never_switching",
            "Never switching levels",
            f"plan, implement and review all ran at {level}, as {who} for every task; match the effort to the"
            f" phase{instead}.",
            {"effort": level, "strategy": strategy, "route": would},
        )
    ]
