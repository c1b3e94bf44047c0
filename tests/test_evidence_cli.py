"""The evidence commands as a user runs them: compare, suite run, suite report; the real SDK over loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakeapi import FakeAPI
from scripted_model import ScriptedModel
from test_suite import _task_file
from workflow_helpers import TASK, TEST_CMD, git, make_repo

from gearshift.evidence.records import error_row

REPORT_KEYS = {"tasks", "resolved", "rate", "ci95", "tokens", "cost_usd", "cost_per_resolved"}
PAIRED_KEYS = {"strategy", "baseline", "wins", "losses", "p_value", "diff", "ci95"}


@pytest.fixture
def model(fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch) -> FakeAPI:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    ScriptedModel().serve(fake_api)
    return fake_api


def test_compare_prints_its_json_contract_and_leaves_the_checkout_alone(
    cli: Any, model: FakeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    result = cli("compare", TASK, "--strategies", "high,medium", "--test-cmd", TEST_CMD, "--accept-cmd", TEST_CMD,
                 "--base-url", model.url, "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"task", "base", "comparison_id", "results"}
    assert [(r["strategy"], r["accepted"], r["status"]) for r in data["results"]] == [
        ("high", True, "done"),
        ("medium", True, "done"),
    ]
    assert "high #1: done accepted" in result.stderr  # a line per finished cell
    assert git(repo, "status", "--porcelain") == "" and git(repo, "branch", "--show-current") == "main\n"

    shown = cli("show", data["results"][0]["run_id"], "--json")  # the runs are in this repository's ledger
    assert shown.exit_code == 0 and json.loads(shown.stdout)["run"]["status"] == "done"

    table = cli("suite", "report", f".gearshift/compare/{data['comparison_id']}", "--json")
    assert table.exit_code == 0, table.stderr
    assert json.loads(table.stdout)["strategies"]["high"]["resolved"] == 1


def test_compare_table_fits_80_columns(
    cli: Any, model: FakeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("compare", TASK, "--strategies", "high,medium,high-medium-high", "--test-cmd", TEST_CMD,
                 "--base-url", model.url)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert sum("high-medium-high" in line for line in lines) == 1


def test_suite_run_then_report(cli: Any, model: FakeAPI, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    tasks = _task_file(tmp_path, repo)
    out = tmp_path / "out"
    run = cli("suite", "run", str(tasks), "--strategies", "high,medium", "--repeat", "2", "--out", str(out),
              "--test-cmd", TEST_CMD, "--base-url", model.url)  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert len((out / "results.jsonl").read_text().splitlines()) == 4

    report = cli("suite", "report", str(out), "--baseline", "high", "--json")
    assert report.exit_code == 0, report.stderr
    data = json.loads(report.stdout)
    assert set(data["strategies"]) == {"high", "medium"}
    for figures in data["strategies"].values():
        assert set(figures) >= REPORT_KEYS
        assert figures["resolved"] == 2 and figures["rate"] == 1.0
        assert set(figures["tokens"]) >= {"plan", "implement", "fix", "review", "total"}
    (paired,) = data["paired"]
    assert set(paired) >= PAIRED_KEYS
    assert (paired["strategy"], paired["baseline"], paired["wins"], paired["losses"]) == ("medium", "high", 0, 0)

    again = cli("suite", "run", str(tasks), "--strategies", "high,medium", "--repeat", "2", "--out", str(out),
                "--test-cmd", TEST_CMD, "--base-url", model.url)  # fmt: skip
    assert again.exit_code == 0 and "4 cells done before" in again.stderr

    text = cli("suite", "report", str(out), "--html", str(tmp_path / "report.html"))
    assert text.exit_code == 0 and "medium" in text.stdout
    page = (tmp_path / "report.html").read_text()
    assert page.count("<svg") == 3 and "high" in page and "scripted" not in page  # a live wire, if a scripted server


def test_mistakes_get_one_line_and_exit_2(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    bad = cli("compare", TASK, "--strategies", "high,hihg")
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1 and "unknown strategy 'hihg'" in bad.stderr
    empty = cli("suite", "report", str(tmp_path / "nothing"))
    assert empty.exit_code == 2 and "no results in" in empty.stderr
    (tmp_path / "t.jsonl").write_text('{"instance_id": "x"}\n')
    missing = cli("suite", "run", str(tmp_path / "t.jsonl"))
    assert missing.exit_code == 2 and "t.jsonl:1: missing base_commit, problem_statement" in missing.stderr
    row = error_row(task="t", strategy="high", repeat=1, instance_id="x", error="crashed")
    (tmp_path / "results.jsonl").write_text(json.dumps(row) + "\n")
    unknown = cli("suite", "report", str(tmp_path), "--baseline", "nope")
    assert unknown.exit_code == 2 and "nope" in unknown.stderr and unknown.stderr.count("\n") == 1


def test_the_report_pairs_against_the_first_strategy_given_not_the_first_to_finish(cli: Any, tmp_path: Path) -> None:
    rows = [
        {
            **error_row(task="t", strategy=strategy, repeat=1, instance_id="x", error="e"),
            "resolved": resolved,
            "status": "done",
        }
        for strategy, resolved in (("medium", False), ("high", True))  # medium finished first
    ]
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    (tmp_path / "strategies.json").write_text('{"strategies": ["high", "medium"]}')
    report = cli("suite", "report", str(tmp_path), "--json")
    assert report.exit_code == 0, report.stderr
    (paired,) = json.loads(report.stdout)["paired"]
    assert (paired["strategy"], paired["baseline"], paired["losses"]) == ("medium", "high", 1)
