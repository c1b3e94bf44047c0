"""compare: one task under several strategies, each a whole run in its own worktree; the user's checkout untouched."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fakeapi import FakeAPI
from scripted_model import ScriptedModel
from workflow_helpers import TASK, TEST_CMD, git, make_repo, settings

from gearshift.errors import UsageError
from gearshift.evidence.compare import CompareOptions, compare
from gearshift.evidence.records import PHASE_NAMES, SEVERITIES
from gearshift.ledger import Ledger

CONTRACT = {
    "strategy",
    "repeat",
    "run_id",
    "status",
    "accepted",
    "phases",
    "total_tokens",
    "cost_usd",
    "seconds",
    "steps",
    "fix_attempts",
    "review_issues",
    "antipatterns",
}
ACCEPT = (
    "import os, sys\nsys.path.insert(0, os.getcwd())\nimport calc\n"
    "assert calc.mul(4, 5) == 20 and calc.sub(9, 4) == 5\nprint('SECRET-ACCEPTANCE-MARK')\n"
)


def _accept_script(tmp_path: Path) -> str:
    script = tmp_path / "judge" / "accept.py"
    script.parent.mkdir()
    script.write_text(ACCEPT)
    return f"{sys.executable} {script}"


def test_each_strategy_runs_whole_in_its_own_worktree_and_the_checkout_is_untouched(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "notes.txt").write_text("the user's own, uncommitted\n")
    before = (git(repo, "rev-parse", "HEAD"), git(repo, "branch", "--show-current"), (repo / "calc.py").read_text())
    model = ScriptedModel()
    options = CompareOptions(strategies=("high", "medium"), test_cmd=TEST_CMD, accept_cmd=_accept_script(tmp_path))
    with Ledger(repo / ".gearshift" / "ledger.db") as ledger:
        comparison = compare(
            repo, TASK, options, settings=settings("http://127.0.0.1:9"), ledger=ledger, providers=model.provider()
        )
        recorded = {row["id"] for row in ledger.runs()}

    assert (git(repo, "rev-parse", "HEAD"), git(repo, "branch", "--show-current"), (repo / "calc.py").read_text()) == (
        before
    )
    assert (repo / "notes.txt").read_text() == "the user's own, uncommitted\n"
    assert git(repo, "status", "--porcelain") == "?? notes.txt\n"

    data = comparison.to_json()
    assert set(data) == {"task", "base", "comparison_id", "results"}
    assert data["base"] == before[0].strip()
    assert [(r["strategy"], r["repeat"]) for r in data["results"]] == [("high", 1), ("medium", 1)]
    for row in data["results"]:
        assert set(row) >= CONTRACT
        assert row["status"] == "done" and row["accepted"] is True
        assert set(row["phases"]) == set(PHASE_NAMES)
        assert set(row["review_issues"]) == set(SEVERITIES) and row["review_issues"]["low"] == 1
        assert row["steps"] == 3 and row["fix_attempts"] == 1  # step 1's first edit is wrong, one fix
        assert row["phases"]["plan"]["input_tokens"] > 0 and row["total_tokens"] > 0
        assert row["scripted"] is True
        # the run's branch stays in the user's repository, with its three step commits
        branch = f"gearshift/{row['run_id']}"
        assert (
            git(repo, "rev-list", "--count", f"{data['base']}..{branch}").strip() == "3"
        )  # a commit per step, the fix in its step
    assert {r["run_id"] for r in data["results"]} <= recorded  # the user's ledger holds both runs
    efforts = {r["strategy"]: r for r in data["results"]}
    assert efforts["high"]["run_id"] != efforts["medium"]["run_id"]
    # the acceptance command is never shown to the model
    assert not any("SECRET-ACCEPTANCE-MARK" in text or "accept.py" in text for text in model.inputs)
    # and results.jsonl is there for `gearshift suite report`
    lines = (comparison.directory / "results.jsonl").read_text().splitlines()
    assert [json.loads(line)["run_id"] for line in lines] == [r["run_id"] for r in data["results"]]


def test_strategies_decide_the_effort_each_phase_is_asked_at(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    seen: list[tuple[str, str]] = []
    model = ScriptedModel()
    provider = model.provider()
    inner = provider.complete

    def complete(request, effort):  # type: ignore[no-untyped-def]
        seen.append((request.schema.name if request.schema else "step", request.effort.value))
        return inner(request, effort)

    provider.complete = complete  # type: ignore[method-assign]
    with Ledger(tmp_path / "ledger.db") as ledger:
        compare(
            repo,
            TASK,
            CompareOptions(strategies=("medium", "high"), test_cmd=TEST_CMD),
            settings=settings("http://127.0.0.1:9"),
            ledger=ledger,
            providers=provider,
        )
    plans = [effort for kind, effort in seen if kind == "plan"]
    reviews = [effort for kind, effort in seen if kind == "review"]
    assert plans == ["medium", "high"] and reviews == ["medium", "high"]


def test_a_failed_acceptance_is_reported_not_hidden(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    with Ledger(tmp_path / "ledger.db") as ledger:
        comparison = compare(
            repo,
            TASK,
            CompareOptions(
                strategies=("high",), test_cmd=TEST_CMD, accept_cmd=f"{sys.executable} -c 'raise SystemExit(3)'"
            ),
            settings=settings("http://127.0.0.1:9"),
            ledger=ledger,
            providers=ScriptedModel().provider(),
        )
    assert comparison.results[0]["accepted"] is False


def test_cells_run_in_parallel_processes_through_the_real_sdk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_api: FakeAPI
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    repo = make_repo(tmp_path / "repo")
    api = fake_api
    with Ledger(tmp_path / "ledger.db") as ledger:
        ScriptedModel().serve(api)
        comparison = compare(
            repo,
            TASK,
            CompareOptions(strategies=("high", "medium"), repeat=2, jobs=2, test_cmd=TEST_CMD),
            settings=settings(api.url),
            ledger=ledger,
        )
        calls = ledger.calls()
    rows = comparison.results
    assert [(r["strategy"], r["repeat"]) for r in rows] == [("high", 1), ("medium", 1), ("high", 2), ("medium", 2)]
    assert all(r["status"] == "done" for r in rows), [r["error"] for r in rows]
    assert {r["run_id"] for r in rows} == {c["run_id"] for c in calls}  # every call copied, once
    assert not any(r["scripted"] for r in rows)  # a live wire, even if the server is scripted
    assert sum(r["total_tokens"] for r in rows) == sum(c["input_tokens"] + c["output_tokens"] for c in calls)


def test_an_unknown_strategy_is_refused_before_anything_runs(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    with Ledger(tmp_path / "ledger.db") as ledger, pytest.raises(UsageError, match="unknown strategy 'hihg'"):
        compare(
            repo,
            TASK,
            CompareOptions(strategies=("high", "hihg")),
            settings=settings("http://127.0.0.1:9"),
            ledger=ledger,
            providers=model.provider(),
        )
    assert model.asked == []
