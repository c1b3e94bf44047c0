"""followup: what a review found missing becomes a new run on top of the first, planned one level higher."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scripted_model import REVIEW, ScriptedModel, block
from workflow_helpers import TASK, TEST_CMD, git, make_repo

import gearshift
from gearshift.effort import Effort
from gearshift.followup import Findings, findings, followup_task, one_level_up, reason
from gearshift.review import Review

MISSED = {
    "adherence": [
        {"step_id": 1, "status": "done", "evidence": "mul added"},
        {"step_id": 2, "status": "done", "evidence": "sub added"},
        {"step_id": 3, "status": "missing", "evidence": "README.md does not list sub"},
    ],
    "issues": [
        {"severity": "high", "description": "mul is not documented", "file": "README.md", "line": None},
        {"severity": "low", "description": "No docstrings", "file": "calc.py", "line": 1},
    ],
    "recommendations": [],
}


def test_a_review_that_found_gaps_leads_to_a_run_on_top_planned_one_level_higher(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel(review=json.loads(json.dumps(MISSED)))
    provider = model.provider()
    with gearshift.Workflow.open(repo, providers=provider) as workflow:
        first = workflow.run(TASK, gearshift.RunOptions(test_cmd=TEST_CMD, strategy="high-medium-high"))
        # the follow-up's model: a one-step plan to finish the README, and a review that finds it done
        model.plan = {**model.plan, "steps": [{**model.plan["steps"][2], "id": 1, "title": "Finish the README"}]}
        model.step_edits = {1: block("README.md", "- sub(a, b)\n", "- sub(a, b): a - b\n")}
        model.review = json.loads(json.dumps(REVIEW))
        model.review["adherence"] = model.review["adherence"][:1]
        second = workflow.followup(first.run_id)
        shown = workflow.runs.read_json(second.run_id, "followup.json")

    assert second.status == gearshift.RunStatus.DONE and second.run_id != first.run_id
    assert second.base_commit == first.steps[-1].commit  # on top of the first run's branch
    assert git(repo, "merge-base", "--is-ancestor", first.branch or "", second.branch or "") == ""
    # planned at xhigh, one above the first run's high, with the reason recorded
    plans = [r for r in provider.requests if r.schema and r.schema.name == "plan"]
    assert [r.effort for r in plans] == [Effort.HIGH, Effort.XHIGH]
    assert shown == {
        "of": first.run_id,
        "plan_effort": "xhigh",
        "reason": "the high plan missed: step 3 (Document the functions) missing: README.md does not list sub"
        " (and 1 more)",
    }
    # the task is the findings, and only the serious ones
    assert "step 3 (Document the functions) missing" in second.task
    assert "[high] mul is not documented (README.md)" in second.task
    assert "No docstrings" not in second.task


def test_nothing_to_follow_up_is_said_in_one_line_before_anything_is_paid(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    with gearshift.Workflow.open(repo, providers=model.provider()) as workflow:
        first = workflow.run(TASK, gearshift.RunOptions(test_cmd=TEST_CMD))
        asked = len(model.asked)
        with pytest.raises(gearshift.UsageError, match="found nothing to follow up"):
            workflow.followup(first.run_id)
    assert len(model.asked) == asked


review_items = st.fixed_dictionaries(
    {
        "step_id": st.integers(1, 9),
        "status": st.sampled_from(["done", "partial", "missing", "deviated"]),
        "evidence": st.text(max_size=30),
    }
)
issue_items = st.fixed_dictionaries(
    {
        "severity": st.sampled_from(["critical", "high", "medium", "low"]),
        "description": st.text(max_size=30),
        "file": st.none() | st.text(max_size=10),
        "line": st.none() | st.integers(1, 500),
    }
)


@given(st.lists(review_items, max_size=6), st.lists(issue_items, max_size=6))
def test_findings_are_exactly_the_unfinished_steps_and_the_serious_issues(
    adherence: list[dict[str, object]], issues: list[dict[str, object]]
) -> None:
    review = Review.model_validate({"adherence": adherence, "issues": issues, "recommendations": []})
    found = findings(review, None)
    assert len(found.steps) == sum(a["status"] != "done" for a in adherence)
    assert len(found.issues) == sum(i["severity"] in ("critical", "high") for i in issues)
    assert bool(found) == bool(found.steps or found.issues)
    if found:
        task = followup_task("r1", "the task", found)
        assert task.count("\n- ") == len(found.steps) + len(found.issues)
        assert reason(Effort.HIGH, found).startswith("the high plan missed: ")


def test_one_level_up_stops_at_xhigh() -> None:
    assert [one_level_up(e) for e in (Effort.MEDIUM, Effort.HIGH, Effort.XHIGH)] == [
        Effort.HIGH,
        Effort.XHIGH,
        Effort.XHIGH,
    ]
    assert Findings([], []).summary() == "" and not Findings([], [])
