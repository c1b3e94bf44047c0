"""Rendering ledger rows for people (rich tables) and for scripts (JSON). Pure: rows in, output out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

WIDE = 120  # from this width on, timestamps are shown whole


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


@dataclass(frozen=True)
class Column:
    """A column of a table made to fit: a figure or a code on one line, or free text that takes the rest."""

    header: str
    right: bool = False  # a figure: right-aligned
    free: bool = False  # free text: takes the width the others leave; wraps, or is cut with … (one_line)
    drop: int = 0  # 0: always shown; when the width is short, 1 goes first, then 2...
    footer: str = ""
    least: int = 16  # free text, or a name that may be cut: the width below which other columns go first
    cut: bool = False  # a name (a model's): cut with … down to ``least`` rather than left out


Cell = str | Text  # a str is rich markup (our own styles); a Text is shown as it is (the user's words)


def _cell_width(cell: Cell) -> int:
    text = cell if isinstance(cell, Text) else Text.from_markup(cell)
    return max((cell_len(line) for line in text.plain.splitlines()), default=0)


def fit(
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    width: int,
    *,
    one_line: bool = False,
) -> Table:
    """A table no wider than ``width``: one line per row (free text wraps, or is cut with ``one_line``).

    Figures and codes keep their whole width; when they do not fit, the space between columns narrows
    from two to one, then the columns that can go go, ``drop`` 1 first.
    """
    natural = [
        max([cell_len(c.header), cell_len(c.footer), *(_cell_width(row[i]) for row in rows)])
        for i, c in enumerate(columns)
    ]

    cutting = False  # names may be cut with … once their turn to go has come

    def narrow(i: int) -> bool:
        return columns[i].free or (columns[i].cut and cutting)

    def need(shown: list[int], gap: int) -> int:
        least = sum(min(natural[i], columns[i].least) if narrow(i) else natural[i] for i in shown)
        return least + gap * (len(shown) - 1)

    shown = list(range(len(columns)))
    dropped = []
    for i in sorted((i for i in shown if columns[i].drop), key=lambda i: columns[i].drop):
        if need(shown, 1) <= width:
            break
        if columns[i].cut and not cutting:
            cutting = True  # a name is cut before it is left out
            if need(shown, 1) <= width:
                break
        shown.remove(i)
        dropped.append(i)
    for i in reversed(dropped):  # a small column dropped before a wide one may fit again
        if need(sorted([*shown, i]), 1) <= width:
            shown = sorted([*shown, i])
    gap = 2 if need(shown, 2) <= width else 1
    free = [i for i in shown if narrow(i)]
    room = width - sum(natural[i] for i in shown if i not in free) - gap * (len(shown) - 1)
    wanted = sum(natural[i] for i in free) or 1
    table = Table(
        title=title or None,
        title_justify="left",
        box=box.SIMPLE if any(c.footer for c in columns) else box.SIMPLE_HEAD,
        show_footer=any(c.footer for c in columns),
        show_edge=False,
        pad_edge=False,
        padding=(0, gap - 1),
        collapse_padding=True,
    )
    for i in shown:
        column = columns[i]
        if narrow(i):
            share = natural[i] if wanted <= room else max(1, room * natural[i] // wanted)
            table.add_column(
                column.header,
                footer=column.footer,
                width=max(1, min(natural[i], share)),
                no_wrap=one_line or column.cut,
                overflow="ellipsis" if one_line or column.cut else "fold",
            )
        else:
            justify: Any = "right" if column.right else "left"
            table.add_column(column.header, footer=column.footer, justify=justify, no_wrap=True, width=natural[i])
    for row in rows:
        table.add_row(*(row[i] for i in shown))
    return table


def short_ids(ids: Iterable[str]) -> dict[str, str]:
    """Each run id's unique part: the shortest end of it, four characters or more, that no other id
    contains (what `gearshift resume` and the like accept)."""
    every = list(dict.fromkeys(ids))
    short = {}
    for run_id in every:
        others = [other for other in every if other != run_id]
        short[run_id] = next(
            (
                run_id[-size:]
                for size in range(min(4, len(run_id)), len(run_id))
                if not run_id[-size:].startswith("-") and not any(run_id[-size:] in other for other in others)
            ),
            run_id,
        )
    return short


def when(created_at: Any, width: int) -> str:
    """A timestamp: whole where there is room, else month, day, hour and minute."""
    text = str(created_at)[:19].replace("T", " ")
    return text if width >= WIDE else text[5:16]


def calls_table(rows: Iterable[Mapping[str, Any]], width: int = 200, runs: Mapping[str, str] | None = None) -> Table:
    """The recorded calls, one a line; ``runs`` gives each run id's unique part."""
    runs = runs or {}
    columns = [
        Column("id", right=True),
        Column("when", drop=4),
        Column("run", drop=5),
        Column("phase"),
        Column("model", drop=3, cut=True, least=12),
        Column("effort"),
        Column("in", right=True),
        Column("cached", right=True, drop=2),
        Column("out", right=True),
        Column("reasoning", right=True, drop=1),
        Column("cost", right=True),
        Column("time", right=True),
        Column("status"),
    ]
    cells = []
    for row in rows:
        step = "" if row["step"] is None else f" {row['step']}"
        run_id = row["run_id"]
        cells.append(
            [
                str(row["id"]),
                when(row["created_at"], width),
                runs.get(run_id, run_id) if run_id else "-",
                f"{row['phase']}{step}",
                Text(str(row["model"])),
                effort(row["effort_requested"], row["effort_sent"]),
                tokens(row["input_tokens"]),
                tokens(row["cached_tokens"]),
                tokens(row["output_tokens"]),
                tokens(row["reasoning_tokens"]),
                money(row["cost_usd"]),
                seconds(row["latency_ms"]),
                Text(str(row["status"]), style="" if row["status"] == "ok" else "red"),
            ]
        )
    return fit("Recorded calls, newest first", columns, cells, width)


