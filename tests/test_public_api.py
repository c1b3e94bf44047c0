"""A library user's view: the whole method through ``import gearshift`` and a FunctionProvider."""

from __future__ import annotations

from pathlib import Path

import pytest
from scripted_model import BAD_FIX, ScriptedModel
from workflow_helpers import TASK, TEST_CMD, git, make_repo

import gearshift
from gearshift.testing import FunctionProvider


def test_a_whole_workflow_through_the_public_api_with_a_function_provider(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    provider = model.provider()

    with gearshift.Workflow.open(repo, providers=provider) as workflow:
        result = workflow.run(TASK, gearshift.RunOptions(test_cmd=TEST_CMD))

    assert isinstance(result, gearshift.RunResult)
    assert result.status == gearshift.RunStatus.DONE
    assert model.asked == ["plan", "step 1", "fix 1", "step 2", "step 3", "review"]
    assert [(s.id, s.title, s.status) for s in result.steps] == [
        (1, "Add mul", "done"),
        (2, "Add sub", "done"),
        (3, "Document the functions", "done"),
    ]
    # each step's commit is on the run's branch, in order
    log = git(repo, "log", "--format=%H", f"{result.base_commit}..{result.branch}").split()
    assert [s.commit for s in result.steps] == list(reversed(log))
    assert isinstance(result.plan, gearshift.Plan) and len(result.plan.steps) == 3
    assert isinstance(result.review, gearshift.Review) and result.review.issues[0].severity == "low"
    assert set(result.phases) == {"plan", "implement", "fix", "review"}
    assert result.phases["implement"].calls == 3
    assert result.total_tokens == sum(p.input_tokens + p.output_tokens for p in result.phases.values()) > 0
    assert result.cost_usd is None  # a function bills nothing, and no price is made up
    # the effort of each call follows the method
    assert [r.effort.value for r in provider.requests] == ["high", "medium", "medium", "medium", "medium", "high"]
    # the ledger is the repository's own
    assert (repo / ".gearshift" / "ledger.db").exists()


def test_run_options_choose_the_strategy_of_one_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    provider = ScriptedModel().provider()
    with gearshift.Workflow.open(repo, providers=provider) as workflow:
        result = workflow.run(TASK, gearshift.RunOptions(test_cmd=TEST_CMD, strategy="medium"))
        assert workflow.get_run(result.run_id).strategy == "medium"
    assert {r.effort.value for r in provider.requests} == {"medium"}


def test_a_failed_step_is_recorded_then_raised_with_its_own_type(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    model.fix_edits[1] = BAD_FIX
    with gearshift.Workflow.open(repo, providers=model.provider()) as workflow:
        with pytest.raises(gearshift.StepFailed) as failed:
            workflow.run(TASK, gearshift.RunOptions(test_cmd=TEST_CMD))
        assert failed.value.step_id == 1
        result = workflow.result(workflow.runs.resolve(None))
    assert result.status == gearshift.RunStatus.FAILED
    assert result.message == failed.value.message  # what the ledger says is what was raised


def test_the_budget_is_a_budget_stop_not_a_failure(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    with gearshift.Workflow.open(repo, providers=ScriptedModel().provider()) as workflow:
        with pytest.raises(gearshift.BudgetReached):
            workflow.run(TASK, gearshift.RunOptions(test_cmd=TEST_CMD, max_tokens=1500))
        run_id = workflow.runs.resolve(None)
        assert workflow.result(run_id).status == gearshift.RunStatus.STOPPED
        result = workflow.resume(run_id, max_tokens=1_000_000)
    assert result.status == gearshift.RunStatus.DONE


def test_open_outside_a_repository_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(gearshift.UsageError, match="not inside a git repository"), gearshift.Workflow.open(tmp_path):
        pass


def test_a_provider_by_name_serves_only_the_phases_that_name_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    planner = FunctionProvider(lambda request: model.answer("plan", request.input), name="planner")
    settings = gearshift.Settings.model_validate({"phases": {"plan": {"provider": "anthropic"}}})
    with gearshift.Workflow.open(repo, settings=settings, providers={"anthropic": planner}) as workflow:
        run_id = workflow.plan(TASK)
        calls = workflow.ledger.calls(run_id=run_id)
    assert [(c["phase"], c["provider"]) for c in calls] == [("plan", "planner")]
    assert model.asked == ["plan"]


def test_a_comparison_through_the_public_api(tmp_path: Path) -> None:
    from gearshift.ledger import Ledger

    repo = make_repo(tmp_path / "repo")
    settings = gearshift.load_settings(cwd=repo).settings
    options = gearshift.CompareOptions(strategies=("high", "medium"), test_cmd=TEST_CMD)
    with Ledger(repo / ".gearshift" / "ledger.db") as ledger:
        comparison = gearshift.compare(
            repo, TASK, options, settings=settings, ledger=ledger, providers=ScriptedModel().provider()
        )
    assert isinstance(comparison, gearshift.Comparison)
    rows = comparison.to_json()["results"]
    assert [(r["strategy"], r["status"]) for r in rows] == [("high", "done"), ("medium", "done")]
    summary = gearshift.summarize(rows, "high")
    assert summary["strategies"]["medium"]["tokens"]["total"] > 0
