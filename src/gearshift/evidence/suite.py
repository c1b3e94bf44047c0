"""A suite: every task of a task file under every strategy, repeated, judged by its hidden tests.

Output directory:
    results.jsonl              one line per cell: the comparison's fields plus instance_id and resolved
    predictions/STRATEGY.jsonl SWE-bench predictions (instance_id, model_name_or_path, model_patch)
    ledger.db                  every call of every cell, written by this process only
    runs/RUN/                  each run's plan, review and findings
    cells/CELL/                each cell's clone and its own ledger
A killed suite started again with the same directory skips the cells whose results line is there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gearshift.checks import validate_command
from gearshift.errors import UsageError
from gearshift.evidence.cell import CellSpec, Judge
from gearshift.evidence.compare import OnRow, check_strategies
from gearshift.evidence.executors import OnStart, run_cells
from gearshift.evidence.recorder import Recorder, write_order
from gearshift.evidence.tasks import SuiteTask, load_tasks
from gearshift.ledger import Ledger
from gearshift.models import Provider
from gearshift.settings import Settings


@dataclass(frozen=True)
class SuiteOptions:
    strategies: tuple[str, ...] = ("high", "medium", "auto")
    repeat: int = 1
    jobs: int = 1
    executor: str = "local"
    ray_address: str | None = None
    test_cmd: str | None = None  # the check after each step (the hidden tests are never it)


@dataclass(frozen=True)
class SuitePlan:
    """The cells a suite still has to run, and how many it had finished before."""

    cells: list[CellSpec]
    skipped: int


def plan_suite(tasks_file: Path, out_dir: Path, options: SuiteOptions, settings: Settings) -> SuitePlan:
    """Every cell of the suite, less those a results line says are done."""
    strategies = check_strategies(options.strategies)
    tasks = load_tasks(tasks_file)
    test_cmd = options.test_cmd or settings.checks.test_cmd
    if test_cmd:
        validate_command(test_cmd, shell=settings.checks.shell)
    for task in tasks:  # a judge command that cannot run is refused now, not after a paid run
        for command in (task.accept_cmd, task.test_cmd):
            try:
                validate_command(command or "", shell=settings.checks.shell) if command else None
            except UsageError as exc:
                raise UsageError(f"task {task.instance_id}: {exc.message}") from None
    out_dir = out_dir.resolve()
    cells = [
        _cell(task, strategy, repeat, out_dir, settings, test_cmd, tasks_file.resolve().parent)
        for task in tasks
        for repeat in range(1, options.repeat + 1)
        for strategy in strategies
    ]
    write_order(out_dir, strategies)
    done = _done(out_dir)
    todo = [c for c in cells if (c.instance_id or "", c.strategy, c.repeat) not in done]
    return SuitePlan(todo, len(cells) - len(todo))


def run_suite(
    plan: SuitePlan,
    out_dir: Path,
    options: SuiteOptions,
    *,
    providers: Provider | Mapping[str, Provider] | None = None,
    on_start: OnStart | None = None,
    on_row: OnRow | None = None,
) -> list[dict[str, Any]]:
    """Run the planned cells; returns the rows of this invocation (results.jsonl holds them all)."""
    out_dir = out_dir.resolve()
    for cell in plan.cells:
        _mirror(cell.source)
    with Ledger(out_dir / "ledger.db") as ledger:
        recorder = Recorder(ledger, out_dir / "runs", out_dir, on_row=on_row)

        run_cells(
            plan.cells,
            recorder.record,
            executor=options.executor,
            jobs=options.jobs,
            providers=providers,
            ray_address=options.ray_address,
            on_start=on_start,
        )
        return recorder.rows


def _cell(
    task: SuiteTask, strategy: str, repeat: int, out_dir: Path, settings: Settings, test_cmd: str | None, here: Path
) -> CellSpec:
    timeout = task.timeout_s or settings.checks.timeout
    return CellSpec(
        task=task.problem_statement,
        strategy=strategy,
        repeat=repeat,
        source=task.local_source(here) or str(out_dir / "repos" / task.repo.replace("/", "__")),
        base=task.base_commit,
        directory=out_dir / "cells" / _safe(f"{task.instance_id}-{strategy}-{repeat}"),
        settings=settings.merged({"checks": {"timeout": timeout}}) if task.timeout_s else settings,
        test_cmd=test_cmd,
        judge=Judge(
            accept_cmd=task.accept_cmd,
            test_patch=task.test_patch,
            fail_to_pass=task.fail_to_pass,
            pass_to_pass=task.pass_to_pass,
            tests_cmd=task.test_cmd,
            timeout=timeout,
        ),
        instance_id=task.instance_id,
        worktree=False,
        setup_cmd=task.setup_cmd,
    )


def _mirror(source: str) -> None:
    """A task without repo_path is cloned from GitHub once, into the suite's repos/, for all its cells."""
    path = Path(source)
    if path.exists() or path.parent.name != "repos":
        return
    from gearshift.workspace import git

    repo = path.name.replace("__", "/", 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    git(path.parent, "clone", "-q", "--bare", f"https://github.com/{repo}.git", str(path))


def _done(out_dir: Path) -> set[tuple[str, str, int]]:
    from gearshift.evidence.summary import load_results

    return {(str(r.get("instance_id") or ""), str(r["strategy"]), int(r["repeat"])) for r in load_results(out_dir)}


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:120]