def stats_table(
    rows: Iterable[Mapping[str, Any]], title: str = "Usage per phase, effort and model", width: int = 200
) -> Table:
    rows = list(rows)
    total: dict[str, Any] = {
        key: sum(r[key] or 0 for r in rows)
        for key in ("calls", "input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens", "latency_ms")
    }
    known = [r["cost_usd"] for r in rows if r["cost_usd"] is not None]
    total_cost = sum(known) if known else None
    unpriced = sum(r["unpriced_calls"] or 0 for r in rows)
    columns = [
        Column("phase", footer="total"),
        Column("effort"),
        Column("model", drop=3, cut=True, least=12),
        Column("calls", right=True, footer=str(total["calls"])),
        Column("in", right=True, footer=tokens(total["input_tokens"])),
        Column("cached", right=True, drop=2, footer=tokens(total["cached_tokens"])),
        Column("out", right=True, footer=tokens(total["output_tokens"])),
        Column("reasoning", right=True, drop=1, footer=tokens(total["reasoning_tokens"])),
        Column("cost", right=True, footer=money(total_cost, unpriced if total_cost is not None else 0)),
        Column("time", right=True, footer=seconds(total["latency_ms"])),
    ]
    cells = [
        [
            row["phase"],
            effort(row["effort_requested"], row["effort_sent"]),
            Text(str(row["model"])),
            str(row["calls"]) + (f" ({row['failed']} failed)" if row["failed"] else ""),
            tokens(row["input_tokens"]),
            tokens(row["cached_tokens"]),
            tokens(row["output_tokens"]),
            tokens(row["reasoning_tokens"]),
            money(row["cost_usd"], row["unpriced_calls"] if row["cost_usd"] is not None else 0),
            seconds(row["latency_ms"]),
        ]
        for row in rows
    ]
    return fit(title, columns, cells, width)


