"""suite report's numbers, on rows small enough to work out by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gearshift.errors import UsageError
from gearshift.evidence.records import empty_phases, error_row
from gearshift.evidence.statistics import mcnemar_exact, paired_bootstrap, wilson_interval
from gearshift.evidence.summary import load_results, summarize


def cell(
    strategy: str,
    task: str,
    repeat: int,
    resolved: bool | None,
    *,
    accepted: bool | None = None,
    suite: bool = True,
    plan: tuple[int, int] = (100, 10),
    implement: tuple[int, int] = (200, 20),
    fix: tuple[int, int] = (0, 0),
    review: tuple[int, int] = (50, 5),
    cost: float | None = None,
    seconds: float = 10.0,
    scripted: bool = False,
) -> dict[str, Any]:
    phases = empty_phases()
    for name, (tokens_in, tokens_out) in {"plan": plan, "implement": implement, "fix": fix, "review": review}.items():
        phases[name]["input_tokens"] = tokens_in
        phases[name]["output_tokens"] = tokens_out
    return {
        "instance_id": task if suite else None,
        "task": f"text of {task}",
        "strategy": strategy,
        "repeat": repeat,
        "run_id": f"{strategy}-{task}-{repeat}",
        "status": "done",
        "accepted": accepted,
        "resolved": resolved,
        "phases": phases,
        "total_tokens": sum(p["input_tokens"] + p["output_tokens"] for p in phases.values()),
        "cost_usd": cost,
        "seconds": seconds,
        "steps": 2,
        "fix_attempts": 0,
        "checks": {"passed": 2, "failed": 0},
        "review_issues": {"critical": 0, "high": 0, "medium": 0, "low": 0},
        "antipatterns": [],
        "scripted": scripted,
        "error": None,
    }


# A (the baseline) and B on three tasks, two repeats each:
#          t1      t2      t3
#   A    T  T    F  F    T  F     3 of 6; pass@1 = (1 + 0 + 0.5) / 3 = 0.5
#   B    T  T    T  T    F  F     4 of 6; pass@1 = (1 + 1 + 0) / 3 = 2/3
# pairs: t2 r1, t2 r2 won by B; t3 r1 lost by B  ->  wins 2, losses 1, diff 4/6 - 3/6 = 1/6
OUTCOMES = {
    "A": {"t1": (True, True), "t2": (False, False), "t3": (True, False)},
    "B": {"t1": (True, True), "t2": (True, True), "t3": (False, False)},
}


def two_strategies(**extra: Any) -> list[dict[str, Any]]:
    return [
        cell(strategy, task, repeat, outcome, **extra)
        for strategy, tasks in OUTCOMES.items()
        for task, outcomes in tasks.items()
        for repeat, outcome in enumerate(outcomes, start=1)
    ]


def test_rates_pass_at_1_and_pairing_worked_by_hand() -> None:
    summary = summarize(two_strategies(), None)
    a, b = summary["strategies"]["A"], summary["strategies"]["B"]
    assert summary["baseline"] == "A"  # the first strategy in row order
    assert (a["tasks"], a["cells"], a["judged"], a["resolved"]) == (3, 6, 6, 3)
    assert (b["tasks"], b["resolved"]) == (3, 4)
    assert a["rate"] == 0.5 and b["rate"] == pytest.approx(4 / 6)
    assert a["ci95"] == pytest.approx(list(wilson_interval(3, 6)))
    assert b["ci95"] == pytest.approx(list(wilson_interval(4, 6)))
    assert a["pass_at_1"] == pytest.approx(0.5) and b["pass_at_1"] == pytest.approx(2 / 3)
    [paired] = summary["paired"]
    assert {k: paired[k] for k in ("strategy", "baseline", "pairs", "wins", "losses")} == {
        "strategy": "B",
        "baseline": "A",
        "pairs": 6,
        "wins": 2,
        "losses": 1,
    }
    assert paired["p_value"] == mcnemar_exact(2, 1) == 1.0
    assert paired["diff"] == pytest.approx(1 / 6)
    # the bootstrap resamples the three tasks, each with its two pairs
    by_task = [[(1.0, 1.0), (1.0, 1.0)], [(1.0, 0.0), (1.0, 0.0)], [(0.0, 1.0), (0.0, 0.0)]]
    assert paired["ci95"] == list(paired_bootstrap(by_task))
    assert paired["ci95"][0] <= paired["diff"] <= paired["ci95"][1]


def test_the_baseline_can_be_chosen_and_an_unknown_one_is_refused() -> None:
    summary = summarize(two_strategies(), "B")
    [paired] = summary["paired"]
    assert (paired["strategy"], paired["baseline"], paired["wins"], paired["losses"]) == ("A", "B", 1, 2)
    assert paired["diff"] == pytest.approx(-1 / 6)
    with pytest.raises(UsageError) as refused:
        summarize(two_strategies(), "C")
    assert "\n" not in refused.value.message
    assert "'C'" in refused.value.message and "A, B" in refused.value.message


def test_one_strategy_has_no_pairs() -> None:
    summary = summarize([cell("high", "t1", 1, True)], None)
    assert summary["paired"] == [] and summary["baseline"] == "high"


def test_tokens_are_means_per_cell_and_cost_counts_only_known_prices() -> None:
    rows = [
        cell("A", "t1", 1, True, plan=(1000, 100), fix=(400, 40), cost=0.10),
        cell("A", "t2", 1, False, plan=(3000, 300), cost=None),
        cell("A", "t3", 1, True, plan=(2000, 200), cost=0.30),
    ]
    a = summarize(rows, None)["strategies"]["A"]
    # plan: (1100 + 3300 + 2200) / 3; implement 220 each; fix: 440 / 3; review 55 each
    assert a["tokens"]["plan"] == pytest.approx(2200)
    assert a["tokens"]["implement"] == pytest.approx(220)
    assert a["tokens"]["fix"] == pytest.approx(440 / 3)
    assert a["tokens"]["review"] == pytest.approx(55)
    assert a["tokens"]["total"] == pytest.approx(2200 + 220 + 440 / 3 + 55)
    assert sum(a["token_shares"].values()) == pytest.approx(1.0)
    assert a["token_shares"]["plan"] == pytest.approx(2200 / (2200 + 220 + 440 / 3 + 55))
    assert a["cost_usd"] == pytest.approx(0.20)  # the mean of the two known costs
    assert a["priced_cells"] == 2
    assert a["cost_per_resolved"] == pytest.approx(0.40 / 2)
    assert a["seconds"] == pytest.approx(10.0)


def test_no_price_and_nothing_resolved_say_none_never_zero() -> None:
    a = summarize([cell("A", "t1", 1, False, cost=None)], None)["strategies"]["A"]
    assert a["cost_usd"] is None and a["cost_per_resolved"] is None
    b = summarize([cell("B", "t1", 1, False, cost=0.5)], None)["strategies"]["B"]
    assert b["cost_usd"] == 0.5 and b["cost_per_resolved"] is None
    assert b["rate"] == 0.0 and b["ci95"][0] == 0.0


def test_a_comparison_is_judged_by_its_acceptance_command() -> None:
    rows = [
        cell("high", "jwt", 1, None, accepted=True, suite=False),
        cell("high", "jwt", 2, None, accepted=False, suite=False),
        cell("medium", "jwt", 1, None, accepted=False, suite=False),
        cell("medium", "jwt", 2, None, accepted=None, suite=False),  # the command did not run: not judged
    ]
    summary = summarize(rows, None)
    high, medium = summary["strategies"]["high"], summary["strategies"]["medium"]
    assert (high["tasks"], high["judged"], high["resolved"], high["rate"]) == (1, 2, 1, 0.5)
    assert (medium["cells"], medium["judged"], medium["resolved"], medium["rate"]) == (2, 1, 0, 0.0)
    assert medium["tokens"]["total"] == pytest.approx(385)  # the unjudged cell still counts for tokens
    [paired] = summary["paired"]
    assert (paired["pairs"], paired["wins"], paired["losses"]) == (1, 0, 1)  # repeat 2 has no verdict to pair


def test_a_crash_is_not_resolved_where_cells_are_judged() -> None:
    crash = error_row(task="text of t2", strategy="B", repeat=1, error="boom", instance_id="t2")
    crash["resolved"] = None  # even without a verdict of its own
    rows = [cell("A", "t1", 1, True), cell("A", "t2", 1, True), cell("B", "t1", 1, True), crash]
    b = summarize(rows, None)["strategies"]["B"]
    assert (b["cells"], b["judged"], b["resolved"], b["errors"], b["rate"]) == (2, 2, 1, 1, 0.5)
    assert summarize(rows, None)["paired"][0]["losses"] == 1


def test_nothing_judged_leaves_rates_empty_but_tokens_counted() -> None:
    rows = [
        cell("high", "jwt", 1, None, suite=False),
        error_row(task="text of jwt", strategy="medium", repeat=1, error="boom"),
    ]
    summary = summarize(rows, None)
    for s in summary["strategies"].values():
        assert s["judged"] == 0 and s["rate"] is None and s["ci95"] is None and s["pass_at_1"] is None
    assert summary["strategies"]["high"]["tokens"]["total"] == 385
    [paired] = summary["paired"]
    assert paired["pairs"] == 0 and paired["p_value"] == 1.0 and paired["diff"] is None and paired["ci95"] is None


def test_tasks_are_told_apart_by_id_else_by_text() -> None:
    rows = [cell("A", "t1", 1, True), cell("A", "t1", 2, False), cell("A", "t2", 1, True, suite=False)]
    assert summarize(rows, None)["strategies"]["A"]["tasks"] == 2


def test_a_cell_written_twice_counts_once_the_last_line_winning() -> None:
    rows = [cell("A", "t1", 1, False, cost=1.0), cell("A", "t2", 1, True), cell("A", "t1", 1, True, cost=2.0)]
    a = summarize(rows, None)["strategies"]["A"]
    assert (a["cells"], a["resolved"], a["cost_usd"]) == (2, 2, 2.0)


def test_scripted_replies_are_said() -> None:
    assert summarize(two_strategies(), None)["scripted"] is False
    rows = [*two_strategies(), cell("C", "t1", 1, True, scripted=True)]
    summary = summarize(rows, None)
    assert summary["scripted"] is True
    assert summary["strategies"]["C"]["scripted"] is True and summary["strategies"]["A"]["scripted"] is False


def test_the_contract_keys_and_plain_json() -> None:
    summary = summarize(two_strategies(cost=0.25), None)
    assert {"strategies", "paired"} <= summary.keys()
    for s in summary["strategies"].values():
        assert {"tasks", "resolved", "rate", "ci95", "tokens", "cost_usd", "cost_per_resolved"} <= s.keys()
        assert set(s["tokens"]) == {"plan", "implement", "fix", "review", "total"}
    for p in summary["paired"]:
        assert {"strategy", "baseline", "wins", "losses", "p_value", "diff", "ci95"} <= p.keys()
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary
    assert summarize([], None) == {"baseline": None, "scripted": False, "strategies": {}, "paired": []}


def test_load_results_skips_a_line_a_kill_cut_short(tmp_path: Path) -> None:
    rows = two_strategies()
    lines = [json.dumps(row) for row in rows]
    path = tmp_path / "results.jsonl"
    path.write_text("\n".join(lines[:3]) + "\n" + lines[3][:40], encoding="utf-8")  # killed mid-line
    assert load_results(path) == rows[:3]
    # resumed: the cut line was ended and more were written after it
    path.write_text("\n".join([*lines[:3], lines[3][:40], *lines[3:]]) + "\n", encoding="utf-8")
    assert load_results(path) == rows
    assert load_results(tmp_path) == rows  # the directory that holds it
    assert load_results(tmp_path / "nothing-here") == []
    path.write_text('\n{"not": "a cell"}\n[1, 2]\n' + lines[0] + "\n", encoding="utf-8")
    assert load_results(path) == rows[:1]
