"""The read tools the plan and review phases give the model: read_file, search, list_files.

Each takes a repository root and returns text for the model; a refused or failed call returns a
one-line reason, so that the model can go on. Reads are confined as edits are (no absolute path,
no '..', no symbolic link, nothing under .git or .gearshift) and, beyond that, reach only the
files gearshift lists for a repository: never a secret-looking file, never a git-ignored one,
never one .gearshiftignore leaves out. Every answer is capped, so one call cannot flood a prompt.
"""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from gearshift.context import files
from gearshift.models.base import ToolCall, ToolSpec

MAX_READ_LINES = 400  # a call shows at most this many lines; the model pages on with start_line
MAX_READ_CHARS = 40_000  # and at most this many characters (about 11k tokens), for files of long lines
MAX_FILE_BYTES = 8_000_000  # read_file pages through a file up to this size; the rest is never reached
MAX_MATCHES = 60
MAX_MATCH_CHARS = 200  # of one matching line
MAX_SEARCH_LINE = 2_000  # longer lines (minified code, data) are searched only this far, to bound the time
SEARCH_SECONDS = 5.0  # a search stops here and says so: Python's re has no timeout of its own
MAX_LISTED = 200  # paths listed in full; past that, a directory is shown one level deep with counts
FORBIDDEN_PARTS = frozenset({".git", ".gearshift"})

_PATH = {"type": "string", "description": "a path relative to the repository root, e.g. src/app/models.py"}
READ_TOOLS = (
    ToolSpec(
        name="read_file",
        description=(
            f"Read a text file of the repository, with line numbers; at most {MAX_READ_LINES} lines a call"
            " (use start_line and end_line, 1-based and inclusive, for a part or the next part)."
        ),
        parameters={
            "type": "object",
            "properties": {
                "path": _PATH,
                "start_line": {"type": "integer", "minimum": 1},
                "end_line": {"type": "integer", "minimum": 1},
            },
            "required": ["path"],
            "additionalProperties": False,
        },
    ),
    ToolSpec(
        name="search",
        description=(
            "Search the repository's text files with a Python regular expression; gives matching lines as"
            f" path:line: text, at most {MAX_MATCHES}. glob narrows the files, e.g. *.py or src/*"
        ),
        parameters={
            "type": "object",
            "properties": {"pattern": {"type": "string"}, "glob": {"type": "string"}},
            "required": ["pattern"],
            "additionalProperties": False,
        },
    ),
    ToolSpec(
        name="list_files",
        description="List the repository's files, all of them or those under a directory.",
        parameters={
            "type": "object",
            "properties": {"directory": {"type": "string", "description": "relative to the repository root"}},
            "additionalProperties": False,
        },
    ),
)
TOOL_NAMES = tuple(spec.name for spec in READ_TOOLS)


class Refused(Exception):
    """A path the tools will not open; the message is the tool's answer."""


def listing(root: Path) -> list[str]:
    """The files the tools may open, relative to ``root``; compute once and pass to each call.

    Symbolic links are left out, as reads refuse them (git lists a link, not what it points at)."""
    return [path for path in files.list_files(root) if not (root / path).is_symlink()]


def run_tool(root: Path, call: ToolCall, listed: Sequence[str] | None = None) -> str:
    """The answer to one tool call; never raises for anything the model sent."""
    args = call.arguments
    try:
        if call.name == "read_file":
            return read_file(root, _text(args, "path"), _line(args, "start_line"), _line(args, "end_line"), listed)
        if call.name == "search":
            return search(root, _text(args, "pattern"), _text(args, "glob", required=False) or None, listed)
        if call.name == "list_files":
            return list_files(root, _text(args, "directory", required=False) or None, listed)
    except _BadArguments as exc:
        return f"{call.name}: {exc}"
    except OSError as exc:  # a name longer than the filesystem allows, a file that vanished
        return f"{call.name}: cannot read that: {exc.strerror or exc}"
    return f"unknown tool {call.name!r}; the tools are {', '.join(TOOL_NAMES)}"


def read_file(
    root: Path,
    path: str,
    start_line: int | None = None,
    end_line: int | None = None,
    listed: Sequence[str] | None = None,
) -> str:
    """Lines of a repository file, numbered, within MAX_READ_LINES and MAX_READ_CHARS."""
    try:
        target = readable(root, path, listed)
    except Refused as exc:
        return str(exc)
    text = files.read_text(target, limit=MAX_FILE_BYTES)
    if text is None:
        return f"{path}: not a text file"
    lines = text.splitlines()
    total = len(lines)
    if not total:
        return f"{path} (empty)"
    first = max(1, start_line or 1)
    if first > total:
        return f"{path} has {total} lines; start_line {first} is past the end"
    last = min(total, end_line or total, first + MAX_READ_LINES - 1)
    if last < first:
        return f"{path}: end_line {end_line} is before start_line {first}"
    width = len(str(last))
    shown: list[str] = []
    size = 0
    for number in range(first, last + 1):
        line = f"{number:>{width}}  {lines[number - 1]}"
        if size + len(line) > MAX_READ_CHARS and shown:
            last = number - 1
            break
        shown.append(line[:MAX_READ_CHARS])
        size += len(line) + 1
    header = f"{path} (lines {first}-{last} of {total})"
    more = f"\n[lines {last + 1}-{total} not shown; read on with start_line={last + 1}]" if last < total else ""
    return "\n".join([header, *shown]) + more


