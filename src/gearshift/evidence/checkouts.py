"""Where a cell works: a checkout of its own at the base commit, never the user's.

A comparison's cells are git worktrees of the user's repository (their run branches stay visible
there, to diff and merge); a suite's cells are clones of the task's repository, shared with a
local clone or mirror so that twenty cells of one repository cost one copy of its history.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from gearshift.errors import GearshiftError, UsageError
from gearshift.workspace import git


def add_worktree(repo: Path, base: str, path: Path) -> Path:
    """A detached worktree of ``repo`` at ``base``; one a killed attempt left is made again."""
    if path.exists():
        remove_worktree(repo, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    git(repo, "worktree", "add", "-q", "--detach", str(path), base)
    return path


def remove_worktree(repo: Path, path: Path) -> None:
    with contextlib.suppress(GearshiftError, OSError):
        git(repo, "worktree", "remove", "--force", str(path))
    shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(GearshiftError):
        git(repo, "worktree", "prune")


def clone_at(source: str, base: str, path: Path) -> Path:
    """A clone of ``source`` (a local path, a bare mirror or a URL) with ``base`` checked out, detached."""
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    local = Path(source).exists()
    shared = ["--shared"] if local else []
    git(path.parent, "clone", "-q", "--no-checkout", *shared, source, str(path))
    try:
        git(path, "checkout", "-q", "--detach", base)
    except GearshiftError:
        raise UsageError(f"{source} has no commit {base}; fetch it into the clone or fix base_commit") from None
    return path


def diff_from(path: Path, base: str) -> str:
    """What the run changed, as a patch against the base: a SWE-bench prediction's model_patch."""
    return git(path, "diff", "--binary", f"{base}..HEAD")
