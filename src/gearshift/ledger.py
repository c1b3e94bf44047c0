"""The ledger: every model call, one row, in SQLite.

WAL and a busy timeout let parallel gearshift processes share one file; its schema and migrations
are in gearshift.ledger_schema. A call's row may keep its text (the request as sent, masked, and
the reply), each a JSON object in the transcript's record format, stored and handed back unread:
for `calls ID --show` and replay.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from gearshift.errors import GearshiftError, UsageError
from gearshift.ledger_schema import migrate, utc_now, while_locked

CALL_COLUMNS = (
    "id",
    "run_id",
    "phase",
    "step",
    "provider",
    "model",
    "effort_requested",
    "effort_sent",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cost_usd",
    "cost_source",
    "usage_source",
    "latency_ms",
    "request_id",
    "status",
    "error",
    "created_at",
)
# The call's text, kept apart from CALL_COLUMNS (the `calls --json` contract): it is large.
TEXT_COLUMNS = ("request_json", "reply_json")


@dataclass(frozen=True)
class CallRecord:
    phase: str
    provider: str
    model: str
    effort_requested: str | None
    effort_sent: str | None
    status: str
    run_id: str | None = None
    step: int | None = None
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float | None = None
    cost_source: str | None = None  # 'native', 'table' or 'none'
    usage_source: str | None = None  # 'reported' or 'estimated'
    latency_ms: int | None = None
    request_id: str | None = None
    error: str | None = None
    # the call's text in the transcript record format; None when not kept (the reply: or none came)
    request: Mapping[str, Any] | None = None
    reply: Mapping[str, Any] | None = None


class CallText(NamedTuple):
    """One call's kept text: the request as sent, and the reply (None when the call got none)."""

    call_id: int
    run_id: str | None
    status: str
    request: dict[str, Any]
    reply: dict[str, Any] | None