def search(root: Path, pattern: str, glob: str | None = None, listed: Sequence[str] | None = None) -> str:
    """Lines matching ``pattern`` in the listed text files (those matching ``glob``), as path:line: text."""
    try:
        regex = re.compile(pattern)
    except (re.error, RecursionError) as exc:
        return f"search: bad regular expression {pattern!r}: {exc}"
    paths = listing(root) if listed is None else listed
    if glob:
        paths = [p for p in paths if fnmatch.fnmatch(p, glob) or fnmatch.fnmatch(p.rsplit("/", 1)[-1], glob)]
    matches: list[str] = []
    found = 0
    deadline = time.monotonic() + SEARCH_SECONDS
    stopped = ""
    for path in paths:
        if time.monotonic() > deadline:
            stopped = f"\n[search stopped after {SEARCH_SECONDS:g}s at {path}; narrow the pattern or glob]"
            break
        text = _listed_text(root, path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if regex.search(line[:MAX_SEARCH_LINE]):
                found += 1
                if len(matches) < MAX_MATCHES:
                    matches.append(f"{path}:{number}: {line.strip()[:MAX_MATCH_CHARS]}")
    if not matches:
        where = f" in files matching {glob!r}" if glob else ""
        return f"no matches for {pattern!r}{where}{stopped}"
    unshown = found - len(matches)
    more = f"\n[{unshown} more matches not shown; narrow the pattern or glob]" if unshown else ""
    return "\n".join(matches) + more + stopped


def list_files(root: Path, directory: str | None = None, listed: Sequence[str] | None = None) -> str:
    """The listed files under ``directory``: every path when few, else one level deep with counts."""
    prefix = ""
    if directory and directory.strip() not in (".", "./"):
        try:
            prefix = _confined(directory).as_posix() + "/"
        except Refused as exc:
            return str(exc)
    paths = [p for p in (listing(root) if listed is None else listed) if p.startswith(prefix)]
    if not paths:
        return f"no files under {directory}" if prefix else "no files"
    if len(paths) <= MAX_LISTED:
        return "\n".join(paths)
    groups: dict[str, int] = {}
    for path in paths:
        rest = path[len(prefix) :]
        head, slash, _ = rest.partition("/")
        key = f"{prefix}{head}/" if slash else f"{prefix}{head}"
        groups[key] = groups.get(key, 0) + 1
    lines = [f"{key} ({count} files)" if key.endswith("/") else key for key, count in sorted(groups.items())]
    shown = "\n".join(lines[:MAX_LISTED])
    more = f"\n[{len(lines) - MAX_LISTED} more entries not shown]" if len(lines) > MAX_LISTED else ""
    return f"{len(paths)} files; by directory (list one for its files):\n{shown}{more}"


def readable(root: Path, path: str, listed: Sequence[str] | None = None) -> Path:
    """The file ``path`` names inside ``root``, or Refused saying why the tools will not open it."""
    relative = _confined(path)
    name = relative.as_posix()
    if files.is_secret(name):
        raise Refused(f"{path}: refused: it looks like a secret (keys, credentials, .env files are never read)")
    real_root = root.resolve()
    current = real_root
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise Refused(f"{path}: refused: {current.relative_to(real_root)} is a symbolic link")
    if not current.exists():
        return _absent(path, name, listed, root)
    if not current.is_file():
        raise Refused(f"{path} is not a file; list_files shows what a directory holds")
    if name not in (listing(root) if listed is None else listed):
        raise Refused(f"{path}: refused: the repository ignores it (.gitignore or .gearshiftignore)")
    return current


def _confined(path: str) -> PurePosixPath:
    """The syntactic rules edits follow too: relative, inside the root, nothing under .git or .gearshift."""
    if not path or "\0" in path:
        raise Refused(f"invalid path {path!r}")
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute() or (len(path) > 1 and path[1] == ":"):
        raise Refused(f"{path}: refused: absolute paths are not read; give a path relative to the repository root")
    if ".." in posix.parts:
        raise Refused(f"{path}: refused: '..' is not followed; reads stay inside the repository")
    hidden = FORBIDDEN_PARTS.intersection(posix.parts)
    if hidden:
        raise Refused(f"{path}: refused: nothing under {sorted(hidden)[0]}/ is read")
    return posix


def _absent(path: str, name: str, listed: Sequence[str] | None, root: Path) -> Path:
    nearby = [p for p in (listing(root) if listed is None else listed) if p.endswith("/" + name.rsplit("/", 1)[-1])]
    hint = f"; files of that name: {', '.join(nearby[:5])}" if nearby else "; list_files or search can find it"
    raise Refused(f"{path}: no such file{hint}")


def _listed_text(root: Path, path: str) -> str | None:
    """A listed file's text, or None for binary files and anything that is not a plain file inside root."""
    try:
        return files.read_text(readable(root, path, [path]))
    except Refused:
        return None


class _BadArguments(Exception):
    pass


def _text(args: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = args.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise _BadArguments(f"{key} must be a non-empty string")
    return value


def _line(args: dict[str, Any], key: str) -> int | None:
    value = args.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _BadArguments(f"{key} must be a line number from 1")
    return value
