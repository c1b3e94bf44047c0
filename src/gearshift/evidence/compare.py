"""The seed's table for your own task: one task, several strategies, each a whole run from the same commit.

Each (strategy, repeat) is a cell (gearshift.evidence.cell): a worktree of this repository at its
HEAD, a run that never stops for approval, then the acceptance command in that worktree. The
user's checkout is never touched: no branch switch, no file written outside ``.gearshift``. The
runs land in this repository's ledger, so ``gearshift show RUN`` and ``calls`` see them, and their
branches stay (``git diff BASE gearshift/RUN``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gearshift import workspace
from gearshift.checks import validate_command
from gearshift.errors import UsageError
from gearshift.evidence.cell import CellSpec, Judge
from gearshift.evidence.executors import OnStart, run_cells
from gearshift.evidence.recorder import Recorder, write_order
from gearshift.ledger import Ledger
from gearshift.models import Provider
from gearshift.paths import state_dir
from gearshift.settings import Settings
from gearshift.strategies import STRATEGIES

OnRow = Callable[[CellSpec, dict[str, Any]], None]


@dataclass(frozen=True)
class CompareOptions:
    strategies: tuple[str, ...] = ("high", "medium", "high-medium-high")
    repeat: int = 1
    jobs: int = 1
    test_cmd: str | None = None  # the check after each step; default: checks.test_cmd
    accept_cmd: str | None = None  # judges each run afterwards; never shown to a model
    executor: str = "local"
    ray_address: str | None = None


@dataclass(frozen=True)
class Comparison:
    comparison_id: str
    task: str
    base: str
    directory: Path  # holds results.jsonl: `gearshift suite report DIR` reads it too
    results: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"task": self.task, "base": self.base, "comparison_id": self.comparison_id, "results": self.results}


def check_strategies(strategies: tuple[str, ...]) -> tuple[str, ...]:
    """The strategies, each known, in the order given, none twice; a one-line refusal otherwise."""
    known = (*STRATEGIES, "auto")
    names = tuple(dict.fromkeys(s.strip() for s in strategies if s.strip()))
    unknown = [s for s in names if s not in known]
    if not names:
        raise UsageError("no strategy given: name them, e.g. --strategies high,medium,high-medium-high")
    if unknown:
        raise UsageError(f"unknown strategy {unknown[0]!r}: choose from {', '.join(known)}")
    return names


def compare(
    root: Path,
    task: str,
    options: CompareOptions,
    *,
    settings: Settings,
    ledger: Ledger,
    providers: Provider | Mapping[str, Provider] | None = None,
    on_start: OnStart | None = None,
    on_row: OnRow | None = None,
) -> Comparison:
    """Run ``task`` under every strategy ``options.repeat`` times and return one result row per run."""
    strategies = check_strategies(options.strategies)
    if not task.strip():
        raise UsageError('the task is empty: say what to build, e.g. gearshift compare "Add a --json flag"')
    if options.repeat < 1:
        raise UsageError(f"--repeat must be 1 or more, not {options.repeat}")
    test_cmd = options.test_cmd or settings.checks.test_cmd
    for command in (test_cmd, options.accept_cmd):
        if command:
            validate_command(command, shell=settings.checks.shell)
    root = workspace.repo_root(root)
    base = workspace.head(root)  # what every cell starts from; uncommitted changes are not part of it
    comparison_id = f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
    directory = state_dir(root) / "compare" / comparison_id
    specs = [
        CellSpec(
            task=task.strip(),
            strategy=strategy,
            repeat=repeat,
            source=str(root),
            base=base,
            directory=directory / f"{strategy}-{repeat}",
            settings=settings,
            test_cmd=test_cmd,
            judge=Judge(accept_cmd=options.accept_cmd, timeout=settings.checks.timeout),
        )
        for repeat in range(1, options.repeat + 1)
        for strategy in strategies
    ]
    write_order(directory, strategies)
    recorder = Recorder(ledger, state_dir(root) / "runs", directory, on_row=on_row)

    run_cells(
        specs,
        recorder.record,
        executor=options.executor,
        jobs=options.jobs,
        providers=providers,
        ray_address=options.ray_address,
        on_start=on_start,
    )
    order = {(s.strategy, s.repeat): i for i, s in enumerate(specs)}
    rows = sorted(recorder.rows, key=lambda row: order[(row["strategy"], row["repeat"])])
    return Comparison(comparison_id, task.strip(), base, directory, rows)
