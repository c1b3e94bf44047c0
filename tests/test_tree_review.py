"""Review of the working tree against a task or a run's plan (gearshift.tree_review), in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
from scripted_model import REVIEW, ScriptedModel
from workflow_helpers import TASK, TEST_CMD, git, make_repo, workflow

from gearshift import tree_review
from gearshift.effort import Effort
from gearshift.errors import UsageError
from gearshift.tree_review import find_run, review_working_tree, working_tree_diff
from gearshift.workflow import RunOptions

ONE_STEP_REVIEW = {
    "adherence": [{"step_id": 1, "status": "partial", "evidence": "mul added, sub missing"}],
    "issues": [{"severity": "medium", "description": "sub is missing", "file": "calc.py", "line": None}],
    "recommendations": ["Add sub"],
}


@pytest.fixture
def repo(hermetic: Path) -> Path:
    return make_repo(hermetic / "repo")


def _add_mul(repo: Path) -> None:
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n")


def test_the_diff_has_changed_deleted_and_new_files_and_never_a_secrets_file(repo: Path) -> None:
    _add_mul(repo)
    (repo / "check.py").unlink()
    (repo / "notes.md").write_text("# notes\n")
    (repo / ".env").write_text("API_KEY=sk-live-123\n")
    base = git(repo, "rev-parse", "HEAD").strip()
    diff, files = working_tree_diff(repo, base)
    assert files == [".env", "calc.py", "check.py", "notes.md"]
    assert "+def mul(a, b):" in diff
    assert "deleted file mode" in diff and "-import calc" in diff
    assert "+# notes" in diff
    assert "sk-live-123" not in diff and "the diff of .env is left out" in diff


def test_the_diff_is_bounded_and_says_what_it_left_out(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tree_review, "MAX_LINES_PER_FILE", 5)
    monkeypatch.setattr(tree_review, "MAX_DIFF_CHARS", 400)
    (repo / "big.py").write_text("".join(f"x{n} = {n}\n" for n in range(100)))
    for name in ("a.py", "b.py", "c.py"):
        (repo / name).write_text("y = 1\n" * 50)
    diff, files = working_tree_diff(repo, "HEAD")
    assert len(files) == 4
    assert "more diff lines of a.py left out" in diff
    assert "more files left out" in diff


def test_review_against_a_task_is_one_review_call_without_a_run(repo: Path) -> None:
    model = ScriptedModel(review=ONE_STEP_REVIEW)
    flow = workflow(repo, model=model)
    _add_mul(repo)
    found = review_working_tree(flow, "Add mul and sub to calc")
    assert found.run_id is None and found.task == "Add mul and sub to calc"
    assert found.review.adherence[0].status == "partial"
    assert [step.title for step in found.plan.steps] == ["Add mul and sub to calc"]
    assert found.files == ("calc.py",)
    assert "❌" not in found.markdown and "Step 1, Add mul and sub to calc: partial" in found.markdown
    assert model.asked == ["review"]
    sent = model.inputs[-1]
    assert "No plan was made" in sent and "+def mul(a, b):" in sent and "(no test command configured)" in sent
    [call] = flow.ledger.calls()
    assert (call["phase"], call["run_id"], call["status"]) == ("review", None, "ok")
    assert found.usage.calls == 1
    # an implementation task is reviewed at high by the route, and the reason says so
    assert found.effort == Effort.HIGH and call["effort_requested"] == "high"
    assert "review" in found.effort_reason


def test_review_against_a_run_uses_its_plan_its_test_command_and_its_id(repo: Path) -> None:
    model = ScriptedModel()
    flow = workflow(repo, model=model)
    run_id = flow.plan(TASK, RunOptions(worktree=True, test_cmd=TEST_CMD))
    _add_mul(repo)
    found = review_working_tree(flow, run_id[-4:], effort=Effort.MEDIUM)
    assert found.run_id == run_id and found.task == TASK
    assert [step.title for step in found.plan.steps] == ["Add mul", "Add sub", "Document the functions"]
    sent = model.inputs[-1]
    assert "### 2. Add sub" in sent and "now, on the working tree: passed" in sent
    review_calls = [c for c in flow.ledger.calls(run_id=run_id) if c["phase"] == "review"]
    assert len(review_calls) == 1 and review_calls[0]["effort_requested"] == "medium"
    assert found.review.model_dump() == REVIEW
    assert found.usage.input_tokens == review_calls[0]["input_tokens"]


def test_a_run_id_or_a_task(repo: Path) -> None:
    flow = workflow(repo, model=ScriptedModel())
    run_id = flow.plan(TASK, RunOptions(worktree=True))
    assert find_run(flow.runs, run_id) == run_id
    assert find_run(flow.runs, f" {run_id[-4:]} ") == run_id
    assert find_run(flow.runs, "add") is None  # a word, even where some id might hold it
    assert find_run(flow.runs, "Add mul to calc") is None
    with pytest.raises(UsageError, match="no run matches '20990101-000000-abcd'"):
        find_run(flow.runs, "20990101-000000-abcd")


def test_nothing_to_review_or_a_base_that_is_no_commit_is_one_line(repo: Path) -> None:
    flow = workflow(repo, model=ScriptedModel())
    with pytest.raises(UsageError, match="no changes against HEAD; nothing to review"):
        review_working_tree(flow, "Add mul")
    _add_mul(repo)
    for base in ("nope", "--output=x", ""):
        with pytest.raises(UsageError, match="is not a commit"):
            review_working_tree(flow, "Add mul", base=base)
    with pytest.raises(UsageError, match="the task is empty"):
        review_working_tree(flow, "   ")
    assert flow.ledger.calls() == []  # nothing was asked of the model


def test_an_older_base_reviews_committed_work_too(repo: Path) -> None:
    model = ScriptedModel(review=ONE_STEP_REVIEW)
    flow = workflow(repo, model=model)
    _add_mul(repo)
    git(repo, "commit", "-q", "-am", "mul")
    found = review_working_tree(flow, "Add mul", base="HEAD~1")
    assert found.files == ("calc.py",) and "+def mul(a, b):" in model.inputs[-1]
