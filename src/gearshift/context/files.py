"""Listing a repository's files (git's view where there is one) and keeping secrets out of prompts."""

from __future__ import annotations

import fnmatch
import os
import re
import stat
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


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Out of the repository map: data, lock files, media, fonts, archives and compiled files. A planner
# learns nothing from their paths that is worth their tokens, and edits none of them.
DATA_SUFFIXES = _names(
    """
    json jsonl ndjson geojson csv tsv parquet feather arrow avro orc npy npz pkl pickle h5 hdf5 mat
    db sqlite sqlite3 xls xlsx ods dat bin lock sum snap
    png jpg jpeg gif svg ico bmp webp tif tiff avif icns heic psd ai eps sketch fig xcf pdf
    woff woff2 ttf otf eot mp3 mp4 wav ogg oga webm mov avi flac m4a
    zip gz tgz bz2 xz zst 7z rar tar jar war whl egg
    exe dll so dylib a o obj class pyc pyo wasm mo map
    """
)
LOCK_FILES = _names(
    """
    package-lock.json npm-shrinkwrap.json yarn.lock pnpm-lock.yaml bun.lockb poetry.lock uv.lock pdm.lock
    pipfile.lock cargo.lock go.sum go.work.sum gemfile.lock composer.lock flake.lock mix.lock pubspec.lock
    podfile.lock packages.lock.json gradle.lockfile deno.lock
    """
)
# Data by its suffix, but what a project is built from: manifests and configuration stay in the map.
KEPT_DATA = ("package.json", "composer.json", "deno.json", "tsconfig", "jsconfig", "app.json", "manifest.json")


def left_out_of_map(path: str) -> bool:
    """Whether ``path`` is a data, lock, media or compiled file, kept out of the repository map."""
    name = path.rsplit("/", 1)[-1].lower()
    if name in LOCK_FILES:
        return True
    if name.endswith((".min.js", ".min.css")):  # minified copies of sources
        return True
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    if suffix not in DATA_SUFFIXES:
        return False
    # a JSON file at the root configures the project (renovate.json, biome.json ...): it stays
    return not (suffix == "json" and ("/" not in path or name.startswith(KEPT_DATA)))


_SECRET = re.compile("|".join(fnmatch.translate(pattern) for pattern in SECRET_PATTERNS))


def is_secret(path: str) -> bool:
    """Whether the file ``path`` names looks like a secrets file: judged by the name that is opened, so
    that ``.env/.``, ``./.env`` and ``sub\\.env`` are what they open, ``.env``."""
    name = PurePosixPath(path.replace("\\", "/")).name
    return _SECRET.match(name.lower()) is not None


def list_files(root: Path) -> list[str]:
    """Repository files, relative and sorted: git's tracked and unignored files, else a walk."""
    return [path for path, _, _ in listed_files(root)]


def listed_files(root: Path) -> list[tuple[str, int, int]]:
    """list_files with each file's size and modification time (ns), from the one stat the listing needs."""
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    found = _stat_all(root, result.stdout.split("\0")) if result.returncode == 0 else _walk(root)
    ignore = _gearshiftignore(root)
    return sorted(
        entry
        for entry in found
        if not is_secret(entry[0])
        and not SKIPPED_DIRS.intersection(entry[0].split("/"))
        and not (ignore and any(fnmatch.fnmatch(entry[0], pattern) for pattern in ignore))
    )


def _stat_all(root: Path, paths: list[str]) -> list[tuple[str, int, int]]:
    """The regular files among git's paths (its index may list deleted ones), with their stats."""
    found = []
    base = str(root)
    for path in paths:
        if not path:
            continue
        try:
            info = os.stat(os.path.join(base, path))
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            found.append((path, info.st_size, info.st_mtime_ns))
    return found


def _walk(root: Path) -> list[tuple[str, int, int]]:
    """Files under a plain directory (no git), skipping tool and dependency folders and links."""
    found: list[tuple[str, int, int]] = []
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
                try:
                    info = entry.stat()
                except OSError:
                    continue
                found.append((prefix + entry.name, info.st_size, info.st_mtime_ns))
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
