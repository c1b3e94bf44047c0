"""A reply's blocks against the repository: every check first, then every write, or none.

``plan_edits`` reads and checks everything and works out each file's new bytes without writing;
``write_changes`` writes them, each file atomically, and puts every file back as it was if any
write fails (or the process is interrupted) midway.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gearshift.edits.bounds import MAX_FILE_BYTES, joined, shown
from gearshift.edits.confine import confined_path, refuse_unsafe_targets
from gearshift.edits.locate import Ambiguous
from gearshift.edits.match import find_replacement
from gearshift.edits.messages import ambiguous, no_match, unclear, where
from gearshift.edits.parse import REPLACE, SEARCH, EditBlock, split_lines
from gearshift.edits.rewrite import Unclear
from gearshift.edits.textfile import NotText, TextFile, decode, new_text
from gearshift.errors import EditError


@dataclass(frozen=True)
class FileChange:
    path: str  # relative to the repository, with forward slashes
    target: Path
    before: bytes | None  # None: the file is created
    after: bytes
    added: int
    removed: int

    @property
    def created(self) -> bool:
        return self.before is None


def apply_edit_blocks(root: Path, blocks: list[EditBlock], *, check: bool = False) -> list[str]:
    """Apply every block or none (``check``: none, only see that all would apply); return the paths changed."""
    changes = plan_edits(root, blocks)
    if not check:
        write_changes(changes)
    return sorted(change.path for change in changes)


def plan_edits(root: Path, blocks: list[EditBlock]) -> list[FileChange]:
    """What every file becomes, checked against everything that could refuse it; nothing is written."""
    if not blocks:
        raise EditError(f"no edit blocks found; answer with blocks of the form 'path' then {SEARCH} ... {REPLACE}")
    problems: list[str] = []
    files: dict[object, _File] = {}
    order: list[tuple[EditBlock, object]] = []
    for block in blocks:
        try:
            target = confined_path(root, block.path)
        except EditError as exc:
            problems.append(f"{where(block)}: {exc.message}")
            continue
        key = _identity(target)
        if key not in files:
            files[key] = _File(str(PurePosixPath(block.path.replace("\\", "/"))), target)
        order.append((block, key))
    problems += refuse_unsafe_targets(root, sorted({f.path for f in files.values()}))
    if problems:
        raise EditError(joined(problems))  # nothing is even read when a path is refused
    unreadable: set[object] = set()
    for block, key in order:
        state = files[key]
        if key in unreadable:
            continue  # said once is enough
        try:
            state.load()
        except EditError as exc:
            problems.append(exc.message)
            unreadable.add(key)
            continue
        try:
            state.current = _apply_one(state.current, block)
        except EditError as exc:
            problems.append(exc.message)
    if problems:
        raise EditError(joined(problems))
    return [change for state in files.values() if (change := state.change()) is not None]


@dataclass
class _File:
    path: str
    target: Path
    loaded: bool = False
    original: bytes | None = None
    first: TextFile | None = None
    current: TextFile | None = None

    def load(self) -> None:
        if self.loaded:
            return
        self.loaded = True
        if not self.target.exists():
            return
        size = self.target.stat().st_size
        if size > MAX_FILE_BYTES:
            raise EditError(
                f"{shown(self.path)} has {size:,} bytes, over {MAX_FILE_BYTES:,}; it is not edited with blocks"
            )
        try:
            self.original = self.target.read_bytes()
            self.first = self.current = decode(self.original)
        except NotText as exc:
            raise EditError(f"{shown(self.path)} cannot be edited with blocks: {exc}") from None
        except OSError as exc:
            raise EditError(f"{shown(self.path)} cannot be read ({exc.strerror})") from None

    def change(self) -> FileChange | None:
        if self.current is None:
            return None
        after = self.current.encode()
        if after == self.original:
            return None
        before = self.first
        old = list(zip(before.lines, before.endings, strict=True)) if before else []
        new = list(zip(self.current.lines, self.current.endings, strict=True))
        added, removed = _counts(old, new)
        return FileChange(self.path, self.target, self.original, after, added, removed)


def edit_bytes(data: bytes | None, blocks: list[EditBlock]) -> bytes:
    """What one file's bytes become under ``blocks`` (``data`` None: it does not exist yet); the
    pure core of ``plan_edits``, without paths. Raises EditError, as plan_edits would."""
    text = None
    if data is not None:
        try:
            text = decode(data)
        except NotText as exc:
            raise EditError(f"the file cannot be edited with blocks: {exc}") from None
    for block in blocks:
        text = _apply_one(text, block)
    if text is None:
        raise EditError("no edit blocks found")
    return text.encode()


def _identity(target: Path) -> object:
    # two spellings of one existing file (case on a case-insensitive disk) must be one file here
    try:
        info = target.stat()
    except OSError:
        return str(target)
    return (info.st_dev, info.st_ino)


def _apply_one(text: TextFile | None, block: EditBlock) -> TextFile:
    problem = new_text(text, block.replace)
    if problem:
        raise EditError(f"{where(block)}: REPLACE cannot be written into the file: {problem}")
    replace = split_lines(block.replace)
    blank = text is None or not any(line.strip() for line in text.lines)
    # an empty SEARCH creates the file (or fills one with nothing in it); blank lines in SEARCH
    # are lines to find, unless there is no file to find them in
    if not block.search.strip() and (text is None or not text.lines or (blank and not block.search)):
        base = text or TextFile([], [], b"", "utf-8", escaped=False)
        return dataclasses.replace(base, lines=replace, endings=[base.newline] * len(replace))
    if not block.search.strip() and not blank:
        raise EditError(f"{where(block)}: the file already exists; to change it, SEARCH for the lines")
    if text is None:
        raise EditError(f"{where(block)}: the file does not exist; to create it, leave SEARCH empty")
    try:
        found = find_replacement(text.lines, split_lines(block.search), replace)
    except Ambiguous as exc:
        raise EditError(ambiguous(block, exc)) from None
    except Unclear as exc:
        raise EditError(unclear(text.lines, block, exc)) from None
    if found is None:
        raise EditError(no_match(text.lines, block))
    lines: list[str] = []
    endings: list[str] = []
    for piece in found.lines:
        if isinstance(piece, int):
            lines.append(text.lines[piece])
            endings.append(text.endings[piece] or text.newline)
        else:
            lines.append(piece)
            endings.append(text.newline)
    if found.end == len(text.lines) and text.endings and not text.endings[-1] and endings:
        endings[-1] = ""  # the file ended without a line break, and still does
    return dataclasses.replace(
        text,
        lines=text.lines[: found.start] + lines + text.lines[found.end :],
        endings=text.endings[: found.start] + endings + text.endings[found.end :],
    )


def _counts(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> tuple[int, int]:
    """Lines added and removed, as a diff would count them."""
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    old_mid, new_mid = old[head : len(old) - tail], new[head : len(new) - tail]
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_mid, new_mid, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed


def write_changes(changes: list[FileChange]) -> None:
    """Write each file atomically; if anything fails midway, put back every file as it was."""
    started: list[FileChange] = []
    made: list[Path] = []
    try:
        for change in changes:
            made += _make_parents(change.target.parent)
            started.append(change)  # before the write: a write cut short is undone too
            _replace(change.target, change.after)
    except BaseException as exc:
        left = _undo(started, made)
        if not isinstance(exc, OSError):
            raise
        name = shown(os.fsdecode(exc.filename)) if exc.filename else "a file"
        undone = "no file was changed" if not left else f"could not put back {', '.join(left)}"
        raise EditError(f"writing {name} failed ({exc.strerror}); {undone}") from None


def _make_parents(directory: Path) -> list[Path]:
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir()
    return missing[::-1]


def _replace(path: Path, data: bytes) -> None:
    """``path`` now holds ``data``, or is as it was: written beside it, then renamed over it."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    temporary = path.parent / f".gearshift-{secrets.token_hex(6)}.tmp"
    # a new file gets 0666 less the umask, as any editor would give it
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else 0o600)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _undo(started: list[FileChange], made: list[Path]) -> list[str]:
    left = []
    for change in reversed(started):
        try:
            if change.before is None:
                change.target.unlink(missing_ok=True)
            else:
                _replace(change.target, change.before)
        except OSError:
            left.append(shown(change.path))
    for directory in reversed(made):
        with contextlib.suppress(OSError):  # not empty: something else was put there meanwhile
            directory.rmdir()
    return left
