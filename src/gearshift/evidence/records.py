"""The records evidence is made of: one cell's result, as ``compare --json`` and ``results.jsonl`` hold it.

A cell is one whole run (plan, implement, review) of one task under one strategy, one repeat of it,
in a checkout of its own. Its result is a plain JSON object so that a suite's results file, a
comparison's ``--json`` and the report all read the same thing; these keys are a contract:

    {"instance_id": str | None,      # the suite's task id; None in a comparison
     "task": str,
     "strategy": str, "repeat": int,  # repeats count from 1
     "run_id": str | None,            # None when the cell crashed before its run began
     "status": str,                   # the run's status (done, failed, stopped...), or "error": the cell crashed
     "accepted": bool | None,         # the acceptance command's verdict; None without one
     "resolved": bool | None,         # a suite's hidden tests (or its accept_cmd); None in a comparison
     "phases": {PHASE: {"input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens",
                        "cost_usd", "seconds"}},   # PHASE: plan, implement, fix, review; always all four
     "total_tokens": int,             # input + output over every phase
     "cost_usd": float | None,        # None when no call had a price
     "seconds": float,                # the cell's wall time, run and judgement
     "steps": int, "fix_attempts": int,
     "checks": {"passed": int, "failed": int},     # the test command after each step
     "review_issues": {"critical", "high", "medium", "low"},
     "antipatterns": [str, ...],      # one line each, as `gearshift show` says them
     "scripted": bool,                # some reply came from a script or a recording, not a live model
     "error": str | None}             # what went wrong, one line
"""

from __future__ import annotations

from typing import Any

PHASE_NAMES = ("plan", "implement", "fix", "review")
SEVERITIES = ("critical", "high", "medium", "low")
USAGE_KEYS = ("input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens", "cost_usd", "seconds")

# Providers whose replies are not a live model's: their figures show mechanics, not a result.
SCRIPTED_PROVIDERS = frozenset({"replay", "function", "ledger-replay"})


def empty_phases() -> dict[str, dict[str, Any]]:
    return {
        phase: {key: (None if key == "cost_usd" else 0.0 if key == "seconds" else 0) for key in USAGE_KEYS}
        for phase in PHASE_NAMES
    }


def error_row(
    *, task: str, strategy: str, repeat: int, error: str, instance_id: str | None = None, seconds: float = 0.0
) -> dict[str, Any]:
    """The result of a cell that crashed: counted, never resolved, and saying why."""
    return {
        "instance_id": instance_id,
        "task": task,
        "strategy": strategy,
        "repeat": repeat,
        "run_id": None,
        "status": "error",
        "accepted": None,
        "resolved": False if instance_id is not None else None,
        "phases": empty_phases(),
        "total_tokens": 0,
        "cost_usd": None,
        "seconds": seconds,
        "steps": 0,
        "fix_attempts": 0,
        "checks": {"passed": 0, "failed": 0},
        "review_issues": dict.fromkeys(SEVERITIES, 0),
        "antipatterns": [],
        "scripted": False,
        "error": error,
    }


def cell_key(row: dict[str, Any]) -> tuple[str, str, int]:
    """What makes a cell itself: its task, strategy and repeat (a resumed suite skips the keys it has)."""
    return (str(row.get("instance_id") or row.get("task")), str(row["strategy"]), int(row["repeat"]))
