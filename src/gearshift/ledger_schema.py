"""The ledger's schema: named, append-only migrations, each applied once in one transaction.

A migration already applied by another process is skipped, never run twice; opening a ledger
another process is migrating waits for it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# Append only: never edit a migration that has shipped; add a new one.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_calls",
        """
        CREATE TABLE calls (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT,
            phase TEXT NOT NULL,
            step INTEGER,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            effort_requested TEXT,
            effort_sent TEXT,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            cached_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            reasoning_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL,
            latency_ms INTEGER,
            request_id TEXT,
            status TEXT NOT NULL,
            error TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX calls_by_run ON calls (run_id, id);
        """,
    ),
    (
        "0002_runs_and_steps",
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            task TEXT NOT NULL,
            strategy TEXT NOT NULL,
            status TEXT NOT NULL,
            repo_root TEXT NOT NULL,
            checkout TEXT,
            branch TEXT,
            base_commit TEXT,
            worktree INTEGER NOT NULL DEFAULT 0,
            efforts TEXT NOT NULL,
            test_cmd TEXT,
            max_tokens INTEGER,
            max_usd REAL,
            message TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE steps (
            run_id TEXT NOT NULL REFERENCES runs (id),
            step_id INTEGER NOT NULL,
            title TEXT NOT NULL,
            status TEXT NOT NULL,
            effort TEXT,
            effort_reason TEXT,
            commit_sha TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            touched TEXT NOT NULL DEFAULT '[]',
            leftover TEXT,
            error TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (run_id, step_id)
        );
        """,
    ),
    (
        "0003_check_results",
        """
        ALTER TABLE runs ADD COLUMN base_check TEXT;
        ALTER TABLE steps ADD COLUMN check_result TEXT;
        ALTER TABLE steps ADD COLUMN tests_at_base TEXT;
        """,
    ),
    ("0004_call_text", "ALTER TABLE calls ADD COLUMN request_json TEXT; ALTER TABLE calls ADD COLUMN reply_json TEXT;"),
    # where cost_usd came from: 'native' (the provider's own figure), 'table' (the price table), 'none'
    ("0005_cost_source", "ALTER TABLE calls ADD COLUMN cost_source TEXT;"),
    # where the tokens came from: 'reported' by the provider, or 'estimated' (counted offline)
    ("0006_usage_source", "ALTER TABLE calls ADD COLUMN usage_source TEXT;"),
]


def while_locked(action: Callable[[], object], seconds: float = 30.0) -> None:
    """Do ``action``, again while another process holds the database: switching to WAL (and a first
    migration racing another's) can answer "database is locked" at once, without the busy handler."""
    deadline = time.monotonic() + seconds
    pause = 0.01
    while True:
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


def migrate(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    applied = {row[0] for row in db.execute("SELECT name FROM schema_migrations")}
    for name, sql in MIGRATIONS:
        if name in applied:
            continue
        try:
            # the marker row goes first: if another process applied this migration meanwhile,
            # its primary key refuses the insert and the whole transaction rolls back untouched
            db.executescript(
                f"BEGIN IMMEDIATE;\nINSERT INTO schema_migrations VALUES ('{name}', '{utc_now()}');\n{sql}\nCOMMIT;"
            )
        except sqlite3.IntegrityError:
            db.execute("ROLLBACK") if db.in_transaction else None
        except sqlite3.Error:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
