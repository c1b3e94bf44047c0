"""The evidence as terminal tables: a comparison's cells, a suite's report, the paired tests. Pure: data in, Table out.

Made for 80 columns and readable at 120: compact figures (12K, $0.12, 45s), short headers with a
legend in the caption, one line per row; only the caption (the legend, the errors) may wrap. When
any reply was scripted or recorded, the title says the figures show the mechanics, not a result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.markup import escape
from rich.table import Table

from gearshift.evidence.records import PHASE_NAMES, SEVERITIES
from gearshift.report import tokens

SCRIPTED_NOTE = "(scripted replies: figures show the mechanics, not a result)"
STATUS_SHORT = {"error": "err", "failed": "fail", "stopped": "stop"}
PHASE_HEADERS = {"plan": "plan", "implement": "impl", "fix": "fix", "review": "rev"}


def compare_table(rows: Sequence[Mapping[str, Any]], title: str) -> Table:
    """The seed's table, a row per cell: tokens per phase, cost, time, steps, checks, verdict, review, anti-patterns."""
    repeats = any(int(row.get("repeat") or 1) > 1 for row in rows)
    table = _table(_title(title, rows))
    _name_column(table)
    if repeats:
        _figure(table, "#")
    for header in (*PHASE_HEADERS.values(), "tot", "cost", "time", "st", "fx", "chk", "acc", "c/h/m/l", "ap"):
        _figure(table, header)
    notes = []
    for row in rows:
        label = f"{row.get('strategy')}" + (f" #{row.get('repeat')}" if repeats else "")
        if row.get("status") != "done":
            notes.append(f"{label}: {row.get('status')}" + (f": {row['error']}" if row.get("error") else ""))
        phases = row.get("phases") or {}
        checks = row.get("checks") or {}
        issues = row.get("review_issues") or {}
        table.add_row(
            escape(str(row.get("strategy"))),
            *([str(row.get("repeat"))] if repeats else []),
            *(tokens(_phase_tokens(phases.get(phase))) for phase in PHASE_NAMES),
            tokens(int(row.get("total_tokens") or 0)),
            money(row.get("cost_usd")),
            duration(row.get("seconds")),
            str(row.get("steps", 0)),
            str(row.get("fix_attempts", 0)),
            f"{checks.get('passed', 0)}/{checks.get('failed', 0)}",
            _verdict(row),
            "/".join(str(issues.get(s, 0)) for s in SEVERITIES),
            str(len(row.get("antipatterns") or [])),
        )
    legend = (
        ("#: repeat · " if repeats else "")
        + "tokens in+out per phase · st: steps · fx: fix attempts · chk: checks passed/failed · "
        "acc: accepted (a suite: resolved) · c/h/m/l: review issues critical/high/medium/low · ap: anti-patterns"
    )
    table.caption = "\n".join([legend, *(f"not done: {escape(note)}" for note in notes)])
    return table


def report_table(summary: Mapping[str, Any]) -> Table:
    """Per strategy: tasks, resolved, rate with its 95% interval, pass@1, tokens, cost per task and per resolved."""
    strategies: Mapping[str, Mapping[str, Any]] = summary.get("strategies") or {}
    table = _table(_title("Resolved rate per strategy", scripted=bool(summary.get("scripted"))))
    _name_column(table)
    for header in ("tasks", "res", "rate [95% CI]", "p@1", "tokens", "$/run", "$/res", "time"):
        _figure(table, header)
    for name, s in strategies.items():
        judged = s.get("judged", s.get("tasks"))
        table.add_row(
            escape(name),
            str(s.get("tasks", 0)),
            f"{s.get('resolved', 0)}/{judged}",
            _rate(s.get("rate"), s.get("ci95")),
            _percent(s.get("pass_at_1")),
            tokens(round((s.get("tokens") or {}).get("total") or 0)),
            money(s.get("cost_usd")),
            money(s.get("cost_per_resolved")),
            duration(s.get("seconds")),
        )
    table.caption = (
        "res: resolved/judged runs · p@1: mean over tasks of the mean over repeats · "
        "tokens, $/run, time: mean per run (one task, one strategy, once) · $/res: cost per resolved run"
    )
    return table


