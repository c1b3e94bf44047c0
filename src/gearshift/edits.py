"""Edit blocks: parse them from a model's reply, check them all, apply all or nothing.

    path/to/file.py
    <<<<<<< SEARCH
    lines as they are now
    =======
    lines as they should be
    >>>>>>> REPLACE

An empty SEARCH creates a file. Matching is exact first, then tolerant of whitespace at the
ends of lines, then of indentation (the replacement is re-indented to fit). Paths are
confined to the repository: no absolute paths, no '..', no symlinks, nothing in .git or
.gearshift.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gearshift.errors import EditError

SEARCH = "<<<<<<< SEARCH"
DIVIDER = "======="
REPLACE = ">>>>>>> REPLACE"
FORBIDDEN_DIRS = (".git", ".gearshift")


@dataclass(frozen=True)
class EditBlock:
    path: str
    search: str
    replace: str
    line: int  # where the block starts in the reply, for messages


def parse_edit_blocks(reply: str) -> list[EditBlock]:
    lines = reply.splitlines()
    blocks: list[EditBlock] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() != SEARCH:
            i += 1
            continue
        start = i
        path = _path_before(lines, i)
        if path is None:
            raise EditError(f"the edit block at line {start + 1} has no file path on the line before {SEARCH}")
        search, i = _collect(lines, i + 1, DIVIDER, start)
        replace, i = _collect(lines, i + 1, REPLACE, start)
        blocks.append(EditBlock(path=path, search=search, replace=replace, line=start + 1))
        i += 1
    return blocks


def _path_before(lines: list[str], index: int) -> str | None:
    for j in range(index - 1, max(-1, index - 4), -1):
        candidate = lines[j].strip()
        if not candidate or candidate.startswith("```"):
            continue
        return candidate.strip("`*").removeprefix("# ").strip() or None
    return None


def _collect(lines: list[str], index: int, end: str, start: int) -> tuple[str, int]:
    collected: list[str] = []
    while index < len(lines):
        if lines[index].strip() == end:
            return "".join(line + "\n" for line in collected), index
        if lines[index].strip() in (SEARCH, REPLACE, DIVIDER):
            break
        collected.append(lines[index])
        index += 1
    raise EditError(f"the edit block at line {start + 1} is not closed: expected a line {end!r}")


# --- confinement ---------------------------------------------------------------------------


def confined_path(root: Path, relative: str) -> Path:
    """The file ``relative`` names inside ``root``, or EditError if it points anywhere else."""
    if not relative or "\0" in relative:
        raise EditError(f"invalid path {relative!r}")
    posix = PurePosixPath(relative.replace("\\", "/"))
    if posix.is_absolute() or (len(relative) > 1 and relative[1] == ":"):
        raise EditError(f"{relative}: absolute paths are refused; use a path relative to the repository root")
    if ".." in posix.parts:
        raise EditError(f"{relative}: '..' is refused; paths stay inside the repository")
    if posix.parts and posix.parts[0] in FORBIDDEN_DIRS:
        raise EditError(f"{relative}: writing under {posix.parts[0]}/ is refused")
    root = root.resolve()
    current = root
    for part in posix.parts:
        current = current / part
        if current.is_symlink():
            raise EditError(
                f"{relative}: {current.relative_to(root)} is a symbolic link; writing through it is refused"
            )
    if current.exists() and not current.is_file():
        raise EditError(f"{relative} is not a regular file")
    return current


# --- matching and applying -----------------------------------------------------------------


def apply_edit_blocks(root: Path, blocks: list[EditBlock]) -> list[str]:
    """Apply every block or none; return the paths changed, relative to ``root``."""
    if not blocks:
        raise EditError(f"no edit blocks found; answer with blocks of the form 'path' then {SEARCH} ... {REPLACE}")
    originals: dict[Path, str | None] = {}
    updated: dict[Path, str] = {}
    names: dict[Path, str] = {}
    problems: list[str] = []
    for block in blocks:
        try:
            target = confined_path(root, block.path)
        except EditError as exc:
            problems.append(str(exc))
            continue
        if target not in originals:
            originals[target] = _read(target)
        names[target] = block.path
        current = updated.get(target, originals[target])
        try:
            updated[target] = _apply_one(current, block)
        except EditError as exc:
            problems.append(str(exc))
    if problems:
        raise EditError("; ".join(problems))
    _write_all(updated, originals)
    return sorted(names[t] for t in updated)


def _read(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise EditError(f"{path.name} is not UTF-8 text; it cannot be edited with blocks") from None


def _apply_one(content: str | None, block: EditBlock) -> str:
    if not block.search.strip():
        if content is not None and content.strip():
            raise EditError(
                f"{block.path} already exists; to change it, SEARCH for the lines to replace"
                f" (block at line {block.line})"
            )
        return block.replace
    if content is None:
        raise EditError(f"{block.path} does not exist; to create it, leave SEARCH empty (block at line {block.line})")
    match = _locate(content, block.search)
    if match is None:
        raise EditError(_no_match_message(content, block))
    return content[: match.start] + _fit(block.replace, block.search, match) + content[match.end :]


@dataclass(frozen=True)
class _Match:
    start: int  # character offsets of the matched text in the file
    end: int
    found: list[str]  # the file's lines that matched, for re-indenting the replacement
    reindent: bool


def _locate(content: str, search: str) -> _Match | None:
    """Find ``search`` exactly, else ignoring line-end whitespace, else ignoring indentation."""
    index = content.find(search)
    if index >= 0:
        if content.find(search, index + 1) >= 0:
            raise EditError(_ambiguous(search))
        return _Match(index, index + len(search), [], reindent=False)
    lines = content.splitlines(keepends=True)
    wanted = search.splitlines()
    for normalise, reindent in ((str.rstrip, False), (str.strip, True)):
        matches = _line_matches(lines, wanted, normalise)
        if len(matches) > 1:
            raise EditError(_ambiguous(search))
        if matches:
            first = matches[0]
            found = lines[first : first + len(wanted)]
            begin = sum(len(line) for line in lines[:first])
            return _Match(begin, begin + sum(len(line) for line in found), found, reindent)
    return None


def _fit(replace: str, search: str, match: _Match) -> str:
    text = _reindent(replace, search.splitlines(), match.found) if match.reindent else replace
    if match.found and not match.found[-1].endswith("\n") and text.endswith("\n"):
        text = text[:-1]  # the match was the file's last line, which had no newline
    return text


def _line_matches(lines: list[str], wanted: list[str], normalise: Callable[[str], str]) -> list[int]:
    if not wanted:
        return []
    target = [normalise(w) for w in wanted]
    size = len(wanted)
    return [i for i in range(len(lines) - size + 1) if [normalise(x) for x in lines[i : i + size]] == target]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _reindent(replace: str, wanted: list[str], found: list[str]) -> str:
    # the model got the indentation wrong by a constant amount: shift the replacement alike
    pairs = [(w, f) for w, f in zip(wanted, found, strict=False) if w.strip()]
    if not pairs:
        return replace
    model_indent, file_indent = _indent(pairs[0][0]), _indent(pairs[0][1].rstrip("\n"))
    out = []
    for line in replace.splitlines(keepends=True):
        if line.strip() and line.startswith(model_indent):
            line = file_indent + line[len(model_indent) :]
        elif line.strip():
            line = file_indent + line.lstrip()
        out.append(line)
    return "".join(out)


def _ambiguous(search: str) -> str:
    first = search.strip().splitlines()[0][:60] if search.strip() else ""
    return f"the SEARCH text starting {first!r} matches more than one place; include more lines to make it unique"


def _no_match_message(content: str, block: EditBlock) -> str:
    lines = content.splitlines()
    wanted = block.search.splitlines()
    size = max(1, len(wanted))
    best, best_at = 0.0, 0
    for i in range(max(1, len(lines) - size + 1)):
        ratio = difflib.SequenceMatcher(None, "\n".join(lines[i : i + size]), block.search.rstrip("\n")).ratio()
        if ratio > best:
            best, best_at = ratio, i
    nearest = "\n".join(lines[best_at : best_at + size])
    return (
        f"the SEARCH block at line {block.line} does not match {block.path}; the nearest lines are "
        f"{best_at + 1}-{best_at + size} ({best:.0%} alike):\n{nearest}\n"
        "copy the lines exactly as they are in the file"
    )


def _write_all(updated: dict[Path, str], originals: dict[Path, str | None]) -> None:
    """Write each file atomically; if one write fails, put back the ones already written."""
    written: list[Path] = []
    try:
        for path, text in updated.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".gearshift")
            try:
                with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                    out.write(text)
                if path.exists():
                    os.chmod(temporary, path.stat().st_mode)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            written.append(path)
    except OSError as exc:
        for path in written:
            original = originals[path]
            if original is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(original, encoding="utf-8")
        raise EditError(f"writing {exc.filename} failed ({exc.strerror}); no file was changed") from None
