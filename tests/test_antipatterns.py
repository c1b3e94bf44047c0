"""The anti-patterns report what happened: oversized steps judged on non-test code, against what the
plan named, at the effort the step ran at; never switching only when a fixed level was chosen."""

from __future__ import annotations

from pathlib import Path

from workflow_helpers import git, make_repo

from gearshift.antipatterns import StepChange, is_test_code, never_switching, oversized_steps, step_change
from gearshift.phases.implement import implemented_at
from gearshift.plan import Plan
from gearshift.report import attempts_text, step_attempts
from gearshift.routing import Thresholds


def plan(**step: object) -> Plan:
    fields: dict[str, object] = {
        "id": 1,
        "title": "Add a debounce function",
        "description": "debounce(fn, ms) in util.js",
        "files": ["util.js"],
        "acceptance": [],
        "kind": "implementation",
        "security_critical": False,
        "ambiguities": [],
    }
    return Plan.model_validate(
        {
            "summary": "debounce",
            "architecture_decisions": [],
            "steps": [fields | step],
            "risks": [],
            "testing_strategy": ["fixtures/calls.json holds the recorded calls"],
        }
    )


BIG = StepChange(1, 200, 0, ["util.js", "wrapper.js"], ["Debouncer", "DebounceOptions", "createDebouncer"])


def test_test_code_is_recognised() -> None:
    for path in ["tests/test_util.py", "src/util.test.ts", "conftest.py", "tests/helpers.py", "fixtures/a.json"]:
        assert is_test_code(path), path
    for path in ["src/util.py", "src/testament.py", "README.md"]:
        assert not is_test_code(path), path


def test_step_change_counts_test_code_apart(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "tests").mkdir()
    (repo / "util.py").write_text("def debounce(fn):\n    return fn\n")
    (repo / "tests" / "helpers.py").write_text("def make_clock():\n    pass\n\n\nclass FakeTimer:\n    pass\n")
    (repo / "test_util.py").write_text("def test_debounce():\n    pass\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "step")
    change = step_change(repo, "HEAD", 1)
    assert (change.lines_added, change.test_lines_added) == (2, 8)
    assert change.definitions == ["debounce"]
    assert change.test_files == ["test_util.py", "tests/helpers.py"]


def test_an_oversized_step_at_medium_is_not_the_anti_pattern() -> None:
    assert oversized_steps(plan(), [BIG], {1: "medium"}, Thresholds()) == []


def test_an_oversized_step_at_high_says_why_it_ran_there() -> None:
    [finding] = oversized_steps(
        plan(), [BIG], {1: "high"}, Thresholds(), {1: "implement at high: the step is security critical"}
    )
    assert finding.message == (
        "step 1 (Add a debounce function) at high: 200 lines of code added, tests aside (more than 120); 3 functions"
        " or classes the plan never named (Debouncer, DebounceOptions, createDebouncer); 1 files the plan never"
        " named (wrapper.js). Look for layers, options or abstractions nobody asked for; the route sent it to high"
        " because the step is security critical."
    )
    fixed = {1: "implement at high: the run's implement effort (high)"}
    [finding] = oversized_steps(plan(), [BIG], {1: "high"}, Thresholds(), fixed)
    assert finding.message.endswith("a step like this implements at medium (--strategy auto lets the route choose).")
    pinned = {1: "implement at high: set in the settings (phases.implement.effort)"}
    [finding] = oversized_steps(plan(), [BIG], {1: "high"}, Thresholds(), pinned)
    assert finding.message.endswith("phases.implement.effort sets high: a step like this implements at medium.")
    routed = {1: "implement at high: the run's implement effort (auto)"}
    [finding] = oversized_steps(plan(), [BIG], {1: "high"}, Thresholds(), routed)
    assert finding.message.endswith("the route implemented this task's steps at high (its reasons: gearshift show).")


def test_files_the_plan_names_anywhere_are_not_unplanned() -> None:
    change = StepChange(1, 10, 0, ["util.js", "fixtures/calls.json", "docs/usage.js", "lib/other.js"], [])
    named = plan(reads=["docs/usage.js"])
    [finding] = oversized_steps(named, [change], {1: "xhigh"}, Thresholds())
    assert finding.numbers["files_outside"] == ["lib/other.js"]


def test_never_switching_only_when_a_fixed_level_was_chosen_whatever_the_task() -> None:
    all_high = {"plan": "high", "implement": "high", "review": "high"}
    routed = {"route": {"phases": {p: {"effort": "high"} for p in ("plan", "implement", "review")}}}
    switching = {"route": {"phases": {"plan": {"effort": "high"}, "implement": {"effort": "medium"}}}}
    assert never_switching(all_high, "auto", routed) == []  # the route chose each by rule
    assert never_switching(all_high, "high", routed) == []  # the route would have chosen the same
    [finding] = never_switching(all_high, "high", switching)
    assert finding.message == (
        "plan, implement and review all ran at high, as strategy high sets for every task; match the effort to the"
        " phase; the route would plan at high, implement at medium (--strategy auto)."
    )
    assert never_switching(all_high, "high", switching, {1: "high", 2: "medium"}) == []
    by_hand = {"chosen": {p: {"reasons": [f"{p} at high: set in the settings"]} for p in all_high}, **switching}
    assert never_switching(all_high, "auto", by_hand)[0].message.startswith(
        "plan, implement and review all ran at high, as the settings (phases.*.effort) set for every task"
    )


def calls(*rows: tuple[int, str, int | None, str, str]) -> list[dict[str, object]]:
    return [
        {"id": i, "phase": phase, "step": step, "effort_requested": effort, "effort_sent": effort, "status": status}
        for i, phase, step, effort, status in rows
    ]


def test_every_attempt_of_a_step_with_its_effort() -> None:
    rows = calls(
        (6, "fix", 1, "high", "ok"),
        (1, "plan", None, "high", "ok"),
        (2, "implement", 1, "medium", "ok"),
        (3, "implement", 1, "medium", "ok"),
        (4, "fix", 1, "medium", "error"),
        (5, "implement", 2, "high", "ok"),
    )
    attempts = step_attempts(rows)
    assert [a["what"] for a in attempts[1]] == ["implement", "retry", "fix", "fix"]
    assert attempts_text(attempts[1]) == "implement medium\nretry medium\nfix medium (error)\nfix high"
    assert implemented_at(rows) == {1: "medium", 2: "high"}
