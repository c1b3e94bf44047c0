"""Listing a repository's files (git's view where there is one) and keeping secrets out of prompts."""

from __future__ import annotations

import fnmatch
import subprocess
from pathlib import Path, PurePosixPath

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


def is_secret(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    return any(fnmatch.fnmatch(name, pattern) for pattern in SECRET_PATTERNS)


def list_files(root: Path) -> list[str]:
    """Repository files, relative and sorted: git's tracked and unignored files, else a walk."""
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if result.returncode == 0:
        paths = [p for p in result.stdout.split("\0") if p]
    else:
        paths = [
            str(path.relative_to(root).as_posix())
            for path in root.rglob("*")
            if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(root).parts)
        ]
    ignore = _gearshiftignore(root)
    return sorted(
        p
        for p in paths
        if not is_secret(p)
        and not SKIPPED_DIRS.intersection(PurePosixPath(p).parts)
        and not any(fnmatch.fnmatch(p, pattern) for pattern in ignore)
        and (root / p).is_file()
    )


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
