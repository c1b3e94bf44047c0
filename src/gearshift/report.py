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


def phase_table(rows: Iterable[Mapping[str, Any]], title: str = "Tokens per phase") -> Table:
    """The seed's table, measured: each phase's calls, tokens, cost, time, and share of the run's tokens."""
    rows = list(rows)
    grand = sum((r["input_tokens"] or 0) + (r["output_tokens"] or 0) for r in rows) or 1
    table = Table(title=title, title_justify="left", show_footer=True)
    known = [r["cost_usd"] for r in rows if r["cost_usd"] is not None]
    footers = {
        "phase": "total",
        "calls": str(sum(r["calls"] for r in rows)),
        "in": tokens(sum(r["input_tokens"] or 0 for r in rows)),
        "cached": tokens(sum(r["cached_tokens"] or 0 for r in rows)),
        "out": tokens(sum(r["output_tokens"] or 0 for r in rows)),
        "reasoning": tokens(sum(r["reasoning_tokens"] or 0 for r in rows)),
        "cost": money(sum(known) if known else None),
        "time": seconds(sum(r["latency_ms"] or 0 for r in rows)),
        "share": "100%" if rows else "",
    }
    for name in ("phase", "effort", "calls", "in", "cached", "out", "reasoning", "cost", "time", "share"):
        _column(table, name, "left" if name in ("phase", "effort") else "right", footers.get(name, ""))
    for r in rows:
        share = ((r["input_tokens"] or 0) + (r["output_tokens"] or 0)) / grand
        table.add_row(
            r["phase"],
            (r.get("efforts") or "-").replace(",", ", "),
            str(r["calls"]) + (f" ({r['failed']} failed)" if r["failed"] else ""),
            tokens(r["input_tokens"]),
            tokens(r["cached_tokens"]),
            tokens(r["output_tokens"]),
            tokens(r["reasoning_tokens"]),
            money(r["cost_usd"], r["unpriced_calls"] if r["cost_usd"] is not None else 0),
            seconds(r["latency_ms"]),
            f"{share:.0%}",
        )
    return table


def runs_table(rows: Iterable[Mapping[str, Any]]) -> Table:
    table = Table(title="Runs, newest first", title_justify="left")
    for name, justify in [
        ("run", "left"),
        ("task", "left"),
        ("strategy", "left"),
        ("status", "left"),
        ("steps", "right"),
        ("tokens", "right"),
        ("cost", "right"),
    ]:
        _column(table, name, justify)
    for row in rows:
        task = row["task"] if len(row["task"]) <= 60 else row["task"][:57] + "..."
        table.add_row(
            row["id"],
            task,
            row["strategy"],
            row["status"],
            f"{row['steps_done']}/{row['steps_total']}",
            tokens(row["tokens"]),
            money(row["cost_usd"]),
        )
    return table


def step_attempts(calls: Iterable[Mapping[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Every model call of each step, oldest first (``calls``: ledger rows, in any order): its
    implementation, each retry of edits that did not apply, each fix, with the effort asked and sent."""
    attempts: dict[int, list[dict[str, Any]]] = {}
    for call in sorted(calls, key=lambda row: row["id"]):
        if call["step"] is None or call["phase"] not in ("implement", "fix"):
            continue
        earlier = attempts.setdefault(int(call["step"]), [])
        retry = call["phase"] == "implement" and bool(earlier) and earlier[-1]["phase"] == "implement"
        earlier.append(
            {
                "call": call["id"],
                "phase": call["phase"],
                "what": "retry" if retry else call["phase"],
                "effort_requested": call["effort_requested"],
                "effort_sent": call["effort_sent"],
                "status": call["status"],
            }
        )
    return attempts


def attempts_text(attempts: list[Mapping[str, Any]]) -> str:
    """One line per call: "implement medium", "retry medium", "fix high (error)"."""
    lines = []
    for a in attempts:
        failed = "" if a["status"] == "ok" else f" ({a['status']})"
        lines.append(f"{a['what']} {effort(a['effort_requested'], a['effort_sent'])}{failed}")
    return "\n".join(lines)


def steps_table(rows: Iterable[Mapping[str, Any]]) -> Table:
    """Each step with every attempt at it (rows carry ``calls`` from ``step_attempts``) and why its effort."""
    table = Table(title="Steps", title_justify="left")
    for name, justify in [
        ("step", "right"),
        ("title", "left"),
        ("status", "left"),
        ("attempts", "left"),
        ("why", "left"),
        ("commit", "left"),
    ]:
        _column(table, name, justify)
    for row in rows:
        calls = row.get("calls")
        table.add_row(
            str(row["step_id"]),
            row["title"],
            row["status"],
            attempts_text(calls) if calls else f"{row['effort'] or '-'} (no calls recorded)",
            row["effort_reason"] or "-",
            (row["commit_sha"] or "-")[:10],
        )
    return table


def run_panel(run: Mapping[str, Any], plan: Any, review: Any) -> Any:
    """The run's header: task, status, branch; the plan's summary; the review's verdict."""
    from rich.console import Group
    from rich.text import Text

    lines = [
        Text(f"Run {run.get('id')}: {run.get('task')}", style="bold"),
        Text(
            f"status {run.get('status')} · strategy {run.get('strategy')} · branch {run.get('branch') or '-'}"
            f" · base {(run.get('base_commit') or '-')[:10]}"
        ),
    ]
    if run.get("message"):
        lines.append(Text(str(run["message"]), style="yellow"))
    if plan:
        lines.append(Text(f"Plan: {plan.get('summary', '')}"))
    if review:
        counts: dict[str, int] = {}
        for item in review.get("adherence", []):
            counts[item["status"]] = counts.get(item["status"], 0) + 1
        verdict = ", ".join(f"{n} {status}" for status, n in counts.items()) or "no steps assessed"
        lines.append(Text(f"Review: {verdict}; {len(review.get('issues', []))} issues"))
    return Group(*lines)


def route_text(record: Mapping[str, Any]) -> Any:
    """Why each phase ran at its effort."""
    from rich.text import Text

    route = record.get("route", {})
    lines = [f"Route: {route.get('task_type', '?')} (strategy {record.get('strategy', '?')})"]
    for phase, chosen in record.get("chosen", {}).items():
        lines.append(f"  {phase} {chosen['effort']}: {'; '.join(chosen['reasons'])}")
    return Text("\n".join(lines))


def tests_at_base_text(steps: Iterable[Mapping[str, Any]]) -> Any:
    """Each step's new or changed tests, run on the base commit's code: do they test the change?"""
    from rich.text import Text

    lines = [f"  step {row['step_id']}: {row['tests_at_base']}" for row in steps if row.get("tests_at_base")]
    if not lines:
        return None
    style = "yellow" if any("do not test" in line for line in lines) else "green"
    return Text("\n".join(["Tests on the base commit's code:", *lines]), style=style)


def findings_text(findings: list[Mapping[str, Any]]) -> Any:
    from rich.text import Text

    if not findings:
        return Text("Anti-patterns: none found", style="green")
    lines = ["Anti-patterns:"] + [f"  ! {f['title']}: {f['message']}" for f in findings]
    return Text("\n".join(lines), style="yellow")