class Ledger:
    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self._lock = threading.Lock()
        if read_only:  # an existing file as it is: nothing migrated, nothing written (e.g. to replay it)
            if not path.is_file():
                raise UsageError(f"no ledger at {path}; check the path")
            self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # autocommit mode: transactions are explicit, so each write is durable when it returns
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA busy_timeout = 30000")
            self._db.execute("PRAGMA foreign_keys = ON")
            while_locked(lambda: self._db.execute("PRAGMA journal_mode = WAL"))
            while_locked(lambda: migrate(self._db))
        except sqlite3.Error as exc:
            raise GearshiftError(f"cannot open the ledger {path}: {exc}; pass --db to use another file") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record_call(self, call: CallRecord) -> int:
        values = {name: getattr(call, name) for name in CALL_COLUMNS if name not in ("id", "created_at")}
        values["created_at"] = utc_now()
        for column, record in (("request_json", call.request), ("reply_json", call.reply)):
            values[column] = None if record is None else json.dumps(record, ensure_ascii=False)
        columns = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        with self._lock:
            cursor = self._db.execute(f"INSERT INTO calls ({columns}) VALUES ({marks})", values)
        return int(cursor.lastrowid or 0)

    def calls(self, *, limit: int | None = None, run_id: str | None = None) -> list[dict[str, Any]]:
        """Recorded calls, newest first."""
        params: list[Any] = [run_id] if run_id else []
        where = "WHERE run_id = ?" if run_id else ""
        sql = f"SELECT {', '.join(CALL_COLUMNS)} FROM calls {where} ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [dict(row) for row in self._db.execute(sql, params)]

    def get_call(self, call_id: int) -> dict[str, Any] | None:
        """One call's row (the CALL_COLUMNS) with ``request`` and ``reply``: the text kept, else None."""
        columns = ", ".join([*CALL_COLUMNS, *TEXT_COLUMNS])
        row = self._db.execute(f"SELECT {columns} FROM calls WHERE id = ?", [call_id]).fetchone()
        if row is None:
            return None
        return {**{name: row[name] for name in CALL_COLUMNS}, "request": _loaded(row[-2]), "reply": _loaded(row[-1])}

    def call_records(self, run_id: str | None = None) -> list[CallText]:
        """The calls whose text was kept, of one run or all, oldest first: each run's calls together
        (runs may have shared the ledger at once), in the order the runs began. What a replay plays."""
        if "request_json" not in {column[1] for column in self._db.execute("PRAGMA table_info(calls)")}:
            return []  # a ledger from before call text was kept, opened read-only
        where = "request_json IS NOT NULL" + (" AND run_id = ?" if run_id is not None else "")
        sql = f"""
            SELECT id, run_id, status, request_json, reply_json FROM calls c WHERE {where}
            ORDER BY (SELECT MIN(id) FROM calls d WHERE d.run_id IS c.run_id), id
        """
        rows = self._db.execute(sql, [run_id] if run_id is not None else [])
        return [
            CallText(row["id"], row["run_id"], row["status"], _loaded(row["request_json"]), _loaded(row["reply_json"]))
            for row in rows
        ]

    def stats(self, *, run_id: str | None = None) -> list[dict[str, Any]]:
        """Totals per phase x effort x model. Cost is the sum of known prices; unpriced calls are counted."""
        where, params = ("WHERE run_id = ?", [run_id]) if run_id else ("", [])
        sql = f"""
            SELECT phase, effort_requested, effort_sent, model,
                   COUNT(*) AS calls,
                   SUM(status != 'ok') AS failed,
                   SUM(input_tokens) AS input_tokens,
                   SUM(cached_tokens) AS cached_tokens,
                   SUM(output_tokens) AS output_tokens,
                   SUM(reasoning_tokens) AS reasoning_tokens,
                   SUM(cost_usd) AS cost_usd,
                   SUM(cost_usd IS NULL) AS unpriced_calls,
                   SUM(COALESCE(latency_ms, 0)) AS latency_ms
            FROM calls {where}
            GROUP BY phase, effort_requested, effort_sent, model
            ORDER BY MIN(id)
        """
        return [dict(row) for row in self._db.execute(sql, params)]

    # --- runs and steps: each change is committed before the next begins ----------------

    def create_run(self, **fields: Any) -> None:
        now = utc_now()
        values = {**fields, "created_at": now, "updated_at": now}
        self._insert("runs", values)

    def update_run(self, run_id: str, **fields: Any) -> None:
        self._update("runs", fields, "id = ?", [run_id])

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT * FROM runs WHERE id = ?", [run_id]).fetchone()
        return dict(row) if row else None

    def find_runs(self, part: str) -> list[str]:
        """Ids of the runs whose id contains ``part`` (the unique part of an id is often its end)."""
        escaped = part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._db.execute("SELECT id FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY id", [f"%{escaped}%"])
        return [r[0] for r in rows]

    def resolve_run(self, part: str | None) -> str:
        """A run id from any unique part of one (its start wins a tie); none means the newest run."""
        if part is None:
            newest = self.runs(limit=1)
            if not newest:
                raise UsageError('no runs yet; start one with: gearshift run "your task"')
            return str(newest[0]["id"])
        matches = self.find_runs(part)
        if part in matches:
            return part
        starting = [m for m in matches if m.startswith(part)]
        if len(matches) == 1 or len(starting) == 1:
            return matches[0] if len(matches) == 1 else starting[0]
        if not matches:
            raise UsageError(f"no run matches {part!r}; `gearshift runs` lists them")
        shown = ", ".join(matches[:3])
        raise UsageError(f"{part!r} matches {len(matches)} runs ({shown}...); give more of the id")

    def runs(self, *, limit: int | None = None) -> list[dict[str, Any]]:
        """Runs, newest first, with their step counts and token and cost totals."""
        sql = """
            SELECT r.*,
                   (SELECT COUNT(*) FROM steps s WHERE s.run_id = r.id) AS steps_total,
                   (SELECT COUNT(*) FROM steps s WHERE s.run_id = r.id AND s.status = 'done') AS steps_done,
                   (SELECT COALESCE(SUM(input_tokens + output_tokens), 0) FROM calls c WHERE c.run_id = r.id)
                       AS tokens,
                   (SELECT SUM(cost_usd) FROM calls c WHERE c.run_id = r.id) AS cost_usd
            FROM runs r ORDER BY r.created_at DESC, r.id DESC
        """
        params: list[Any] = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [dict(row) for row in self._db.execute(sql, params)]

    def set_step(self, run_id: str, step_id: int, **fields: Any) -> None:
        """Update one step's row, or create it (a new row needs its title)."""
        fields = {**fields, "updated_at": utc_now()}
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._lock:
            cursor = self._db.execute(
                f"UPDATE steps SET {assignments} WHERE run_id = ? AND step_id = ?",
                [*fields.values(), run_id, step_id],
            )
            if cursor.rowcount == 0:
                values = {"run_id": run_id, "step_id": step_id, "status": "pending", **fields}
                columns = ", ".join(values)
                self._db.execute(
                    f"INSERT INTO steps ({columns}) VALUES ({', '.join('?' for _ in values)})", list(values.values())
                )

    def delete_steps_from(self, run_id: str, first_step: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM steps WHERE run_id = ? AND step_id >= ?", [run_id, first_step])

    def steps(self, run_id: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self._db.execute("SELECT * FROM steps WHERE run_id = ? ORDER BY step_id", [run_id])]

    def phase_totals(self, run_id: str) -> list[dict[str, Any]]:
        """Per phase of one run: calls, tokens, cost and time, in the order the phases ran."""
        sql = """
            SELECT phase, COUNT(*) AS calls, SUM(status != 'ok') AS failed,
                   SUM(input_tokens) AS input_tokens, SUM(cached_tokens) AS cached_tokens,
                   SUM(output_tokens) AS output_tokens, SUM(reasoning_tokens) AS reasoning_tokens,
                   SUM(cost_usd) AS cost_usd, SUM(cost_usd IS NULL) AS unpriced_calls,
                   SUM(COALESCE(latency_ms, 0)) AS latency_ms,
                   GROUP_CONCAT(DISTINCT effort_sent) AS efforts
            FROM calls WHERE run_id = ? GROUP BY phase ORDER BY MIN(id)
        """
        return [dict(row) for row in self._db.execute(sql, [run_id])]

    def run_spend(self, run_id: str) -> tuple[int, float | None]:
        """Tokens (input + output) and known cost spent by a run so far."""
        row = self._db.execute(
            "SELECT COALESCE(SUM(input_tokens + output_tokens), 0), SUM(cost_usd) FROM calls WHERE run_id = ?",
            [run_id],
        ).fetchone()
        return int(row[0]), row[1]

    def export_run(self, run_id: str) -> dict[str, list[dict[str, Any]]]:
        """One run's rows, all their columns: ``runs`` (none or one), ``steps``, ``calls``; for ``import_run``."""
        which = {"runs": "id = ?", "steps": "run_id = ? ORDER BY step_id", "calls": "run_id = ? ORDER BY id"}
        found = {table: self._db.execute(f"SELECT * FROM {table} WHERE {w}", [run_id]) for table, w in which.items()}
        return {table: [dict(row) for row in rows] for table, rows in found.items()}

    def copy_run(self, source: Ledger, run_id: str) -> bool:
        """Copy one run's rows (run, steps, calls with their text) from ``source`` as ``import_run`` adds
        them: once, in one transaction, the shared columns, the calls numbered anew. True if copied."""
        records = source.export_run(run_id)
        if not records["runs"]:
            raise UsageError(f"no run {run_id!r} in the ledger {source.path}; nothing to copy")
        return self.import_run(records)

    def import_run(self, records: dict[str, list[dict[str, Any]]]) -> bool:
        """Add one run's rows made elsewhere (a cell's own ledger: ``runs``, ``steps``, ``calls``), in one
        transaction, with the columns both ledgers have and the calls numbered anew. A run already
        here is left as it is, so a resumed suite never counts a cell twice. True if it was added."""
        runs = records.get("runs") or []
        if not runs:
            return False
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                # asked inside the transaction: another process copying the same run waits, then sees it
                if self._db.execute("SELECT 1 FROM runs WHERE id = ?", [runs[0]["id"]]).fetchone():
                    self._db.execute("ROLLBACK")
                    return False
                for table in ("runs", "steps", "calls"):
                    known = {column[1] for column in self._db.execute(f"PRAGMA table_info({table})")}
                    known.discard("id" if table == "calls" else "")
                    for row in records.get(table) or []:
                        values = {name: value for name, value in row.items() if name in known}
                        marks = ", ".join("?" for _ in values)
                        self._db.execute(
                            f"INSERT INTO {table} ({', '.join(values)}) VALUES ({marks})", list(values.values())
                        )
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        return True

    def _insert(self, table: str, values: dict[str, Any]) -> None:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self._lock:
            self._db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values()))

    def _update(self, table: str, fields: dict[str, Any], where: str, params: list[Any]) -> None:
        fields = {**fields, "updated_at": utc_now()}
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._lock:
            self._db.execute(f"UPDATE {table} SET {assignments} WHERE {where}", [*fields.values(), *params])

    def schema(self) -> dict[str, list[str]]:
        """Table name -> column names; what the migrations have built."""
        tables = [
            r[0]
            for r in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {t: [c[1] for c in self._db.execute(f"PRAGMA table_info({t})")] for t in tables}

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT name FROM schema_migrations ORDER BY name")]


def _loaded(text: str | None) -> Any:
    return None if text is None else json.loads(text)