def tokens_table(summary: Mapping[str, Any]) -> Table:
    """Per strategy: the mean tokens of each phase per cell, and its share of the cell's tokens."""
    strategies: Mapping[str, Mapping[str, Any]] = summary.get("strategies") or {}
    table = _table(_title("Tokens per phase, mean per run (share)", scripted=bool(summary.get("scripted"))))
    _name_column(table)
    for header in (*PHASE_NAMES, "total"):
        _figure(table, header)
    for name, s in strategies.items():
        means = s.get("tokens") or {}
        shares = s.get("token_shares") or {}
        table.add_row(
            escape(name),
            *(_with_share(means.get(p), shares.get(p)) for p in PHASE_NAMES),
            tokens(round(means.get("total") or 0)),
        )
    return table


def paired_table(summary: Mapping[str, Any]) -> Table:
    """Each strategy against the baseline on the same cells: won, lost, exact McNemar p, the difference's interval."""
    paired: Sequence[Mapping[str, Any]] = summary.get("paired") or []
    baseline = summary.get("baseline") or (paired[0]["baseline"] if paired else "-")
    title = f"Paired against {baseline} (same task, same repeat)"
    table = _table(_title(title, scripted=bool(summary.get("scripted"))))
    _name_column(table)
    for header in ("pairs", "won", "lost", "p", "diff", "diff [95% CI]"):
        _figure(table, header)
    for p in paired:
        ci = p.get("ci95")
        table.add_row(
            escape(str(p["strategy"])),
            str(p.get("pairs", p["wins"] + p["losses"])),
            str(p["wins"]),
            str(p["losses"]),
            p_value(p["p_value"]),
            _points(p.get("diff")),
            f"[{_points(ci[0])}, {_points(ci[1])}]" if ci else "-",
        )
    table.caption = (
        "won/lost: runs this strategy resolved and the baseline did not, and the reverse · "
        "p: exact McNemar · diff: resolved rate minus the baseline's, in points, "
        "with a bootstrap interval resampling tasks"
    )
    return table


def money(value: float | None) -> str:
    """A cost in at most five characters ($12.3, $0.12, 0.4¢); unknown stays unknown ("?"), never zero."""
    if value is None:
        return "?"
    if value == 0:
        return "$0"
    if value >= 100:
        return f"${value:.0f}"
    if value >= 10:
        return f"${value:.1f}"
    if value >= 0.01:
        return f"${value:.2f}"
    return f"{value * 100:.1f}¢" if value >= 0.0005 else "<.1¢"


def duration(value: float | None) -> str:
    """Seconds, minutes or hours in at most four characters."""
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.1f}s"
    if value < 100:
        return f"{value:.0f}s"
    if value < 6000:
        return f"{value / 60:.0f}m"
    return f"{value / 3600:.1f}h" if value < 36_000 else f"{value / 3600:.0f}h"


def p_value(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _table(title: str) -> Table:
    return Table(
        title=title,
        title_justify="left",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 0),
    )


def _name_column(table: Table) -> None:
    # the one column that gives way when the terminal is too narrow: shortened with an ellipsis, on one line
    table.add_column("strategy", overflow="ellipsis", min_width=8)


def _figure(table: Table, header: str) -> None:
    # figures are never folded; only if the strategy column is down to its minimum do they give way
    table.add_column(header, justify="right", no_wrap=True)


def _title(title: str, rows: Sequence[Mapping[str, Any]] = (), *, scripted: bool = False) -> str:
    # a task's text is the user's: brackets in it are text, not markup
    if scripted or any(row.get("scripted") for row in rows):
        return f"{escape(title)} {SCRIPTED_NOTE}"
    return escape(title)


def _phase_tokens(usage: Mapping[str, Any] | None) -> int:
    if not usage:
        return 0
    return int(usage.get("input_tokens") or 0) + int(usage.get("output_tokens") or 0)


def _verdict(row: Mapping[str, Any]) -> str:
    """yes or no; for a cell nothing judged that did not finish, its status in short (err, fail, stop)."""
    verdict = row.get("resolved") if row.get("resolved") is not None else row.get("accepted")
    if verdict is not None:
        return "yes" if verdict else "no"
    status = str(row.get("status"))
    return "-" if status == "done" else STATUS_SHORT.get(status, status[:4])


def _with_share(mean: float | None, share: float | None) -> str:
    shown = tokens(round(mean or 0))
    return shown if share is None else f"{shown} {share:.0%}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _rate(rate: float | None, ci: Sequence[float] | None) -> str:
    if rate is None or not ci:
        return "-"
    return f"{rate:.0%} [{ci[0] * 100:.0f}-{ci[1] * 100:.0f}]"


def _points(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:+.0f}"
