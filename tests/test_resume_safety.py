"""Runs that always resume and never take the user's files; preconditions before the first paid call;
budgets that hold (issue: nothing lands wrong). The model is the scripted one, as a FunctionProvider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scripted_model import ScriptedModel
from workflow_helpers import TASK, TEST_CMD, git, make_repo, step_trailers, workflow

import gearshift
from gearshift.errors import BudgetReached, UsageError
from gearshift.workflow import RunOptions


def killed_during_step_1(repo: Path, model: ScriptedModel) -> str:
    """A run whose process died while step 1's edit was on disk, before its check and commit."""
    wf = workflow(repo, model=model)
    run_id = wf.plan(TASK, RunOptions(test_cmd=TEST_CMD))

    def die_after_writing(number: int) -> None:
        if model.asked[-1] == "fix 1":  # step 1's edit is applied and its check failed: die here
            raise KeyboardInterrupt

    model.before_reply = die_after_writing
    with pytest.raises(KeyboardInterrupt):
        wf.implement(run_id)
    model.before_reply = None
    return run_id


def test_resume_sets_aside_only_what_the_run_wrote(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    run_id = killed_during_step_1(repo, model)
    assert "def mul" in (repo / "calc.py").read_text()  # the step's edit, left by the kill
    (repo / "notes.txt").write_text("my notes, never committed\n")  # the user's own untracked file

    workflow(repo, model=model).resume(run_id)

    assert (repo / "notes.txt").read_text() == "my notes, never committed\n"  # still there, not stashed
    stash = git(repo, "stash", "show", "--include-untracked", "--name-only", "stash@{0}").split()
    assert stash == ["calc.py"]  # the leftover of the killed step, kept
    assert workflow(repo, model=model).get_run(run_id).status == "done"


@pytest.mark.parametrize("worktree", [False, True])
@pytest.mark.parametrize("killed", ["before git made it", "after git made it, before it was recorded"])
def test_a_run_killed_between_recording_and_making_its_checkout_resumes(
    tmp_path: Path, worktree: bool, killed: str
) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    wf = workflow(repo, model=model)
    run_id = wf.plan(TASK, RunOptions(test_cmd=TEST_CMD, worktree=worktree))
    base = git(repo, "rev-parse", "HEAD").strip()
    branch = f"gearshift/{run_id}"
    path = repo / ".gearshift" / "worktrees" / run_id if worktree else repo
    if killed == "before git made it":
        wf.ledger.update_run(run_id, branch=branch, base_commit=base, checkout=str(path))
    elif worktree:
        git(repo, "worktree", "add", "-q", "-b", branch, str(path), base)
    else:
        git(repo, "switch", "-q", "-c", branch, base)

    workflow(repo, model=model).resume(run_id)

    run = workflow(repo, model=model).get_run(run_id)
    assert (run.status, run.branch) == ("done", branch)
    assert sorted(step_trailers(path, base)) == [f"{run_id}/{n}" for n in (1, 2, 3)]


def test_a_deleted_run_branch_says_how_to_bring_it_back(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    run_id = killed_during_step_1(repo, model)
    wf = workflow(repo, model=model)
    wf.ledger.set_step(run_id, 1, status="done", commit_sha=git(repo, "rev-parse", "HEAD").strip())
    git(repo, "stash", "-q", "--include-untracked")
    git(repo, "switch", "-q", "main")
    git(repo, "branch", "-D", f"gearshift/{run_id}")

    with pytest.raises(UsageError, match=rf"the run's branch gearshift/{run_id} is gone; .* `git branch gearshift/"):
        wf.resume(run_id)


def test_a_stale_index_lock_gets_one_line_that_says_what_to_do(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    wf = workflow(repo, model=model)
    run_id = wf.plan(TASK, RunOptions(test_cmd=TEST_CMD))
    (repo / ".git" / "index.lock").write_text("")

    with pytest.raises(UsageError, match=r"index.lock is there from a git command that stopped; .* delete that file"):
        wf.implement(run_id)

    (repo / ".git" / "index.lock").unlink()
    wf.resume(run_id)
    assert wf.get_run(run_id).status == "done"


def test_undo_twice_keeps_the_saved_work(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wf = workflow(repo, model=ScriptedModel())
    run_id = wf.run(TASK, RunOptions(test_cmd=TEST_CMD)).run_id
    head = git(repo, "rev-parse", "HEAD").strip()
    wf.undo(run_id)

    with pytest.raises(UsageError, match="is undone already; its work is kept at refs/gearshift/undone/"):
        wf.undo(run_id)

    assert git(repo, "rev-parse", f"refs/gearshift/undone/{run_id}").strip() == head


@pytest.mark.parametrize(
    "situation", ["no commits", "a rebase in progress", "another run working here", "a stale index.lock"]
)
def test_what_can_be_checked_for_free_is_checked_before_the_first_paid_call(tmp_path: Path, situation: str) -> None:
    from filelock import FileLock

    repo = tmp_path / "repo"
    if situation == "no commits":
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
    else:
        make_repo(repo)
    if situation == "a rebase in progress":
        (repo / ".git" / "rebase-merge").mkdir()
    if situation == "a stale index.lock":
        (repo / ".git" / "index.lock").write_text("")
    model = ScriptedModel()
    wf = workflow(repo, model=model)
    lock = repo / ".gearshift" / "locks" / "checkout.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    held = FileLock(str(lock) if situation == "another run working here" else str(tmp_path / "unrelated.lock"))
    with held, pytest.raises(UsageError):
        wf.run(TASK, RunOptions(test_cmd=TEST_CMD))
    assert model.asked == []  # nothing was paid for
    assert wf.ledger.calls() == []


def test_a_cost_budget_without_a_price_is_refused_before_anything_is_spent(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    wf = workflow(repo, model=model)  # a FunctionProvider bills nothing: its price is unknown
    with pytest.raises(UsageError, match=r'price of gpt-5.4 \(plan phase\) is unknown; .*\[pricing."gpt-5.4"\]'):
        wf.run(TASK, RunOptions(test_cmd=TEST_CMD, max_usd=0.0001))
    assert model.asked == []


def test_a_cost_budget_with_the_users_price_holds(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    pricing = {"gpt-5.4": {"input": 1.25, "cached_input": 0.125, "output": 10.0}}
    settings = gearshift.Settings.model_validate({"pricing": pricing, "budget": {"max_usd": 0.004}})
    with gearshift.Workflow.open(repo, settings=settings, providers=model.provider()) as wf:
        with pytest.raises(BudgetReached, match=r"cost budget reached: \$0.004\d of \$0.004 spent"):
            wf.run(TASK, RunOptions(test_cmd=TEST_CMD))
        calls = wf.ledger.calls()
    spent = sum(c["cost_usd"] for c in calls)
    first = calls[-1]
    assert first["cost_usd"] == pytest.approx((first["input_tokens"] * 1.25 + first["output_tokens"] * 10.0) / 1e6)
    assert 0.004 <= spent < 0.006  # stopped as soon as the budget was spent (before step 1's fix), not at the end
    assert "review" not in model.asked


def test_pricing_is_a_setting_with_its_source(cli, hermetic: Path) -> None:  # type: ignore[no-untyped-def]
    (hermetic / "gearshift.toml").write_text('[pricing."qwen3"]\ninput = 0.2\noutput = 0.6\n')
    result = cli("config", "show", "--json")
    rows = {row["key"]: row for row in json.loads(result.stdout)}
    assert rows["pricing.qwen3.input"]["value"] == 0.2
    assert rows["pricing.qwen3.input"]["source"].endswith("gearshift.toml")


def test_a_fix_whose_edits_do_not_apply_says_the_steps_changes_remain(tmp_path: Path) -> None:
    from scripted_model import block

    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    model.fix_edits[1] = block("calc.py", "def no_such_function():\n", "def mul(a, b):\n")  # never applies
    wf = workflow(repo, model=model)
    with pytest.raises(gearshift.StepFailed) as failed:
        wf.run(TASK, RunOptions(test_cmd=TEST_CMD))
    assert "Nothing was changed" not in failed.value.message
    assert "left uncommitted in" in failed.value.message
    assert "def mul" in (repo / "calc.py").read_text()  # the step's edit is there, as the message says

    calc = (repo / "calc.py").read_text()
    (repo / "calc.py").write_text(calc.replace("def mul(a, b):\n    return a + b", "def mul(a, b):\n    return a * b"))
    asked = len(model.asked)
    wf.resume(wf.runs.resolve(None))

    assert model.asked[asked:] == ["step 2", "step 3", "review"]  # step 1 was finished by hand, and taken
    assert wf.get_run(wf.runs.resolve(None)).status == "done"


def test_a_test_command_with_shell_syntax_is_refused_before_the_plan(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    wf = workflow(repo, model=model)
    with pytest.raises(UsageError, match=r"uses shell syntax \(&&\), but checks.shell is false"):
        wf.run(TASK, RunOptions(test_cmd="python3 check.py && false"))
    assert model.asked == []
