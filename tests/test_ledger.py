from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

from gearshift.ledger import CALL_COLUMNS, TEXT_COLUMNS, CallRecord, Ledger
from gearshift.ledger_schema import MIGRATIONS


def _call(**kw: object) -> CallRecord:
    base: dict[str, object] = {
        "phase": "plan",
        "provider": "openai",
        "model": "gpt-5.4",
        "effort_requested": "high",
        "effort_sent": "high",
        "status": "ok",
    }
    return CallRecord(**(base | kw))  # type: ignore[arg-type]


def test_migrations_build_the_documented_schema(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        schema = ledger.schema()
        assert ledger.applied_migrations() == [name for name, _ in MIGRATIONS]
    # the contract's columns and the call's text, each added by its own migration (cost_source last)
    assert sorted(schema["calls"]) == sorted([*CALL_COLUMNS, *TEXT_COLUMNS])
    assert TEXT_COLUMNS == ("request_json", "reply_json") and not set(TEXT_COLUMNS) & set(CALL_COLUMNS)
    assert schema["calls"][-2:] == ["cost_source", "usage_source"]
    assert [name for name, _ in MIGRATIONS[-2:]] == ["0005_cost_source", "0006_usage_source"]
    assert schema["schema_migrations"] == ["name", "applied_at"]


def test_opening_again_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    Ledger(path).close()
    with Ledger(path) as ledger:
        ledger.record_call(_call())
    with Ledger(path) as ledger:
        assert len(ledger.calls()) == 1
        assert ledger.applied_migrations() == [name for name, _ in MIGRATIONS]


def test_wal_mode_is_on(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    Ledger(path).close()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_calls_are_newest_first_and_keep_every_field(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        ledger.record_call(_call(run_id="r1", step=2, input_tokens=10, cost_usd=None, error=None))
        ledger.record_call(_call(phase="review", status="timeout", error="too slow", cost_usd=0.5))
        rows = ledger.calls()
        assert [r["phase"] for r in rows] == ["review", "plan"]
        assert list(rows[0]) == list(CALL_COLUMNS)
        assert rows[1]["cost_usd"] is None
        assert rows[0]["error"] == "too slow"
        assert [r["id"] for r in ledger.calls(run_id="r1")] == [rows[1]["id"]]
        assert len(ledger.calls(limit=1)) == 1


def test_stats_keep_unknown_costs_unknown(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        ledger.record_call(_call(input_tokens=100, output_tokens=10, cost_usd=0.25, latency_ms=1000))
        ledger.record_call(_call(input_tokens=50, output_tokens=5, cost_usd=None, latency_ms=500))
        ledger.record_call(_call(phase="implement", effort_requested="medium", effort_sent="medium", cost_usd=None))
        plan, implement = ledger.stats()
    assert (plan["calls"], plan["input_tokens"], plan["output_tokens"]) == (2, 150, 15)
    assert (plan["cost_usd"], plan["unpriced_calls"], plan["latency_ms"]) == (0.25, 1, 1500)
    assert (implement["cost_usd"], implement["unpriced_calls"]) == (None, 1)


def _writer(path: str, worker: int) -> None:
    with Ledger(Path(path)) as ledger:
        for i in range(40):
            ledger.record_call(_call(run_id=f"w{worker}", step=i))


def test_parallel_processes_share_one_ledger(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"  # fresh: the workers also race to migrate it
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), n)) for n in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    with Ledger(path) as ledger:
        assert len(ledger.calls()) == 160
        assert ledger.applied_migrations() == [name for name, _ in MIGRATIONS]
