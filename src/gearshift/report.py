"""Rendering ledger rows for people (rich tables) and for scripts (JSON). Pure: rows in, output out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from rich.table import Table


def tokens(value: int | None) -> str:
    if value is None:
        return "-"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}K"
    if value >= 1000:
        return f"{value / 1000:.1f}K"
    return str(value)


def money(value: float | None, unpriced: int = 0) -> str:
    """A cost; unknown prices are said to be unknown, never shown as zero."""
    if value is None:
        return "unknown"
    shown = f"${value:.4f}" if value < 1 else f"${value:.2f}"
    return f"{shown} + {unpriced} unknown" if unpriced else shown


def seconds(ms: int | None) -> str:
    if ms is None:
        return "-"
    return f"{ms / 1000:.1f}s"


def effort(requested: str | None, sent: str | None) -> str:
    if requested == sent or (sent is None and requested is None):
        return requested or "-"
    return f"{requested or '-'}→{sent or 'not sent'}"


def as_json(rows: Any) -> str:
    return json.dumps(rows, indent=2, ensure_ascii=False)


def _column(table: Table, name: str, justify: str, footer: str = "") -> None:
    # figures must never be cut on a narrow terminal or a pipe; text columns fold instead
    if justify == "right":
        table.add_column(name, justify="right", footer=footer, no_wrap=True, min_width=len(footer) or None)
    else:
        table.add_column(name, footer=footer, overflow="fold", min_width=len(name))


def calls_table(rows: Iterable[Mapping[str, Any]]) -> Table:
    table = Table(title="Recorded calls, newest first", title_justify="left")
    for name, justify in [
        ("id", "right"),
        ("when", "left"),
        ("run", "left"),
        ("phase", "left"),
        ("step", "right"),
        ("model", "left"),
        ("effort", "left"),
        ("in", "right"),
        ("cached", "right"),
        ("out", "right"),
        ("reasoning", "right"),
        ("cost", "right"),
        ("time", "right"),
        ("status", "left"),
    ]:
        _column(table, name, justify)
    for row in rows:
        status = row["status"] if row["status"] == "ok" else f"[red]{row['status']}[/red]"
        table.add_row(
            str(row["id"]),
            str(row["created_at"])[:19].replace("T", " "),
            (row["run_id"] or "-")[:12],
            row["phase"],
            "-" if row["step"] is None else str(row["step"]),
            row["model"],
            effort(row["effort_requested"], row["effort_sent"]),
            tokens(row["input_tokens"]),
            tokens(row["cached_tokens"]),
            tokens(row["output_tokens"]),
            tokens(row["reasoning_tokens"]),
            money(row["cost_usd"]),
            seconds(row["latency_ms"]),
            status,
        )
    return table


def stats_table(rows: Iterable[Mapping[str, Any]], title: str = "Usage per phase, effort and model") -> Table:
    table = Table(title=title, title_justify="left", show_footer=True)
    rows = list(rows)
    total: dict[str, Any] = {
        key: sum(r[key] or 0 for r in rows)
        for key in (
            "calls",
            "input_tokens",
            "cached_tokens",
            "output_tokens",
            "reasoning_tokens",
            "latency_ms",
        )
    }
    known = [r["cost_usd"] for r in rows if r["cost_usd"] is not None]
    total_cost = sum(known) if known else None
    unpriced = sum(r["unpriced_calls"] or 0 for r in rows)
    columns = [
        ("phase", "left", "total"),
        ("effort", "left", ""),
        ("model", "left", ""),
        ("calls", "right", str(total["calls"])),
        ("in", "right", tokens(total["input_tokens"])),
        ("cached", "right", tokens(total["cached_tokens"])),
        ("out", "right", tokens(total["output_tokens"])),
        ("reasoning", "right", tokens(total["reasoning_tokens"])),
        ("cost", "right", money(total_cost, unpriced if total_cost is not None else 0)),
        ("time", "right", seconds(total["latency_ms"])),
    ]
    for name, justify, footer in columns:
        _column(table, name, justify, footer)
    for row in rows:
        calls = str(row["calls"]) + (f" ({row['failed']} failed)" if row["failed"] else "")
        priced_unknown = row["unpriced_calls"] if row["cost_usd"] is not None else 0
        table.add_row(
            row["phase"],
            effort(row["effort_requested"], row["effort_sent"]),
            row["model"],
            calls,
            tokens(row["input_tokens"]),
            tokens(row["cached_tokens"]),
            tokens(row["output_tokens"]),
            tokens(row["reasoning_tokens"]),
            money(row["cost_usd"], priced_unknown),
            seconds(row["latency_ms"]),
        )
    return table
