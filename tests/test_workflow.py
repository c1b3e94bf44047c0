from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakeapi import FakeAPI
from scripted_model import BAD_FIX, ScriptedModel, block
from workflow_helpers import TASK, TEST_CMD, git, make_repo, step_trailers, workflow

from gearshift.errors import (
    BudgetReached,
    GearshiftError,
    ProviderError,
    ReplyFormatError,
    StepFailed,
    UsageError,
)
from gearshift.workflow import RunOptions


def always(plan_md: str, path: Path) -> bool:
    return True


def test_a_whole_run_plans_implements_fixes_and_reviews(fake_api: FakeAPI, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    model.serve(fake_api)
    wf = workflow(repo, fake_api.url)

    run_id = wf.run(TASK, RunOptions(test_cmd=TEST_CMD), always).run_id

    run = wf.get_run(run_id)
    assert run.status == "done"
    assert model.asked == ["plan", "step 1", "fix 1", "step 2", "step 3", "review"]
    # the effort follows the method: plan high, implement and fix medium, review high
    efforts = [s.body.get("reasoning", {}).get("effort") for s in fake_api.seen]
    assert efforts == ["high", "medium", "medium", "medium", "medium", "high"]
    assert fake_api.seen[0].body["text"]["format"]["name"] == "plan"
    assert fake_api.seen[-1].body["text"]["format"]["name"] == "review"

    # real files, real commits: one per step, titled by the step, on the run's branch
    assert (repo / "calc.py").read_text().count("def ") == 3
    assert "return a * b" in (repo / "calc.py").read_text()
    assert (repo / "README.md").read_text().startswith("# calc")
    assert git(repo, "branch", "--show-current").strip() == f"gearshift/{run_id}"
    subjects = git(repo, "log", "--format=%s", f"{run.base_commit}..HEAD").splitlines()
    assert subjects == ["Document the functions", "Add sub", "Add mul"]
    assert step_trailers(repo, run.base_commit) == [f"{run_id}/3", f"{run_id}/2", f"{run_id}/1"]
    assert git(repo, "rev-parse", "main").strip() == run.base_commit

    # the artifacts
    directory = wf.run_dir(run_id)
    assert "## Implementation Steps" in (directory / "plan.md").read_text()
    assert json.loads((directory / "plan.json").read_text())["steps"][0]["title"] == "Add mul"
    review_md = (directory / "review.md").read_text()
    assert "✅ Step 1, Add mul: done" in review_md
    assert "[low] No docstrings (calc.py:1)" in review_md

    # the ledger: every call filed under its phase and step
    calls = list(reversed(wf.ledger.calls(run_id=run_id)))
    assert [(c["phase"], c["step"]) for c in calls] == [
        ("plan", None),
        ("implement", 1),
        ("fix", 1),
        ("implement", 2),
        ("implement", 3),
        ("review", None),
    ]
    phases = {row["phase"]: row for row in wf.ledger.phase_totals(run_id)}
    assert set(phases) == {"plan", "implement", "fix", "review"}
    steps = wf.ledger.steps(run_id)
    assert [s["status"] for s in steps] == ["done", "done", "done"]
    assert [s["effort"] for s in steps] == ["medium", "medium", "medium"]


def test_each_step_prompt_is_fresh_and_bounded(fake_api: FakeAPI, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    ScriptedModel().serve(fake_api)
    workflow(repo, fake_api.url).run(TASK, RunOptions(test_cmd=TEST_CMD), always)
    step_inputs = [s.body["input"] for s in fake_api.seen if "Implement step" in s.body["input"]]
    step3 = step_inputs[-1]
    assert "Implement step 3 from the plan" in step3
    assert "<<<<<<< SEARCH" not in step3  # no earlier replies: not the conversation, only the plan
    assert "# The check failed" not in step3
    assert "1. Add mul\n2. Add sub\n3. Document the functions   <- this step" in step3
    assert "## README.md\n(does not exist yet" in step3


def test_a_failing_check_that_cannot_be_fixed_stops_the_run(fake_api: FakeAPI, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    model.fix_edits[1] = BAD_FIX
    model.serve(fake_api)
    wf = workflow(repo, fake_api.url)
    with pytest.raises(StepFailed, match=r"step 1 \(Add mul\): the check still fails after 2 fix attempts"):
        wf.run(TASK, RunOptions(test_cmd=TEST_CMD), always)
    assert model.asked == ["plan", "step 1", "fix 1", "fix 1"]
    run = wf.ledger.runs()[0]
    assert run["status"] == "failed"
    assert "gearshift resume" in run["message"]
    # fix at medium first, then at high after a failed fix
    fixes = [s.body["reasoning"]["effort"] for s in fake_api.seen if "# The check failed" in s.body["input"]]
    assert fixes == ["medium", "high"]
    assert wf.ledger.steps(run["id"])[0]["status"] == "failed"
    # the failing edits are left for the user to fix, not thrown away
    assert (repo / "calc.py").read_text().count("a = -a") == 2


def test_fixing_a_failed_step_by_hand_then_resuming(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    model.fix_edits[1] = BAD_FIX
    wf = workflow(repo, model=model)
    with pytest.raises(GearshiftError):
        wf.run(TASK, RunOptions(test_cmd=TEST_CMD), always)
    run_id = wf.ledger.runs()[0]["id"]
    asked_before = len(model.asked)

    (repo / "calc.py").write_text(
        (repo / "calc.py")
        .read_text()
        .replace("    a = -a\n", "")
        .replace("def mul(a, b):\n    return a + b", "def mul(a, b):\n    return a * b")
    )
    wf.resume(run_id)

    assert wf.get_run(run_id).status == "done"
    assert "step 1" not in model.asked[asked_before:]  # the user's fix was used, not a new model attempt
    assert git(repo, "log", "-1", "--format=%s", "HEAD~2").strip() == "Add mul"


def test_resuming_a_failed_step_untouched_tries_it_afresh(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    model.fix_edits[1] = BAD_FIX
    wf = workflow(repo, model=model)
    with pytest.raises(GearshiftError):
        wf.run(TASK, RunOptions(test_cmd=TEST_CMD), always)
    run_id = wf.ledger.runs()[0]["id"]
    model.fix_edits[1] = block("calc.py", "def mul(a, b):\n    return a + b\n", "def mul(a, b):\n    return a * b\n")

    wf.resume(run_id)

    assert wf.get_run(run_id).status == "done"
    stash = git(repo, "stash", "list")
    assert f"leftovers of step 1 of {run_id}" in stash  # the failed attempt is kept, not lost
    assert wf.ledger.steps(run_id)[0]["attempts"] == 2


def test_killed_after_a_commit_but_before_it_was_recorded(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    wf = workflow(repo, model=model)
    run_id = wf.run(TASK, RunOptions(test_cmd=TEST_CMD), always).run_id
    base = wf.get_run(run_id).base_commit
    # as if killed between step 2's commit and its row: the row says running, the commit exists
    wf.ledger.update_run(run_id, status="implementing")
    wf.ledger.set_step(run_id, 2, status="running", commit_sha=None)
    wf.ledger.set_step(run_id, 3, status="pending", commit_sha=None)
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    asked = len(model.asked)

    wf.resume(run_id)

    assert model.asked[asked:] == ["step 3", "review"]  # step 2 was not done again
    assert sorted(step_trailers(repo, base)) == [f"{run_id}/1", f"{run_id}/2", f"{run_id}/3"]


def test_the_budget_stops_at_a_step_boundary_and_resumes_with_more(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    wf = workflow(repo, model=model, budget={"max_tokens": 1200})
    with pytest.raises(BudgetReached, match="token budget reached: .* the run stopped at a step boundary"):
        wf.run(TASK, RunOptions(), always)
    run = wf.ledger.runs()[0]
    assert run["status"] == "stopped"
    done = [s["status"] for s in wf.ledger.steps(run["id"])]
    assert "running" not in done
    spent, _ = wf.ledger.run_spend(run["id"])
    assert spent <= 1200

    wf.ledger.update_run(run["id"], max_tokens=100_000)
    wf.resume(run["id"])
    assert wf.get_run(run["id"]).status == "done"
    assert len(step_trailers(repo, run["base_commit"])) == 3


def test_a_dirty_tree_is_refused_and_worktree_leaves_the_checkout_alone(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    (repo / "calc.py").write_text("# my unsaved work\n" + (repo / "calc.py").read_text())
    wf = workflow(repo, model=model)
    with pytest.raises(UsageError, match=r"uncommitted changes to tracked files \(calc.py\); commit or stash"):
        wf.run(TASK, RunOptions(), always)

    run_id = wf.run(TASK, RunOptions(test_cmd=TEST_CMD, worktree=True), always).run_id

    assert (repo / "calc.py").read_text().startswith("# my unsaved work")  # untouched
    assert git(repo, "branch", "--show-current").strip() == "main"
    worktree = Path(wf.get_run(run_id).checkout)
    assert "def sub" in (worktree / "calc.py").read_text()
    assert wf.get_run(run_id).status == "done"


def test_a_second_run_in_the_same_checkout_is_refused(tmp_path: Path) -> None:
    from filelock import FileLock

    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    wf = workflow(repo, model=model)
    run_id = wf.plan(TASK, RunOptions())
    lock_path = repo / ".gearshift" / "locks" / "checkout.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    (repo / ".gearshift" / "locks" / "checkout.holder").write_text("gearshift run other (pid 1)")
    with FileLock(str(lock_path)), pytest.raises(UsageError, match="gearshift run other .* is working in this"):
        wf.implement(run_id)
    assert wf.get_run(run_id).status == "planned"


def test_an_edited_plan_is_what_gets_implemented(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    wf = workflow(repo, model=model)
    run_id = wf.plan(TASK, RunOptions(test_cmd=TEST_CMD))
    plan_md = wf.run_dir(run_id) / "plan.md"
    text = plan_md.read_text()
    # delete step 3 (documentation) and reword step 2
    text = text[: text.index("### 3.")] + text[text.index("## Risk Assessment") :]
    plan_md.write_text(text.replace("### 2. Add sub", "### 2. Add subtraction"))

    wf.implement(run_id)

    assert model.asked == ["plan", "step 1", "fix 1", "step 2"]
    assert [s["title"] for s in wf.ledger.steps(run_id)] == ["Add mul", "Add subtraction"]
    assert not (repo / "README.md").exists()


def test_an_unparseable_plan_edit_names_its_line_and_leaves_the_run_as_it_was(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    wf = workflow(repo, model=model)
    run_id = wf.plan(TASK, RunOptions())
    plan_md = wf.run_dir(run_id) / "plan.md"
    lines = plan_md.read_text().splitlines()
    kind_line = next(i for i, line in enumerate(lines) if line.startswith("- Kind:"))
    lines[kind_line] = "- Kind: magic"
    plan_md.write_text("\n".join(lines))
    with pytest.raises(UsageError, match=rf"plan.md line {kind_line + 1}: unknown kind 'magic'"):
        wf.implement(run_id)
    assert wf.get_run(run_id).status == "planned"
    assert wf.get_run(run_id).branch is None
    assert git(repo, "branch", "--show-current").strip() == "main"


def test_undo_puts_the_branch_back_and_keeps_the_work(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    wf = workflow(repo, model=model)
    run_id = wf.run(TASK, RunOptions(test_cmd=TEST_CMD), always).run_id
    head = git(repo, "rev-parse", "HEAD").strip()
    base = wf.get_run(run_id).base_commit

    assert wf.undo(run_id) == head

    assert git(repo, "rev-parse", "HEAD").strip() == base
    assert git(repo, "rev-parse", f"refs/gearshift/undone/{run_id}").strip() == head
    assert wf.get_run(run_id).status == "undone"


def test_a_run_that_failed_while_planning_plans_again_on_resume(fake_api: FakeAPI, tmp_path: Path) -> None:
    from fakeapi import error_reply

    repo = make_repo(tmp_path / "repo")
    fake_api.push(error_reply(400, "the model is overloaded"))
    wf = workflow(repo, fake_api.url)
    with pytest.raises(ProviderError, match="plan phase: openai: .* answered 400: the model is overloaded"):
        wf.run(TASK, RunOptions(test_cmd=TEST_CMD), always)
    run_id = wf.ledger.runs()[0]["id"]
    assert wf.get_run(run_id).status == "failed"
    model = ScriptedModel()
    model.serve(fake_api)

    wf.resume(run_id)

    assert model.asked == ["plan", "step 1", "fix 1", "step 2", "step 3", "review"]
    assert wf.get_run(run_id).status == "done"


def test_a_plan_that_does_not_fit_its_schema_is_a_reply_format_error_recorded_as_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    del model.plan["steps"][0]["kind"]  # valid JSON, wrong shape
    wf = workflow(repo, model=model)
    with pytest.raises(ReplyFormatError, match="plan phase: the plan does not fit its schema at steps.0.kind"):
        wf.run(TASK, RunOptions(test_cmd=TEST_CMD), always)
    run = wf.ledger.runs()[0]
    assert run["status"] == "failed"
    assert "plan at a higher effort" in run["message"]
    call = wf.ledger.calls(run_id=run["id"])[0]
    assert (call["phase"], call["status"]) == ("plan", "error")
    assert call["output_tokens"] > 0  # the misfit reply was billed, and is accounted for


def test_the_reviewer_sees_the_checks_on_the_base_and_after_each_step_and_whole_functions(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "calc.py").write_text("def add(a, b):\n    # adds\n    # one\n    # two\n    # three\n    return a + b\n")
    git(repo, "commit", "-qam", "a longer add")
    model = ScriptedModel()
    wf = workflow(repo, model=model)
    run_id = wf.run(TASK, RunOptions(test_cmd=TEST_CMD), always).run_id

    review_input = model.inputs[model.asked.index("review")]
    assert "- on the base commit, before any step: passed" in review_input
    assert "- after step 1 (Add mul): passed" in review_input  # after its fix
    assert "- after step 3 (Document the functions): passed" in review_input
    assert "- now, after all steps: passed" in review_input
    assert "     # adds\n" in review_input  # the changed function whole, beyond three lines of context
    steps = wf.ledger.steps(run_id)
    assert [s["check_result"] for s in steps] == ["passed", "passed", "passed"]
    assert wf.get_run(run_id).base_check == "passed"


def test_a_base_that_already_fails_is_told_to_the_reviewer(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "check.py").write_text((repo / "check.py").read_text() + "assert False, 'broken before the run'\n")
    git(repo, "commit", "-qam", "a failing check")
    model = ScriptedModel()
    wf = workflow(repo, model=model, checks={"fix_attempts": 0})
    with pytest.raises(StepFailed):
        wf.run(TASK, RunOptions(test_cmd=TEST_CMD), always)
    base_check = wf.get_run(wf.runs.resolve(None)).base_check
    assert base_check is not None and base_check.startswith("failed (1): AssertionError: broken before the run")


def test_the_planner_sees_the_manifests_and_the_test_command_and_a_step_sees_what_it_reads(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "pyproject.toml").write_text('[project]\nname = "calc"\ndependencies = ["attrs>=23"]\n')
    (repo / "helpers.py").write_text("def twice(x):\n    return 2 * x\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "manifest and helpers")
    model = ScriptedModel()
    model.plan["steps"][0]["reads"] = ["helpers.py"]
    wf = workflow(repo, model=model)
    run_id = wf.run(TASK, RunOptions(test_cmd=TEST_CMD), always).run_id

    plan_input = model.inputs[0]
    assert '## pyproject.toml\n```\n[project]\nname = "calc"\ndependencies = ["attrs>=23"]\n```' in plan_input
    assert f"# Test command\n`{TEST_CMD}`, after every step" in plan_input
    step1 = model.inputs[model.asked.index("step 1")]
    assert "def twice(x):" in step1  # the file it reads, though it changes only calc.py
    step2 = model.inputs[model.asked.index("step 2")]
    assert "def twice(x):" not in step2
    assert "- Reads: helpers.py" in (wf.run_dir(run_id) / "plan.md").read_text()
    assert wf.load_plan(run_id).steps[0].reads == ["helpers.py"]
