"""Where a run works: its checkout made on first use and found again later, and the lock on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from gearshift import workspace
from gearshift.errors import UsageError
from gearshift.paths import state_dir
from gearshift.phases import PhaseContext
from gearshift.runs import RunState


def prepare(ctx: PhaseContext, run: RunState) -> tuple[workspace.Checkout, RunState]:
    """The run's branch (or worktree), created and recorded the first time, switched back to later."""
    if run.branch and run.checkout and run.base_commit:
        path = run.checkout
        if not path.exists():
            raise UsageError(f"the run's checkout {path} is gone; start a new run")
        if not run.worktree and workspace.current_branch(path) != run.branch:
            if workspace.tracked_changes(path):  # switching would carry them along: refuse
                raise UsageError(
                    f"run {run.id} works on branch {run.branch}, and this checkout has uncommitted"
                    " changes on another branch; commit or stash them first"
                )
            workspace.git(path, "switch", "-q", run.branch)
        return workspace.Checkout(path, run.branch, run.base_commit, run.worktree), run
    checkout = workspace.start_run_checkout(ctx.root, run.id, use_worktree=run.worktree)
    run = ctx.runs.update(run.id, branch=checkout.branch, base_commit=checkout.base, checkout=checkout.path)
    ctx.say(f"working on branch {checkout.branch} in {checkout.path}")
    return checkout, run


@contextmanager
def lock(ctx: PhaseContext, run: RunState) -> Iterator[None]:
    """One run at a time in a checkout; a worktree run locks only its own worktree."""
    from filelock import FileLock, Timeout

    key = run.id if run.worktree else "checkout"
    path = state_dir(ctx.root) / "locks" / f"{key}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = path.with_suffix(".holder")
    file_lock = FileLock(str(path), timeout=0)
    try:
        file_lock.acquire()
    except Timeout:
        other = holder.read_text(encoding="utf-8").strip() if holder.exists() else "another run"
        raise UsageError(f"{other} is working in this checkout; wait for it to finish, or use --worktree") from None
    try:
        holder.write_text(f"gearshift run {run.id} (pid {os.getpid()})", encoding="utf-8")
        yield
    finally:
        file_lock.release()
