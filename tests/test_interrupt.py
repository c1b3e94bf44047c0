"""Ctrl-C during a run: the run is recorded as interrupted, its check is stopped, one line says how to
resume (exit 130), and `gearshift resume` finishes it with every step once. Real processes, real SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fakeapi import FakeAPI
from scripted_model import ScriptedModel
from test_checks_processes import read_pid, wait_until_gone
from workflow_helpers import TASK, TEST_CMD, git, make_repo, step_trailers, workflow

from gearshift.ledger import Ledger
from gearshift.workflow import RunInterrupted, RunOptions


def gearshift(repo: Path, url: str, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GEARSHIFT_"))}
    env.update(OPENAI_API_KEY="sk-test", GEARSHIFT_PROVIDERS__OPENAI__MAX_RETRIES="0", NO_COLOR="1")
    command = [sys.executable, "-m", "gearshift", *args, "--base-url", url]
    return subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def the_run(repo: Path) -> tuple[dict, list[dict]]:  # type: ignore[type-arg]
    with Ledger(repo / ".gearshift" / "ledger.db") as ledger:
        [run] = ledger.runs()
        return run, ledger.steps(run["id"])


def resume_finishes(repo: Path, url: str, part: str) -> None:
    resumed = gearshift(repo, url, "resume", part)
    out, err = resumed.communicate(timeout=90)
    assert resumed.returncode == 0, err
    run, steps = the_run(repo)
    assert run["status"] == "done"
    assert [s["status"] for s in steps] == ["done", "done", "done"]
    assert sorted(step_trailers(repo, run["base_commit"])) == [f"{run['id']}/{n}" for n in (1, 2, 3)]
    calc = (repo / "calc.py").read_text()
    assert calc.count("def mul") == 1 and calc.count("def sub") == 1 and "return a * b" in calc
    assert f"Run {part} done" in out


def hint(err: str) -> tuple[str, str]:
    """The last line of stderr, and the run's name in it."""
    last = err.strip().splitlines()[-1]
    name = last.rsplit(" ", 1)[-1]
    return last, name


@pytest.mark.timeout(180)
def test_ctrl_c_while_a_step_waits_for_the_model(fake_api: FakeAPI, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    model.serve(fake_api)
    process = gearshift(repo, fake_api.url, "run", TASK, "--yes", "--test-cmd", TEST_CMD)

    def ctrl_c(request_number: int) -> None:
        if model.asked[-1] == "step 2":  # step 1 is committed; step 2 waits for its reply
            os.kill(process.pid, signal.SIGINT)

    model.before_reply = ctrl_c
    _, err = process.communicate(timeout=90)
    model.before_reply = None

    assert process.returncode == 130, err
    assert "Traceback" not in err
    last, name = hint(err)
    said = f"gearshift: interrupted; run {name} is recorded as interrupted; continue with: gearshift resume {name}"
    assert last == said
    run, steps = the_run(repo)
    assert run["id"].endswith(name)
    assert (run["status"], [s["status"] for s in steps]) == ("interrupted", ["done", "running", "pending"])
    assert "gearshift resume" in run["message"]
    assert "step 1: committed" in err and "calc.py +" in err  # each step says the files it changed

    resume_finishes(repo, fake_api.url, name)


SLOW_CHECK = """\
import os, runpy, sys, time
from pathlib import Path
flag, pid_file = Path(sys.argv[1]), Path(sys.argv[2])
if flag.exists() and "def mul" in Path("calc.py").read_text():
    pid_file.write_text(str(os.getpid()))
    time.sleep(300)
sys.path.insert(0, os.getcwd())
runpy.run_path("check.py")
"""


@pytest.mark.timeout(180)
def test_ctrl_c_while_a_step_s_check_runs_stops_the_check(fake_api: FakeAPI, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    script, flag, pid_file = tmp_path / "slow_check.py", tmp_path / "slow", tmp_path / "check.pid"
    script.write_text(SLOW_CHECK)
    flag.write_text("")
    test_cmd = f"{sys.executable} {script} {flag} {pid_file}"
    ScriptedModel().serve(fake_api)
    process = gearshift(repo, fake_api.url, "run", TASK, "--yes", "--test-cmd", test_cmd)
    try:
        check = read_pid(pid_file, seconds=60)  # step 1's check is running
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert wait_until_gone(check) == []  # the check went with it
    last, name = hint(err)
    assert last.endswith(f"continue with: gearshift resume {name}")
    run, steps = the_run(repo)
    assert (run["status"], [s["status"] for s in steps]) == ("interrupted", ["running", "pending", "pending"])

    flag.unlink()
    resume_finishes(repo, fake_api.url, name)
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""


def test_the_library_records_the_interruption_and_resume_goes_on(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()

    def interrupt(request_number: int) -> None:
        if model.asked[-1] == "step 3":
            raise KeyboardInterrupt

    model.before_reply = interrupt
    wf = workflow(repo, model=model)
    with pytest.raises(RunInterrupted) as raised:
        wf.run(TASK, RunOptions(test_cmd=TEST_CMD))
    run_id = raised.value.run_id
    assert raised.value.status == "interrupted"
    assert isinstance(raised.value, KeyboardInterrupt)  # a caller's `except KeyboardInterrupt` still holds
    assert wf.get_run(run_id).status == "interrupted"

    model.before_reply = None
    asked = len(model.asked)
    assert wf.resume(run_id).status == "done"
    assert model.asked[asked:] == ["step 3", "review"]


def test_ctrl_c_before_implementing_leaves_a_planned_run_planned(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wf = workflow(repo, model=ScriptedModel())

    def approve(plan_md: str, path: Path) -> bool:
        raise KeyboardInterrupt  # Ctrl-C at the question

    with pytest.raises(RunInterrupted) as raised:
        wf.run(TASK, RunOptions(test_cmd=TEST_CMD), approve)
    assert raised.value.status == "planned"
    assert wf.get_run(raised.value.run_id).status == "planned"
    assert wf.resume(raised.value.run_id).status == "done"
