from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakeapi import FakeAPI
from scripted_model import ScriptedModel
from workflow_helpers import TASK, TEST_CMD, git, make_repo


@pytest.fixture
def repo(hermetic: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = make_repo(hermetic / "repo")
    monkeypatch.chdir(path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    return path


def test_run_without_a_terminal_or_yes_stops_after_the_plan(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedModel()
    model.serve(fake_api)
    result = cli("run", TASK, "--base-url", fake_api.url)
    assert result.exit_code == 0, result.stderr
    assert model.asked == ["plan"]
    assert "gearshift implement" in result.stderr
    [run] = json.loads(cli("runs", "--json").stdout)
    assert run["status"] == "planned"
    assert git(repo, "branch", "--show-current").strip() == "main"


def test_run_yes_then_runs_show_and_undo(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    ScriptedModel().serve(fake_api)
    result = cli("run", TASK, "--yes", "--test-cmd", TEST_CMD, "--base-url", fake_api.url)
    assert result.exit_code == 0, result.stderr
    assert "tokens per phase" in result.stdout
    for phase in ("plan", "implement", "fix", "review"):
        assert phase in result.stdout
    assert "100%" in result.stdout

    [run] = json.loads(cli("runs", "--json").stdout)
    assert (run["status"], run["steps_done"], run["steps_total"], run["strategy"]) == ("done", 3, 3, "auto")
    assert run["tokens"] > 0

    shown = json.loads(cli("show", run["id"][:12], "--json").stdout)
    assert shown["run"]["id"] == run["id"]
    assert [s["status"] for s in shown["steps"]] == ["done"] * 3
    assert shown["plan"]["steps"][0]["title"] == "Add mul"
    assert shown["review"]["adherence"][0]["status"] == "done"
    assert {p["phase"] for p in shown["phases"]} == {"plan", "implement", "fix", "review"}
    text = cli("show").stdout
    assert "Add mul" in text and "Review: 3 done; 1 issues" in text

    undone = cli("undo")
    assert undone.exit_code == 0, undone.stderr
    assert f"refs/gearshift/undone/{run['id']}" in undone.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == run["base_commit"]


def test_plan_then_implement_then_review_as_separate_commands(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedModel()
    model.serve(fake_api)
    planned = cli("plan", TASK, "--test-cmd", TEST_CMD, "--base-url", fake_api.url)
    assert planned.exit_code == 0, planned.stderr
    run_id = planned.stdout.strip()
    assert (repo / ".gearshift" / "runs" / run_id / "plan.md").exists()
    assert cli("implement", "--base-url", fake_api.url).exit_code == 0
    reviewed = cli("review", run_id, "--base-url", fake_api.url)
    assert reviewed.exit_code == 0, reviewed.stderr
    assert "## Adherence to Plan" in reviewed.stdout
    assert model.asked == ["plan", "step 1", "fix 1", "step 2", "step 3", "review"]


def test_resume_with_a_larger_budget(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    ScriptedModel().serve(fake_api)
    stopped = cli("run", TASK, "--yes", "--max-tokens", "700", "--base-url", fake_api.url)
    assert stopped.exit_code == 1
    assert "token budget reached" in stopped.stderr
    assert "gearshift resume" in stopped.stderr
    resumed = cli("resume", "--max-tokens", "100000", "--base-url", fake_api.url)
    assert resumed.exit_code == 0, resumed.stderr
    assert json.loads(cli("runs", "--json").stdout)[0]["status"] == "done"


def test_workflow_errors_are_one_line(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    nothing = cli("show")
    assert nothing.exit_code == 2
    assert nothing.stderr.strip() == 'gearshift: no runs yet; start one with: gearshift run "your task"'
    assert cli("show", "nope").stderr.strip() == "gearshift: no run matches 'nope'; `gearshift runs` lists them"
    (repo / "calc.py").write_text("changed\n")
    model = ScriptedModel()
    model.serve(fake_api)
    dirty = cli("run", TASK, "--yes", "--base-url", fake_api.url)
    assert dirty.exit_code == 2
    assert dirty.stderr.strip().splitlines() == [
        "gearshift: uncommitted changes to tracked files (calc.py); commit or stash them, or pass --worktree"
        " to run in a separate worktree and leave this checkout alone"
    ]
    assert model.asked == []  # refused before any tokens were spent


def test_outside_a_repository_run_says_so(cli, hermetic: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("run", "anything", "--yes")
    assert result.exit_code == 2
    assert "is not inside a git repository" in result.stderr


def test_ids_by_any_unique_part_and_real_json_types(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    ScriptedModel().serve(fake_api)
    assert cli("run", TASK, "--yes", "--test-cmd", TEST_CMD, "--base-url", fake_api.url).exit_code == 0
    [run] = json.loads(cli("runs", "--json").stdout)
    tail = run["id"][-4:]  # the unique part of an id is its end

    shown = json.loads(cli("show", tail, "--json").stdout)
    assert shown["run"]["id"] == run["id"]
    assert shown["steps"][0]["touched"] == ["calc.py"]  # a list, not a JSON string in a string
    assert shown["run"]["efforts"]["plan"] == "high"
    assert shown["run"]["worktree"] is False
    calls = json.loads(cli("calls", "--run", tail, "--json").stdout)
    assert len(calls) == 6 and {c["run_id"] for c in calls} == {run["id"]}
    assert {row["phase"] for row in json.loads(cli("stats", "--run", tail, "--json").stdout)} >= {"plan", "review"}

    missing = cli("calls", "--run", "zzzz")
    assert (missing.exit_code, missing.stderr.strip()) == (
        2,
        "gearshift: no run matches 'zzzz'; `gearshift runs` lists them",
    )
    shell = [row for row in json.loads(cli("config", "show", "--json").stdout) if row["key"] == "checks.shell"]
    assert shell[0]["value"] is False


def test_a_task_from_standard_input_or_a_file_and_an_oversized_task_refused(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedModel()
    model.serve(fake_api)
    from_stdin = cli("plan", "-", "--base-url", fake_api.url, stdin="Add mul and sub to calc\n")
    assert from_stdin.exit_code == 0, from_stdin.stderr
    (repo.parent / "task.md").write_text("Add mul and sub to calc, from a file\n")
    from_file = cli("plan", "--task-file", str(repo.parent / "task.md"), "--base-url", fake_api.url)
    assert from_file.exit_code == 0, from_file.stderr
    tasks = sorted(r["task"] for r in json.loads(cli("runs", "--json").stdout))
    assert tasks == ["Add mul and sub to calc", "Add mul and sub to calc, from a file"]

    huge = cli("plan", "x" * 120_000, "--base-url", fake_api.url)
    assert huge.exit_code == 2 and "the task is 120 KB, more than the 64 KB a task may be" in huge.stderr
    neither = cli("plan", "--base-url", fake_api.url)
    assert neither.exit_code == 2 and "give the task as an argument" in neither.stderr
    assert model.asked == ["plan", "plan"]  # nothing paid for the refusals
