"""Implement through an agent that edits the checkout itself: its changes are inspected, refused ones rolled back."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from scripted_model import ScriptedModel
from workflow_helpers import TASK, TEST_CMD, git, make_repo, workflow

from gearshift import agent_changes
from gearshift.edits import apply_edit_blocks, parse_edit_blocks
from gearshift.effort import Effort
from gearshift.errors import EditError, ProviderError, StepFailed
from gearshift.models import Reply, Request, Usage
from gearshift.runs import RunStatus, StepStatus
from gearshift.workflow import RunOptions

Mischief = Callable[[Path, int], None]  # what the agent does besides its work: (checkout, attempt)


class EditingAgent:
    """An agent provider: plan and review answered as the scripted model answers; a step carried out by
    writing the scripted edits into the checkout itself, as codex or Claude Code would."""

    name = "fake-agent"
    billing = None
    edits_files = True

    def __init__(self, model: ScriptedModel, mischief: Mischief | None = None, fail_at: int | None = None) -> None:
        self.model = model
        self.mischief = mischief
        self.fail_at = fail_at
        self.requests: list[Request] = []

    def supported_efforts(self, model: str) -> tuple[Effort, ...]:
        return tuple(Effort)

    def context_window(self, model: str) -> int | None:
        return None

    def complete(self, request: Request, effort_sent: Effort | None) -> Reply:
        self.requests.append(request)
        answer = self.model.answer(request.schema.name if request.schema else None, request.input)
        if request.schema is None:
            assert request.workspace is not None and request.workspace.writable
            root = request.workspace.root
            if answer:
                apply_edit_blocks(root, parse_edit_blocks(answer))
            if self.mischief is not None:
                self.mischief(root, len(self.requests))
            if self.fail_at == len(self.requests):
                raise ProviderError("the agent stopped: max turns reached", usage=Usage(10, 0, 5))
            answer = "I made the change."
        else:
            assert request.workspace is not None and not request.workspace.writable
        return Reply(answer, Usage(100, 0, 20), request.model, effort_sent, native_cost_usd=0.01)


def _run(repo: Path, agent: EditingAgent) -> str:
    with_agent = workflow(repo)
    with_agent._only = agent  # one provider for every phase, as Workflow(providers=agent) gives
    return with_agent.run(TASK, RunOptions(test_cmd=TEST_CMD)).run_id


def test_a_whole_run_through_an_agent_that_edits_its_checkout(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    agent = EditingAgent(ScriptedModel())
    run_id = _run(repo, agent)
    flow = workflow(repo)
    assert flow.get_run(run_id).status == RunStatus.DONE
    calc = (repo / "calc.py").read_text()
    assert "def mul(a, b):\n    return a * b" in calc and "def sub" in calc  # step 1 fixed by the fix loop
    assert (repo / "README.md").exists()
    # plan and review ran read-only in the repository; steps and the fix were told to edit in place
    plan, *work, review = agent.requests
    for reader in (plan, review):
        assert reader.workspace is not None and reader.workspace.root == repo and not reader.workspace.writable
    assert all(r.workspace is not None and r.workspace.writable for r in work)
    assert "edit blocks" not in work[0].instructions and "Make the change yourself" in work[0].instructions
    assert work[0].workspace is not None and work[0].workspace.log_dir == flow.runs.directory(run_id) / "agent"
    # every call in the ledger at the agent's own cost
    calls = flow.ledger.calls(run_id=run_id)
    assert {c["cost_source"] for c in calls} == {"native"} and len(calls) == len(agent.requests)


def _hook(root: Path, attempt: int) -> None:
    hooks = Path(git(root, "rev-parse", "--path-format=absolute", "--git-common-dir").strip()) / "hooks"
    (hooks / "post-commit").write_text("#!/bin/sh\necho owned\n")


def _symlink(root: Path, attempt: int) -> None:
    (root / "escape").symlink_to("/etc")


def _commit(root: Path, attempt: int) -> None:
    git(root, "commit", "-qam", "the agent's own commit")


def _gearshift_file(root: Path, attempt: int) -> None:
    (root / ".gearshift").mkdir(exist_ok=True)
    (root / ".gearshift" / "planted.txt").write_text("x")


def _nested_git(root: Path, attempt: int) -> None:
    (root / "pkg" / ".git").mkdir(parents=True)
    (root / "pkg" / ".git" / "config").write_text("[core]\n\tfsmonitor = evil\n")


@pytest.mark.parametrize(
    ("mischief", "said"),
    [
        (_hook, "git's or gearshift's own files"),
        (_symlink, "escape: a symlink"),
        (_commit, "made a commit"),
        (_gearshift_file, "gearshift's own files"),
        (_nested_git, "under .git"),
    ],
)
def test_a_refused_change_is_rolled_back_and_the_step_fails_with_the_reason(
    tmp_path: Path, mischief: Mischief, said: str
) -> None:
    repo = make_repo(tmp_path / "repo")
    agent = EditingAgent(ScriptedModel(), mischief=mischief)
    with pytest.raises(StepFailed) as failure:
        _run(repo, agent)
    assert said in str(failure.value) and "Nothing was changed" in str(failure.value)
    # every attempt was rolled back: the checkout is as the base left it, hooks and .gearshift too
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    hooks = repo / ".git" / "hooks"
    assert not (hooks / "post-commit").exists() and not (repo / "escape").is_symlink()
    assert not (repo / ".gearshift" / "planted.txt").exists()
    assert git(repo, "log", "--format=%s", "-1").strip() == "initial"
    # each retry was told why the last attempt was rolled back
    retries = [r for r in agent.requests if "previous attempt was rolled back" in r.input]
    assert retries and said in retries[-1].input


def test_an_agent_that_changes_nothing_is_asked_again(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    model.step_edits[1] = ""  # the agent "does" step 1 without touching a file
    with pytest.raises(StepFailed, match="changed no file"):
        _run(repo, EditingAgent(model))


def test_an_agent_that_fails_half_way_leaves_its_changes_for_resume_to_set_aside(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    agent = EditingAgent(ScriptedModel(), fail_at=2)  # request 1 is the plan; 2 is step 1's edit
    with pytest.raises(ProviderError, match="max turns"):
        _run(repo, agent)
    flow = workflow(repo)
    run_id = flow.ledger.runs()[0]["id"]
    step = flow.runs.step(run_id, 1)
    assert step is not None and step.status == StepStatus.RUNNING and "calc.py" in step.touched
    assert "def mul" in (repo / "calc.py").read_text()  # kept, not lost


def test_a_rollback_puts_back_what_was_already_changed_and_never_follows_a_link(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b  # the step's earlier edit\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("precious")
    snapshot = agent_changes.take(repo, repo)
    (repo / "calc.py").write_text("garbage")
    (repo / "new.py").write_text("x = 1\n")
    (repo / "docs").symlink_to(outside)
    with pytest.raises(EditError, match="docs: a symlink"):
        agent_changes.inspect(snapshot)
    assert (repo / "calc.py").read_text().endswith("# the step's earlier edit\n")
    assert not (repo / "new.py").exists() and not os.path.lexists(repo / "docs")
    assert (outside / "keep.txt").read_text() == "precious"


def test_a_path_replaced_by_a_link_to_a_directory_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "mod.py").write_text("a = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "pkg")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "mod.py").write_text("theirs")
    snapshot = agent_changes.take(repo, repo)
    (repo / "pkg" / "mod.py").unlink()
    (repo / "pkg").rmdir()
    (repo / "pkg").symlink_to(outside)
    with pytest.raises(EditError, match="symlink"):
        agent_changes.inspect(snapshot)
    assert (repo / "pkg" / "mod.py").read_text() == "a = 1\n" and not (repo / "pkg").is_symlink()
    assert (outside / "mod.py").read_text() == "theirs"
