"""Replay from a ledger: the calls a ledger kept the text of, as a transcript's entries.

The ledger keeps each call's request and reply in the transcript's record format (see
gearshift.gateway and gearshift.models.transcript), so the replay provider plays a ledger as it
plays a JSONL transcript: ``--transcript .gearshift/ledger.db`` plays every run of it (a suite's
ledger, say), ``--transcript .gearshift/ledger.db#RUN`` one run, RUN being any unique part of its
id. A path is a ledger when it ends in ``.db`` or starts as an SQLite file does. The ledger is
opened read-only, and read once, when the provider is made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gearshift.errors import UsageError

SQLITE_HEADER = b"SQLite format 3\x00"
LEDGER_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def ledger_source(path: Path) -> tuple[Path, str | None] | None:
    """The ledger file and the run part a transcript path names, or None if it names no ledger.
    ``ledger.db#RUN`` names one run; a file whose own name holds a ``#`` is still taken whole."""
    if path.is_file():
        return (path, None) if _is_ledger(path) else None
    base, mark, run = str(path).rpartition("#")
    if mark and base and Path(base).is_file() and _is_ledger(Path(base)):
        return Path(base), run.strip() or None
    return None


def load_ledger(path: Path, run: str | None = None) -> list[dict[str, Any]]:
    """The replayable calls of the ledger at ``path`` (of the run ``run`` names, or of every run) as
    transcript entries: ``{"request", "reply", "origin"}``, in the order ``Ledger.call_records``
    gives. A call that got no reply (it failed before one came) has nothing to play and is left out."""
    import sqlite3

    from gearshift.ledger import Ledger

    with Ledger(path, read_only=True) as ledger:
        try:
            if "calls" not in ledger.schema():
                raise UsageError(f"replay: {path} is an SQLite file but not a gearshift ledger: it has no calls table")
            run_id = _resolve(ledger, path, run) if run is not None else None
            kept = ledger.call_records(run_id)
            recorded = len(ledger.calls(run_id=run_id)) if not kept else 0
        except sqlite3.Error as exc:  # a damaged file, or not a database at all
            raise UsageError(f"replay: cannot read {path} as a gearshift ledger: {exc}") from None
    which = f"run {run_id}" if run_id else "it"
    if not kept and recorded:
        raise UsageError(
            f"replay: the ledger {path} holds {recorded} calls of {which} but not their text"
            " (recorded with ledger.keep_text = false, or before gearshift kept it); nothing to replay"
        )
    if not kept:
        raise UsageError(f"replay: the ledger {path} holds no calls of {which}; nothing to replay")
    return [
        {
            "request": call.request,
            "reply": call.reply,
            "origin": f"call {call.call_id}" + (f" of run {call.run_id}" if call.run_id else ""),
        }
        for call in kept
        if call.reply is not None and "text" in call.reply
    ]


def _resolve(ledger: Any, path: Path, part: str) -> str:
    try:
        return str(ledger.resolve_run(part))
    except UsageError:
        raise UsageError(
            f"replay: no single run of the ledger {path} matches {part!r}; `gearshift --db {path} runs` lists them"
        ) from None


def _is_ledger(path: Path) -> bool:
    if path.suffix.lower() in LEDGER_SUFFIXES:
        return True
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False