def phase_table(rows: Iterable[Mapping[str, Any]], title: str = "Tokens per phase", width: int = 200) -> Table:
    """The seed's table, measured: each phase's calls, tokens, cost, time, and share of the run's tokens."""
    rows = list(rows)
    grand = sum((r["input_tokens"] or 0) + (r["output_tokens"] or 0) for r in rows) or 1
    known = [r["cost_usd"] for r in rows if r["cost_usd"] is not None]
    columns = [
        Column("phase", footer="total"),
        Column("effort"),
        Column("calls", right=True, footer=str(sum(r["calls"] for r in rows))),
        Column("in", right=True, footer=tokens(sum(r["input_tokens"] or 0 for r in rows))),
        Column("cached", right=True, drop=2, footer=tokens(sum(r["cached_tokens"] or 0 for r in rows))),
        Column("out", right=True, footer=tokens(sum(r["output_tokens"] or 0 for r in rows))),
        Column("reasoning", right=True, drop=1, footer=tokens(sum(r["reasoning_tokens"] or 0 for r in rows))),
        Column("cost", right=True, footer=money(sum(known) if known else None)),
        Column("time", right=True, footer=seconds(sum(r["latency_ms"] or 0 for r in rows))),
        Column("share", right=True, footer="100%" if rows else ""),
    ]
    cells = [
        [
            r["phase"],
            (r.get("efforts") or "-").replace(",", ", "),
            str(r["calls"]) + (f" ({r['failed']} failed)" if r["failed"] else ""),
            tokens(r["input_tokens"]),
            tokens(r["cached_tokens"]),
            tokens(r["output_tokens"]),
            tokens(r["reasoning_tokens"]),
            money(r["cost_usd"], r["unpriced_calls"] if r["cost_usd"] is not None else 0),
            seconds(r["latency_ms"]),
            f"{((r['input_tokens'] or 0) + (r['output_tokens'] or 0)) / grand:.0%}",
        ]
        for r in rows
    ]
    return fit(title, columns, cells, width)


def runs_table(rows: Iterable[Mapping[str, Any]], width: int = 200, runs: Mapping[str, str] | None = None) -> Table:
    """The runs, one a line (the task cut to fit); ``runs`` gives each id's unique part."""
    runs = runs or {}
    columns = [
        Column("run"),
        Column("when", drop=2),
        Column("task", free=True, least=20),
        Column("strategy", drop=1),
        Column("status"),
        Column("steps", right=True),
        Column("tokens", right=True),
        Column("cost", right=True),
    ]
    cells = [
        [
            runs.get(row["id"], row["id"]),
            when(row["created_at"], width),
            Text(" ".join(str(row["task"]).split())),
            str(row["strategy"]),
            str(row["status"]),
            f"{row['steps_done']}/{row['steps_total']}",
            tokens(row["tokens"]),
            money(row["cost_usd"]),
        ]
        for row in rows
    ]
    return fit("Runs, newest first", columns, cells, width, one_line=True)


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


def steps_table(rows: Iterable[Mapping[str, Any]], width: int = 200) -> Table:
    """Each step with every attempt at it (rows carry ``calls`` from ``step_attempts``); why each step
    ran at its effort is ``efforts_text``."""
    columns = [
        Column("step", right=True),
        Column("title", free=True),
        Column("status"),
        Column("attempts", free=True, least=18),
        Column("commit"),
    ]
    cells = []
    for row in rows:
        calls = row.get("calls")
        tried = attempts_text(calls).replace("\n", ", ") if calls else f"{row['effort'] or '-'} (no calls recorded)"
        cells.append(
            [str(row["step_id"]), Text(str(row["title"])), str(row["status"]), tried, (row["commit_sha"] or "-")[:7]]
        )
    return fit("Steps", columns, cells, width)


def efforts_text(rows: Iterable[Mapping[str, Any]]) -> Any:
    """Why each step ran at its effort, steps with the same reason together."""
    reasons: dict[str, list[str]] = {}
    for row in rows:
        if row.get("effort_reason"):
            reasons.setdefault(str(row["effort_reason"]), []).append(str(row["step_id"]))
    if not reasons:
        return None
    lines = ["Why each step's effort:"]
    for reason, steps in reasons.items():
        lines.append(f"  step{'s' if len(steps) > 1 else ''} {', '.join(steps)}: {reason}")
    return Text("\n".join(lines))


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
