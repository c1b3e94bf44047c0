"""Where cells run: here, in a local pool of processes, or as Ray tasks on a local or existing cluster.

An executor only runs cells and hands each outcome back as it comes; the driver records it. A
cell whose worker dies (not just fails: a crashed process, a lost Ray node) comes back as a row
with status ``error``, and the rest go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from typing import Any

from gearshift.errors import UsageError
from gearshift.evidence.cell import CellOutcome, CellSpec, run_cell
from gearshift.evidence.records import error_row
from gearshift.models import Provider

OnOutcome = Callable[[CellSpec, CellOutcome], object]
OnStart = Callable[[CellSpec], None]
EXECUTORS = ("local", "ray")


def run_cells(
    specs: Iterable[CellSpec],
    on_outcome: OnOutcome,
    *,
    executor: str = "local",
    jobs: int = 1,
    providers: Provider | Mapping[str, Provider] | None = None,
    ray_address: str | None = None,
    on_start: OnStart | None = None,
) -> None:
    """Run every cell, calling ``on_outcome`` in this process as each one ends (in the order they end)."""
    specs = list(specs)
    started = on_start or (lambda spec: None)
    if jobs < 1:
        raise UsageError(f"--jobs must be 1 or more, not {jobs}")
    if executor == "ray":
        if providers is not None:
            raise UsageError("a Provider object cannot travel to Ray workers; name a provider in the settings")
        _run_on_ray(specs, on_outcome, started, jobs=jobs, address=ray_address)
        return
    if executor != "local":
        raise UsageError(f"unknown executor {executor!r}: choose one of {', '.join(EXECUTORS)}")
    if jobs == 1:
        for spec in specs:
            started(spec)
            on_outcome(spec, run_cell(spec, providers))
        return
    # a Provider object lives in this process: its cells share it from threads; named providers get processes
    pool: Executor = ThreadPoolExecutor(jobs) if providers is not None else _process_pool(jobs)
    with pool:
        futures: dict[Future[CellOutcome], CellSpec] = {}
        for spec in specs:
            started(spec)
            futures[pool.submit(run_cell, spec, providers)] = spec
        for future in as_completed(futures):
            on_outcome(futures[future], _outcome(futures[future], future))


def _process_pool(jobs: int) -> ProcessPoolExecutor:
    import multiprocessing

    # spawn, not fork: the driver holds threads (the progress bar) and open SQLite handles
    return ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))


def _outcome(spec: CellSpec, future: Future[CellOutcome]) -> CellOutcome:
    try:
        return future.result()
    except Exception as exc:  # the worker itself died: the cell is an error, the suite goes on
        return _died(spec, exc)


def _died(spec: CellSpec, exc: BaseException) -> CellOutcome:
    row = error_row(
        task=spec.task,
        strategy=spec.strategy,
        repeat=spec.repeat,
        instance_id=spec.instance_id,
        error=f"the worker died: {type(exc).__name__}: {str(exc)[:200]}",
    )
    return CellOutcome(row, "", {}, {})


def _run_on_ray(
    specs: list[CellSpec], on_outcome: OnOutcome, started: OnStart, *, jobs: int, address: str | None
) -> None:
    try:
        import ray
    except ImportError:
        raise UsageError("the ray executor needs Ray: pip install 'gearshift[ray]'") from None
    owned = not ray.is_initialized()
    if owned:
        options: dict[str, Any] = {"address": address} if address else {"num_cpus": jobs}
        ray.init(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR, **options)
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(run_cell)
        pending: dict[Any, CellSpec] = {}
        for spec in specs:
            started(spec)
            pending[remote.remote(spec)] = spec
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                spec = pending.pop(ref)
                try:
                    outcome = ray.get(ref)
                except Exception as exc:  # a worker or node lost
                    outcome = _died(spec, exc)
                on_outcome(spec, outcome)
    finally:
        if owned:
            ray.shutdown()
