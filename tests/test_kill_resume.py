"""Killed at any moment (kill -9), `gearshift resume` finishes the run: no step twice, none lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fakeapi import FakeAPI
from scripted_model import ScriptedModel
from workflow_helpers import TASK, TEST_CMD, git, make_repo, step_trailers

from gearshift.ledger import Ledger


def gearshift(repo: Path, url: str, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(OPENAI_API_KEY="sk-test", GEARSHIFT_PROVIDERS__OPENAI__MAX_RETRIES="0")
    command = [sys.executable, "-m", "gearshift", *args, "--base-url", url]
    return subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# request 2: waiting for step 1; 3: mid-fix, step 1's failing edits on disk; 5: step 3; 6: the review
@pytest.mark.parametrize("kill_at", [1, 2, 3, 5, 6])
def test_kill_9_then_resume_finishes_with_every_step_once(fake_api: FakeAPI, tmp_path: Path, kill_at: int) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    model.serve(fake_api)
    process = gearshift(repo, fake_api.url, "run", TASK, "--yes", "--test-cmd", TEST_CMD)

    def kill(request_number: int) -> None:
        if request_number == kill_at:
            os.kill(process.pid, signal.SIGKILL)

    model.before_reply = kill
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    model.before_reply = None

    resumed = gearshift(repo, fake_api.url, "resume")
    _, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err

    with Ledger(repo / ".gearshift" / "ledger.db") as ledger:
        [run] = ledger.runs()
        steps = ledger.steps(run["id"])
    assert run["status"] == "done"
    assert [s["status"] for s in steps] == ["done", "done", "done"]
    assert sorted(step_trailers(repo, run["base_commit"])) == [f"{run['id']}/{n}" for n in (1, 2, 3)]
    calc = (repo / "calc.py").read_text()
    assert calc.count("def mul") == 1 and calc.count("def sub") == 1
    assert "return a * b" in calc
    assert (repo / ".gearshift" / "runs" / run["id"] / "review.md").exists()
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
