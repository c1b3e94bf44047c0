"""Where a run works: its checkout made on first use and found again later, and the lock on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gearshift import workspace
from gearshift.errors import UsageError
from gearshift.paths import state_dir
from gearshift.phases import PhaseContext
from gearshift.runs import RunState


def prepare(ctx: PhaseContext, run: RunState) -> tuple[workspace.Checkout, RunState]:
    """The run's branch (or worktree): planned and recorded first, then made, so that a run killed
    between the two makes it on resume; switched back to when the run goes on later."""
    if not (run.branch and run.checkout and run.base_commit):
        planned = workspace.planned_checkout(ctx.root, run.id, use_worktree=run.worktree, base=run.base_commit)
        run = ctx.runs.update(run.id, branch=planned.branch, base_commit=planned.base, checkout=planned.path)
        workspace.make_checkout(ctx.root, planned)
        ctx.say(f"working on branch {planned.branch} in {planned.path}")
        return planned, run
    checkout = workspace.Checkout(run.checkout, run.branch, run.base_commit, run.worktree)
    if not workspace.branch_exists(ctx.root, run.branch):
        committed = [s.commit_sha for s in ctx.runs.steps(run.id) if s.commit_sha]
        if committed:  # deleted after work was committed on it: only the user knows whether to bring it back
            raise UsageError(
                f"the run's branch {run.branch} is gone; to go on, bring it back with"
                f" `git branch {run.branch} {committed[-1][:12]}` and resume, or start a new run"
            )
    elif not run.worktree and workspace.current_branch(ctx.root) != run.branch and workspace.tracked_changes(ctx.root):
        raise UsageError(  # switching would carry them along: refuse
            f"run {run.id} works on branch {run.branch}, and this checkout has uncommitted"
            " changes on another branch; commit or stash them first"
        )
    workspace.make_checkout(ctx.root, checkout)
    return checkout, run


@contextmanager
def lock(ctx: PhaseContext, run: RunState) -> Iterator[None]:
    """One run at a time in a checkout; a worktree run locks only its own worktree."""
    with _held(ctx.root, run.id if run.worktree else "checkout", f"gearshift run {run.id} (pid {os.getpid()})"):
        yield


def refuse_if_locked(root: Path) -> None:
    """Refuse a new run in this checkout while another is working in it (checked before anything is paid)."""
    with _held(root, "checkout", None):
        pass


@contextmanager
def _held(root: Path, key: str, holder_text: str | None) -> Iterator[None]:
    from filelock import FileLock, Timeout

    path = state_dir(root) / "locks" / f"{key}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = path.with_suffix(".holder")
    file_lock = FileLock(str(path), timeout=0)
    try:
        file_lock.acquire()
    except Timeout:
        other = holder.read_text(encoding="utf-8").strip() if holder.exists() else "another run"
        raise UsageError(f"{other} is working in this checkout; wait for it to finish, or use --worktree") from None
    try:
        if holder_text is not None:
            holder.write_text(holder_text, encoding="utf-8")
        yield
    finally:
        file_lock.release()
