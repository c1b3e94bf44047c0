"""Listing a repository's files (git's view where there is one) and keeping secrets out of prompts."""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from pathlib import Path

# Never shown to a model, whatever the task: environment files, keys, credentials.
SECRET_PATTERNS = (
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "id_rsa*",
    "id_ed25519*",
    "id_ecdsa*",
    "*.keystore",
    "credentials*",
    "*secret*",
    ".netrc",
    ".npmrc",
    ".pypirc",
)
SKIPPED_DIRS = {".git", ".gearshift", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".tox"}


_SECRET = re.compile("|".join(fnmatch.translate(pattern) for pattern in SECRET_PATTERNS))


def is_secret(path: str) -> bool:
    return _SECRET.match(path.rsplit("/", 1)[-1].lower()) is not None


def list_files(root: Path) -> list[str]:
    """Repository files, relative and sorted: git's tracked and unignored files, else a walk."""
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if result.returncode == 0:
        paths = [p for p in result.stdout.split("\0") if p and (root / p).is_file()]  # the index may list deleted files
    else:
        paths = _walk(root)
    ignore = _gearshiftignore(root)
    return sorted(
        p
        for p in paths
        if not is_secret(p)
        and not SKIPPED_DIRS.intersection(p.split("/"))
        and not (ignore and any(fnmatch.fnmatch(p, pattern) for pattern in ignore))
    )


def _walk(root: Path) -> list[str]:
    """Files under a plain directory (no git), skipping tool and dependency folders and links."""
    found: list[str] = []
    pending = [(str(root), "")]
    while pending:
        directory, prefix = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if entry.name not in SKIPPED_DIRS:
                    pending.append((entry.path, f"{prefix}{entry.name}/"))
            elif entry.is_file():
                found.append(prefix + entry.name)
    return found


def _gearshiftignore(root: Path) -> list[str]:
    path = root / ".gearshiftignore"
    if not path.is_file():
        return []
    patterns = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            patterns.append(line.rstrip("/") + ("/*" if line.endswith("/") else ""))
    return patterns


def read_text(path: Path, limit: int = 400_000) -> str | None:
    """A file's text, or None for binary or unreadable files."""
    try:
        data = path.read_bytes()[:limit]
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", "replace")
