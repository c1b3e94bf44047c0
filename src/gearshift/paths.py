"""Where gearshift finds a repository and keeps its state."""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR = ".gearshift"


def find_repo_root(start: Path | None = None) -> Path | None:
    """The nearest ancestor holding a ``.git`` entry (a directory, or a file in a worktree)."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def gearshift_home() -> Path:
    """``$GEARSHIFT_HOME``, else the platform's per-user config directory."""
    configured = os.environ.get("GEARSHIFT_HOME")
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_config_dir  # imported late: only needed off the fast path

    return Path(user_config_dir("gearshift", appauthor=False))


def state_dir(repo_root: Path | None) -> Path:
    """The directory for the ledger and run artifacts, created and kept out of git.

    Inside a repository it is ``<root>/.gearshift`` with a ``.gitignore`` of ``*``, so nothing
    in it is ever committed and the user's own ignore files are left alone.
    """
    directory = repo_root / STATE_DIR if repo_root else gearshift_home()
    directory.mkdir(parents=True, exist_ok=True)
    if repo_root:
        ignore = directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# written by gearshift: keep its state out of git\n*\n", encoding="utf-8")
    return directory


def cache_dir(tree: Path) -> Path:
    """Where caches about ``tree`` go: its state directory when it is a git checkout; for a plain
    source tree, a directory under ``gearshift_home()`` keyed by its path, so nothing is written into it."""
    if (tree / ".git").exists():
        return state_dir(tree) / "cache"
    import hashlib

    return gearshift_home() / "cache" / hashlib.sha1(str(tree.resolve()).encode()).hexdigest()[:16]


def default_db_path(repo_root: Path | None) -> Path:
    override = os.environ.get("GEARSHIFT_DB")
    if override:
        return Path(override).expanduser()
    return state_dir(repo_root) / "ledger.db"
