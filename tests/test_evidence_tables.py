"""The evidence tables on 80- and 120-column terminals: within the width, one line per row, every figure whole."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table

from gearshift.evidence.records import empty_phases, error_row
from gearshift.evidence.summary import summarize
from gearshift.evidence.tables import (
    SCRIPTED_NOTE,
    compare_table,
    duration,
    money,
    p_value,
    paired_table,
    report_table,
    tokens_table,
)

STRATEGIES = {"high": 2.0, "medium": 0.7, "high-medium-high": 1.1}


def cell(strategy: str, repeat: int, scale: float, *, task: str = "t1", scripted: bool = False) -> dict[str, Any]:
    phases = empty_phases()
    for i, phase in enumerate(("plan", "implement", "fix", "review")):
        phases[phase]["input_tokens"] = int(12_000 * scale * (i + 1))
        phases[phase]["output_tokens"] = int(2_300 * scale)
    return {
        "instance_id": task,
        "task": f"text of {task}",
        "strategy": strategy,
        "repeat": repeat,
        "run_id": f"run-{strategy}-{repeat}",
        "status": "done",
        "accepted": None,
        "resolved": (repeat + len(strategy)) % 3 != 0,
        "phases": phases,
        "total_tokens": sum(p["input_tokens"] + p["output_tokens"] for p in phases.values()),
        "cost_usd": round(0.1234 * scale, 6),
        "seconds": 754.3 * scale,
        "steps": 4,
        "fix_attempts": 1,
        "checks": {"passed": 4, "failed": 1},
        "review_issues": {"critical": 0, "high": 1, "medium": 2, "low": 3},
        "antipatterns": ["too many files in one step", "tests that do not test the change"],
        "scripted": scripted,
        "error": None,
    }


def grid(repeats: int = 3, scripted: bool = False) -> list[dict[str, Any]]:
    return [
        cell(strategy, repeat, scale, task=task, scripted=scripted)
        for task in ("t1", "t2")
        for strategy, scale in STRATEGIES.items()
        for repeat in range(1, repeats + 1)
    ]


def render(table: Table, width: int) -> list[str]:
    console = Console(width=width, file=StringIO(), force_terminal=False, color_system=None)
    console.print(table)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines), "\n".join(line for line in lines if len(line) > width)
    return lines


def rows_of(lines: list[str], names: list[str]) -> list[str]:
    """The table's body: the lines that start with a strategy's name."""
    return [line for line in lines if any(line.startswith(name + " ") for name in names)]


@pytest.mark.parametrize("width", [80, 120])
def test_compare_table_one_line_per_cell_with_every_figure(width: int) -> None:
    rows = grid(repeats=3)[:9]  # one task: three strategies, three repeats
    lines = render(compare_table(rows, "Add JWT authentication to the API (base 0123456789)"), width)
    body = rows_of(lines, list(STRATEGIES))
    assert len(body) == len(rows)
    assert not any("…" in line for line in body)
    first = body[0].split()
    # high, repeat 1: plan 24000 + 4600, implement 48000 + 4600, fix 72000 + 4600, review 96000 + 4600
    tokens = ["29K", "53K", "77K", "101K", "258K"]
    assert first == ["high", "1", *tokens, "$0.25", "25m", "4", "1", "4/1", "yes", "0/1/2/3", "2"]
    header = next(line for line in lines if line.startswith("strategy"))
    for name in ("plan", "impl", "fix", "rev", "tot", "cost", "time", "st", "fx", "chk", "acc", "c/h/m/l", "ap"):
        assert f" {name}" in header
    caption = " ".join(" ".join(lines).split())
    assert "c/h/m/l: review issues critical/high/medium/low" in caption
    assert SCRIPTED_NOTE not in caption


def test_compare_table_without_repeats_has_no_repeat_column() -> None:
    rows = grid(repeats=1)[:3]
    lines = render(compare_table(rows, "one run each"), 80)
    header = next(line for line in lines if line.startswith("strategy"))
    assert " # " not in header and "#: repeat" not in " ".join(lines)
    assert rows_of(lines, list(STRATEGIES))[2].split()[:3] == ["high-medium-high", "16K", "29K"]


def test_compare_table_says_when_replies_are_scripted_and_why_a_cell_did_not_finish() -> None:
    rows = grid(repeats=2, scripted=True)[:6]
    crashed = error_row(task="t", strategy="xhigh-medium-high", repeat=2, error="worktree: [/bold] could not be made")
    stopped = {**rows[0], "repeat": 3, "status": "stopped", "resolved": None}
    lines = render(compare_table([*rows, stopped, crashed], "Fix [the] bug"), 80)
    text = " ".join(line.strip() for line in lines)
    assert lines[0].startswith("Fix [the] bug (scripted replies:")  # the task's brackets are text
    assert "figures show the mechanics, not a result" in text
    body = rows_of(lines, [*STRATEGIES, "xhigh-medium-high"])
    assert len(body) == 8
    assert body[-2].split()[12] == "stop" and body[-1].split()[12] == "err"
    assert body[-1].split()[:2] == ["xhigh-medium-high", "2"]
    assert "not done: high #3: stopped" in text
    assert "not done: xhigh-medium-high #2: error: worktree: [/bold] could not be made" in text


@pytest.mark.parametrize("width", [80, 120])
def test_report_table(width: int) -> None:
    summary = summarize(grid(repeats=3), "high")
    lines = render(report_table(summary), width)
    body = rows_of(lines, list(STRATEGIES))
    assert len(body) == 3
    high = summary["strategies"]["high"]
    fields = body[0].split()
    assert fields[:3] == ["high", "2", f"{high['resolved']}/6"]
    assert f"{high['rate']:.0%} [{high['ci95'][0] * 100:.0f}-{high['ci95'][1] * 100:.0f}]" in body[0]
    assert fields[-4:] == ["258K", "$0.25", money(high["cost_per_resolved"]), "25m"]
    assert SCRIPTED_NOTE not in " ".join(lines)
    scripted = summarize(grid(repeats=1, scripted=True), None)
    assert SCRIPTED_NOTE in " ".join(line.strip() for line in render(report_table(scripted), width))


@pytest.mark.parametrize("width", [80, 120])
def test_tokens_table_means_and_shares(width: int) -> None:
    summary = summarize(grid(repeats=1), None)
    body = rows_of(render(tokens_table(summary), width), list(STRATEGIES))
    assert len(body) == 3
    # high: plan 28.6K of 258.4K = 11%; review 100.6K = 39%
    assert body[0].split() == ["high", "29K", "11%", "53K", "20%", "77K", "30%", "101K", "39%", "258K"]


@pytest.mark.parametrize("width", [80, 120])
def test_paired_table(width: int) -> None:
    summary = summarize(grid(repeats=3), "high")
    lines = render(paired_table(summary), width)
    assert lines[0].startswith("Paired against high")
    body = rows_of(lines, list(STRATEGIES))
    assert [line.split()[0] for line in body] == ["medium", "high-medium-high"]
    for line, paired in zip(body, summary["paired"], strict=True):
        fields = line.split()
        counts = [str(paired[key]) for key in ("pairs", "wins", "losses")]
        assert fields[1:5] == [*counts, p_value(paired["p_value"])]
        assert fields[5] == f"{paired['diff'] * 100:+.0f}"
        assert line.endswith(f"[{paired['ci95'][0] * 100:+.0f}, {paired['ci95'][1] * 100:+.0f}]")


def test_empty_summary_renders() -> None:
    empty = summarize([], None)
    for table in (report_table(empty), tokens_table(empty), paired_table(empty)):
        render(table, 80)


def test_compact_figures() -> None:
    assert [money(v) for v in (None, 0, 0.0002, 0.004, 0.1234, 1.234, 12.34, 123.4)] == [
        "?",
        "$0",
        "<.1¢",
        "0.4¢",
        "$0.12",
        "$1.23",
        "$12.3",
        "$123",
    ]
    durations = [duration(v) for v in (None, 3.21, 45.2, 754.3, 7200.0, 90_000.0)]
    assert durations == ["-", "3.2s", "45s", "13m", "2.0h", "25h"]
    assert [p_value(v) for v in (1.0, 0.0312, 0.0004)] == ["1.000", "0.031", "<0.001"]
