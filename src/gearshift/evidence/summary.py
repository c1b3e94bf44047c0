"""What a suite (or a comparison) showed, from its result rows: ``suite report --json``. Pure: rows in, data out.

    {"baseline": str | None, "scripted": bool,
     "strategies": {NAME: {"tasks", "cells", "judged", "errors", "resolved", "rate", "ci95", "pass_at_1",
                           "tokens": {"plan", "implement", "fix", "review", "total"}, "token_shares": {PHASE},
                           "cost_usd", "priced_cells", "cost_per_resolved", "seconds", "scripted"}},
     "paired": [{"strategy", "baseline", "pairs", "wins", "losses", "p_value", "diff", "ci95"}]}

The keys of the issue's contract (tasks, resolved, rate, ci95, tokens, cost_usd, cost_per_resolved;
strategy, baseline, wins, losses, p_value, diff, ci95) never change; the others are added to it.

A cell's verdict is ``resolved`` (a suite's hidden tests), else ``accepted`` (a comparison's
acceptance command); a cell with neither is not judged: it counts for tokens, cost and time, not
for the rate. A cell that crashed (status "error") is not resolved wherever cells are judged at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gearshift.errors import UsageError
from gearshift.evidence.records import PHASE_NAMES
from gearshift.evidence.statistics import mcnemar_exact, paired_bootstrap, wilson_interval

RESULTS_FILE = "results.jsonl"


def load_results(path: Path) -> list[dict[str, Any]]:
    """The rows of a results file (or of the one in a directory); a line a kill cut short is skipped."""
    if path.is_dir():
        path = path / RESULTS_FILE
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue  # cut short by a kill; a resumed suite ends it with a newline, so it can be mid-file
        if isinstance(row, dict) and {"strategy", "repeat"} <= row.keys():
            rows.append(row)
    return rows


def summarize(rows: list[dict[str, Any]], baseline: str | None = None) -> dict[str, Any]:
    """Per strategy: rate with its Wilson interval, pass@1, tokens, cost; each other one paired with the baseline."""
    cells = _unique_cells(rows)
    by_strategy: dict[str, list[dict[str, Any]]] = {}
    for row in cells:
        by_strategy.setdefault(str(row["strategy"]), []).append(row)
    if baseline is not None and baseline not in by_strategy:
        there = ", ".join(by_strategy) or "none"
        raise UsageError(f"no strategy {baseline!r} in these results; the strategies there are: {there}")
    chosen = baseline if baseline is not None else next(iter(by_strategy), None)
    judging = any(_judged_verdict(row) is not None for row in cells)
    verdicts = {id(row): verdict(row, judging) for row in cells}
    strategies = {name: _strategy(group, verdicts) for name, group in by_strategy.items()}
    paired = [
        _paired(name, chosen, by_strategy[name], by_strategy[chosen], verdicts)
        for name in by_strategy
        if chosen is not None and name != chosen
    ]
    scripted = any(bool(row.get("scripted")) for row in cells)
    return {"baseline": chosen, "scripted": scripted, "strategies": strategies, "paired": paired}


def verdict(row: dict[str, Any], judging: bool = True) -> bool | None:
    """Resolved (True), not (False), or not judged (None); a crash is not resolved when cells are judged."""
    if row.get("status") == "error" and judging:
        return False
    return _judged_verdict(row)


def task_key(row: dict[str, Any]) -> str:
    """The task a cell ran: its suite id, else its text."""
    return str(row.get("instance_id") or row.get("task"))


def _judged_verdict(row: dict[str, Any]) -> bool | None:
    for key in ("resolved", "accepted"):
        if row.get(key) is not None:
            return bool(row[key])
    return None


def _unique_cells(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (task, strategy, repeat), the last written winning, in the order cells first appeared."""
    latest: dict[tuple[str, str, int], dict[str, Any]] = {}
    for row in rows:
        latest[(task_key(row), str(row["strategy"]), int(row["repeat"]))] = row
    return list(latest.values())


def _strategy(rows: list[dict[str, Any]], verdicts: dict[int, bool | None]) -> dict[str, Any]:
    judged = [v for row in rows if (v := verdicts[id(row)]) is not None]
    resolved = sum(judged)
    by_task: dict[str, list[bool]] = {}
    for row in rows:
        if (v := verdicts[id(row)]) is not None:
            by_task.setdefault(task_key(row), []).append(v)
    phase_tokens = {phase: _mean([_phase_tokens(row, phase) for row in rows]) for phase in PHASE_NAMES}
    phase_sum = sum(phase_tokens.values())
    costs = [float(row["cost_usd"]) for row in rows if row.get("cost_usd") is not None]
    return {
        "tasks": len({task_key(row) for row in rows}),
        "cells": len(rows),
        "judged": len(judged),
        "errors": sum(row.get("status") == "error" for row in rows),
        "resolved": resolved,
        "rate": resolved / len(judged) if judged else None,
        "ci95": list(wilson_interval(resolved, len(judged))) if judged else None,
        "pass_at_1": _mean([_mean([float(v) for v in vs]) for vs in by_task.values()]) if by_task else None,
        "tokens": {**phase_tokens, "total": _mean([float(row.get("total_tokens") or 0) for row in rows])},
        "token_shares": {phase: (n / phase_sum if phase_sum else None) for phase, n in phase_tokens.items()},
        "cost_usd": _mean(costs) if costs else None,
        "priced_cells": len(costs),
        "cost_per_resolved": sum(costs) / resolved if costs and resolved else None,
        "seconds": _mean([float(row.get("seconds") or 0.0) for row in rows]),
        "scripted": any(bool(row.get("scripted")) for row in rows),
    }


def _paired(
    name: str,
    baseline: str,
    rows: list[dict[str, Any]],
    base_rows: list[dict[str, Any]],
    verdicts: dict[int, bool | None],
) -> dict[str, Any]:
    """Cells of the same task and repeat, both judged: won, lost, how likely by chance, and by how much."""
    base = {(task_key(row), int(row["repeat"])): verdicts[id(row)] for row in base_rows}
    by_task: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        key = (task_key(row), int(row["repeat"]))
        ours, theirs = verdicts[id(row)], base.get(key)
        if ours is not None and theirs is not None:
            by_task.setdefault(key[0], []).append((float(ours), float(theirs)))
    pairs = [pair for cluster in by_task.values() for pair in cluster]
    wins = sum(a > b for a, b in pairs)
    losses = sum(a < b for a, b in pairs)
    return {
        "strategy": name,
        "baseline": baseline,
        "pairs": len(pairs),
        "wins": wins,
        "losses": losses,
        "p_value": mcnemar_exact(wins, losses),
        "diff": _mean([a - b for a, b in pairs]) if pairs else None,
        "ci95": list(paired_bootstrap(list(by_task.values()))) if pairs else None,
    }


def _phase_tokens(row: dict[str, Any], phase: str) -> float:
    usage = (row.get("phases") or {}).get(phase) or {}
    return float((usage.get("input_tokens") or 0) + (usage.get("output_tokens") or 0))


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
