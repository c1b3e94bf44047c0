"""Git for a run: a branch (or a worktree) per run, a commit per step, the diff, a lock.

Every git command goes through ``git()``, which raises a GearshiftError with git's own
words when it fails. Nothing here ever discards a change: work in the way is stashed,
and undo keeps the undone commits under refs/gearshift/undone/.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gearshift.errors import GearshiftError, UsageError

STEP_TRAILER = "Gearshift-Step"


def git(cwd: Path, *args: str, check: bool = True) -> str:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        raise UsageError("git is not installed or not on PATH; gearshift runs work in a git repository") from None
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        lock = next((line for line in detail if "index.lock" in line), None)
        if lock is not None:
            path = lock.split("'")[1] if lock.count("'") >= 2 else "index.lock"
            raise UsageError(
                f"git's {path} is there from a git command that stopped; if no git command is running"
                f" in this repository, delete that file and run gearshift again"
            )
        raise GearshiftError(f"git {' '.join(args[:2])} failed: {detail[-1] if detail else result.returncode}")
    return result.stdout


def repo_root(cwd: Path) -> Path:
    result = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise UsageError(f"{cwd} is not inside a git repository; run `git init` and commit first, or cd into one")
    return Path(result.stdout.strip())


def head(cwd: Path) -> str:
    result = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise UsageError("the repository has no commits yet; commit something first (gearshift branches from HEAD)")
    return result.stdout.strip()


def tracked_changes(cwd: Path) -> list[str]:
    """Paths of tracked files with uncommitted changes (staged or not)."""
    out = git(cwd, "status", "--porcelain", "--untracked-files=no")
    return [line[3:] for line in out.splitlines() if line.strip()]


def current_branch(cwd: Path) -> str | None:
    out = git(cwd, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).strip()
    return out or None


def refuse_uncommitted(root: Path) -> None:
    changed = tracked_changes(root)
    if changed:
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        raise UsageError(
            f"uncommitted changes to tracked files ({shown}); commit or stash them, or pass --worktree"
            " to run in a separate worktree and leave this checkout alone"
        )


@dataclass(frozen=True)
class Checkout:
    """Where a run works: its directory, its branch, and the commit it started from."""

    path: Path
    branch: str
    base: str
    worktree: bool


def preflight(root: Path, *, use_worktree: bool) -> None:
    """What a run can check for free before its first paid call: commits, no operation half done,
    and (in this checkout) no uncommitted changes to tracked files."""
    head(root)
    asked = [arg for marker, _ in _OPERATIONS for arg in ("--git-path", marker)]
    *places, lock = git(root, "rev-parse", *asked, "--git-path", "index.lock").splitlines()
    for (_, operation), place in zip(_OPERATIONS, places, strict=True):
        if (root / place).exists():  # a relative place is relative to root; an absolute one stays as it is
            raise UsageError(f"a {operation} is in progress in this repository; finish or abort it first")
    if (root / lock).exists():  # found now, not at the first commit after a paid plan
        raise UsageError(
            f"git's {lock} is there from a git command that stopped; if no git command is running"
            " in this repository, delete that file and run gearshift again"
        )
    if not use_worktree:
        refuse_uncommitted(root)


_OPERATIONS = (
    ("rebase-merge", "rebase"),
    ("rebase-apply", "rebase or git am"),
    ("MERGE_HEAD", "merge"),
    ("CHERRY_PICK_HEAD", "cherry-pick"),
    ("REVERT_HEAD", "revert"),
    ("BISECT_LOG", "bisect"),
)


def planned_checkout(root: Path, run_id: str, *, use_worktree: bool, base: str | None = None) -> Checkout:
    """Where a run will work, decided (and recorded by the caller) before git is asked to make it, so
    that a run killed between the two can still find or finish its checkout."""
    path = root / ".gearshift" / "worktrees" / run_id if use_worktree else root
    return Checkout(path=path, branch=f"gearshift/{run_id}", base=base or head(root), worktree=use_worktree)


def branch_exists(cwd: Path, branch: str) -> bool:
    return bool(git(cwd, "rev-parse", "--verify", "-q", f"refs/heads/{branch}", check=False).strip())


def make_checkout(root: Path, checkout: Checkout) -> None:
    """Create the planned checkout; where an earlier, killed attempt made part of it, finish that part."""
    if checkout.worktree:
        if checkout.path.exists() and (checkout.path / ".git").exists():
            return  # made before the kill
        git(root, "worktree", "prune")  # forget a worktree whose directory is gone
        if branch_exists(root, checkout.branch):
            git(root, "worktree", "add", "-q", str(checkout.path), checkout.branch)
        else:
            git(root, "worktree", "add", "-q", "-b", checkout.branch, str(checkout.path), checkout.base)
        return
    if branch_exists(root, checkout.branch):
        if current_branch(root) != checkout.branch:
            git(root, "switch", "-q", checkout.branch)
        return
    refuse_uncommitted(root)
    git(root, "switch", "-q", "-c", checkout.branch, checkout.base)


def commit_step(cwd: Path, paths: list[str], title: str, run_id: str, step_id: int) -> str:
    """Commit exactly ``paths`` (never the user's other files) with the step's trailer."""
    if paths:
        git(cwd, "add", "-A", "--", *paths)
    message = f"{title}\n\n{STEP_TRAILER}: {run_id}/{step_id}\n"
    git(cwd, *_identity(cwd), "commit", "-q", "--allow-empty", "--no-verify", "-m", message)
    return head(cwd)


def _identity(cwd: Path) -> list[str]:
    """The user's git identity when there is one; else commit as gearshift rather than fail mid-run."""
    if git(cwd, "config", "user.email", check=False).strip() or os.environ.get("GIT_AUTHOR_EMAIL"):
        return []
    return ["-c", "user.name=gearshift", "-c", "user.email=gearshift@localhost"]


def committed_steps(cwd: Path, base: str, run_id: str) -> dict[int, str]:
    """Step id -> commit, from the trailers of base..HEAD: the truth after a crash."""
    out = git(cwd, "log", "--format=%H%x00%(trailers:key=" + STEP_TRAILER + ",valueonly)%x01", f"{base}..HEAD")
    found: dict[int, str] = {}
    for record in out.split("\x01"):
        if "\x00" not in record:
            continue
        sha, trailer = record.strip().split("\x00", 1)
        value = trailer.strip()
        prefix = f"{run_id}/"
        if value.startswith(prefix) and value[len(prefix) :].isdigit():
            found[int(value[len(prefix) :])] = sha
    return found


def changed_paths(cwd: Path) -> list[str]:
    """Tracked files changed and untracked files added since HEAD (not ignored ones)."""
    out = git(cwd, "status", "--porcelain", "--untracked-files=all")
    return [line[3:].split(" -> ")[-1] for line in out.splitlines() if line.strip()]


def tree_fingerprint(cwd: Path) -> str:
    """A digest of the uncommitted state: it changes when anyone edits, adds or removes a file."""
    import hashlib

    digest = hashlib.sha256(git(cwd, "diff", "HEAD", "--binary").encode())
    for name in git(cwd, "ls-files", "--others", "--exclude-standard", "-z").split("\0"):
        if name:
            digest.update(name.encode() + b"\0")
            with contextlib.suppress(OSError):
                digest.update((cwd / name).read_bytes())
    return digest.hexdigest()


def stash_leftovers(cwd: Path, message: str, paths: list[str]) -> bool:
    """Set aside the uncommitted changes to ``paths`` (what the run wrote), tracked or new, without losing
    them; the user's other files, tracked or untracked, are left where they are. True if anything was stashed."""
    wanted = set(paths)
    changed = [p for p in changed_paths(cwd) if p in wanted]
    if not changed:
        return False
    git(cwd, "stash", "push", "-q", "--include-untracked", "-m", message, "--", *changed)
    return True


def diff(cwd: Path, base: str, *, max_lines_per_file: int = 600, max_chars: int = 80_000) -> str:
    """``git diff base..HEAD`` with every changed function whole (a reviewer checks a claim against the
    code around it, not three lines of it), bounded: a huge file's diff is cut, saying what was left out."""
    names = git(cwd, "diff", "--name-only", f"{base}..HEAD").splitlines()

    def of(name: str) -> str:
        return git(cwd, "diff", "--function-context", f"{base}..HEAD", "--", name)

    return bounded_diff(names, of, max_lines_per_file=max_lines_per_file, max_chars=max_chars)


def bounded_diff(
    names: list[str], diff_of: Callable[[str], str], *, max_lines_per_file: int = 600, max_chars: int = 80_000
) -> str:
    """The diffs of ``names`` (each from ``diff_of``), a secrets file's left out, each cut at
    ``max_lines_per_file`` lines and the whole at ``max_chars``, saying what was left out."""
    from gearshift.context.files import is_secret

    parts: list[str] = []
    total = 0
    for index, name in enumerate(names):
        if is_secret(name):  # never shown to a model, even as a diff
            parts.append(f"[gearshift: the diff of {name} is left out: it looks like a secrets file]\n")
            continue
        text = diff_of(name)
        lines = text.splitlines()
        if len(lines) > max_lines_per_file:
            text = "\n".join(lines[:max_lines_per_file]) + (
                f"\n[gearshift: {len(lines) - max_lines_per_file} more diff lines of {name} left out]\n"
            )
        if total + len(text) > max_chars:
            rest = names[index:]
            parts.append(f"[gearshift: diff of {len(rest)} more files left out: {', '.join(rest[:20])}]\n")
            break
        parts.append(text if text.endswith("\n") else text + "\n")
        total += len(text)
    return "".join(parts)


def reset_branch(root: Path, checkout_path: Path, branch: str, base: str, run_id: str) -> str:
    """Put ``branch`` back to ``base``, keeping its old head under refs/gearshift/undone/<run>."""
    old = git(root, "rev-parse", branch).strip()
    if old == base:  # nothing to undo; never move the saved work's ref to the base
        raise UsageError(f"{branch} is already at its base {base[:10]}; there is nothing to undo")
    if changed_paths(checkout_path) and current_branch(checkout_path) == branch:
        raise UsageError(
            f"the checkout of {branch} has uncommitted changes; commit or stash them before undo, so nothing is lost"
        )
    git(root, "update-ref", f"refs/gearshift/undone/{run_id}", old)
    if current_branch(checkout_path) == branch:
        git(checkout_path, "reset", "-q", "--hard", base)
    else:
        git(root, "branch", "-f", branch, base)
    return old
