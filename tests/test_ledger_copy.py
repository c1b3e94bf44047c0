"""Ledger.copy_run: one run's rows from another ledger, once, in one transaction, whatever columns each has."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from helpers import request

import gearshift.ledger_schema as ledger_module
from gearshift.errors import UsageError
from gearshift.gateway import CallSite, Gateway
from gearshift.ledger import Ledger
from gearshift.ledger_schema import MIGRATIONS
from gearshift.testing import FunctionProvider


def _run(ledger: Ledger, run_id: str, *, calls: int = 3, steps: int = 2) -> None:
    """A run as a workflow leaves it: its row, its steps, its calls with their text."""
    ledger.create_run(id=run_id, task=f"task of {run_id}", strategy="high", status="done", repo_root="/r", efforts="{}")
    for step in range(1, steps + 1):
        ledger.set_step(run_id, step, title=f"step {step}", status="done", commit_sha=f"c{step}")
    gateway = Gateway(ledger)
    model = FunctionProvider(lambda r: f"reply to {r.input}")
    for n in range(calls):
        gateway.call(model, request(f"{run_id} call {n}"), CallSite("implement", run_id=run_id, step=1))


def _rows(ledger: Ledger, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """The run's rows without what a copy may change: call ids, and created/updated times are kept."""
    rows = ledger.export_run(run_id)
    rows["calls"] = [{k: v for k, v in call.items() if k != "id"} for call in rows["calls"]]
    return rows


def test_a_run_is_copied_whole_with_new_call_ids_and_its_own_run_id(tmp_path: Path) -> None:
    with Ledger(tmp_path / "cell.db") as cell, Ledger(tmp_path / "suite.db") as suite:
        _run(suite, "other", calls=2, steps=1)  # the suite's ledger already holds calls 1 and 2
        _run(cell, "other-in-cell", calls=1)
        _run(cell, "r1")

        assert suite.copy_run(cell, "r1") is True

        assert _rows(suite, "r1") == _rows(cell, "r1")
        assert [c["id"] for c in suite.export_run("r1")["calls"]] == [3, 4, 5]  # numbered anew
        assert [c.request["input"] for c in suite.call_records("r1")] == [f"r1 call {n}" for n in range(3)]
        assert suite.get_run("r1") == cell.get_run("r1")
        assert suite.export_run("other-in-cell")["runs"] == []  # only the run asked for
        assert len(suite.calls(limit=100)) == 5


def test_copying_twice_adds_nothing_the_second_time(tmp_path: Path) -> None:
    with Ledger(tmp_path / "cell.db") as cell, Ledger(tmp_path / "suite.db") as suite:
        _run(cell, "r1")
        assert suite.copy_run(cell, "r1") is True
        before = suite.export_run("r1")
        assert suite.copy_run(cell, "r1") is False  # a resumed suite: the cell is not counted twice
        assert suite.export_run("r1") == before
        assert len(suite.calls()) == 3
        assert suite.stats()[0]["calls"] == 3


def test_copying_the_same_run_from_two_threads_at_once_copies_it_once(tmp_path: Path) -> None:
    with Ledger(tmp_path / "cell.db") as cell:
        _run(cell, "r1", calls=20)
    results: list[bool] = []

    def copy() -> None:
        with Ledger(tmp_path / "cell.db") as source, Ledger(tmp_path / "suite.db") as suite:
            results.append(suite.copy_run(source, "r1"))

    workers = [threading.Thread(target=copy) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert sorted(results) == [False, False, False, True]
    with Ledger(tmp_path / "suite.db") as suite:
        assert len(suite.calls(limit=1000)) == 20


def test_columns_only_one_ledger_has_are_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before_text = [m for m in MIGRATIONS if m[0] != "0004_call_text"]
    future = [*MIGRATIONS, ("0099_future", "ALTER TABLE calls ADD COLUMN future TEXT;")]

    monkeypatch.setattr(ledger_module, "MIGRATIONS", before_text)
    old = Ledger(tmp_path / "old.db")  # a cell ledger from before call text
    old.create_run(id="old-run", task="t", strategy="high", status="done", repo_root="/r", efforts="{}")
    old._db.execute(
        "INSERT INTO calls (run_id, phase, provider, model, status, input_tokens, created_at)"
        " VALUES ('old-run', 'plan', 'openai', 'm', 'ok', 7, 'then')"
    )
    monkeypatch.setattr(ledger_module, "MIGRATIONS", future)
    newer = Ledger(tmp_path / "newer.db")  # one from a later gearshift, with a column this one lacks
    _run(newer, "newer-run", calls=1)
    newer._db.execute("UPDATE calls SET future = 'x'")
    monkeypatch.undo()

    with Ledger(tmp_path / "suite.db") as suite:
        assert suite.copy_run(old, "old-run") and suite.copy_run(newer, "newer-run")
        [old_call] = suite.export_run("old-run")["calls"]
        assert (old_call["input_tokens"], old_call["request_json"], old_call["reply_json"]) == (7, None, None)
        [new_call] = suite.export_run("newer-run")["calls"]
        assert "future" not in new_call
        assert suite.get_call(new_call["id"])["request"]["input"] == "newer-run call 0"  # type: ignore[index]

    # and the other way: the old ledger takes a current run, without the columns it lacks
    assert old.copy_run(newer, "newer-run")
    assert "request_json" not in old.export_run("newer-run")["calls"][0]
    old.close()
    newer.close()


def test_a_failed_copy_leaves_nothing_behind(tmp_path: Path) -> None:
    with Ledger(tmp_path / "cell.db") as cell, Ledger(tmp_path / "suite.db") as suite:
        _run(cell, "r1")
        records = cell.export_run("r1")
        records["calls"][-1]["status"] = None  # NOT NULL: the last insert fails
        with pytest.raises(sqlite3.IntegrityError):
            suite.import_run(records)
        assert suite.export_run("r1") == {"runs": [], "steps": [], "calls": []}
        assert suite.copy_run(cell, "r1") is True  # and a later copy still works


def test_copying_a_run_the_source_lacks_says_so(tmp_path: Path) -> None:
    with (
        Ledger(tmp_path / "cell.db") as cell,
        Ledger(tmp_path / "suite.db") as suite,
        pytest.raises(UsageError, match="no run 'ghost' in the ledger .*cell.db"),
    ):
        suite.copy_run(cell, "ghost")
