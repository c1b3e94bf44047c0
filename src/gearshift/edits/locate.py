"""Where the lines of a SEARCH are in a file: pure functions over lists of lines.

A SEARCH may be cut by ``...`` lines into parts; the parts must appear in the file in order, a
line or more apart. Matching is tried at rising tolerance (exact, then ignoring whitespace at
line ends, then ignoring indentation, then allowing a slip of a character or two in a few lines)
and stops at the first level where anything fits. There, every part that REPLACE changes must
fit in exactly one place, or the block is refused as ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum

# `...`, or a comment of it: `# ...`, `// ... existing code ...` (words, if any, closed by dots again:
# `# ... see the docs` is a comment that happens to start with dots)
_ELISION = re.compile(
    r"(?:\.\.\.|…)"
    r"|(?:#|//|--|;|/\*|<!--)\s*(?:\.\.\.|…)(?:\s*[A-Za-z][A-Za-z ,'-]*?\s*(?:\.\.\.|…))?\s*(?:\*/|-->)?"
)
MAX_SLIP_LINE = 400  # longer lines must match as they are: comparing them char by char costs too much


class Level(IntEnum):
    EXACT = 0
    TRAILING = 1  # whitespace at the ends of lines differs
    INDENT = 2  # indentation differs too
    SLIP = 3  # and a few lines differ by a character or two


@dataclass(frozen=True)
class Placement:
    starts: list[int]  # where each segment starts in the file
    level: Level
    fixed: list[bool]  # per segment: it fits in one place only (else it keeps the file as it is anyway)
    slips: list[frozenset[int]] = field(default_factory=list)  # per segment: offsets of lines that differ


class Ambiguous(Exception):
    def __init__(self, starts: list[int], level: Level, part: int, parts: int) -> None:
        super().__init__(f"{len(starts)} places")
        self.starts = starts  # where a few of the places start
        self.level = level
        self.part = part  # which part of SEARCH (between `...` lines) fits in several places
        self.parts = parts
        self.first = ""  # its first line with more than whitespace


def is_elision(line: str) -> bool:
    return _ELISION.fullmatch(line.strip()) is not None


_DOTS_COMMENT = re.compile(r"(?:#|//|--|;|/\*|<!--)\s*(?:\.\.\.|…).*")


def looks_elided(line: str) -> bool:
    """A comment that starts with dots: ``# ... rest unchanged`` is how models elide, though a
    comment may also just continue the one above it."""
    return _DOTS_COMMENT.fullmatch(line.strip()) is not None


def segments(lines: list[str]) -> list[list[str]]:
    """``lines`` cut at elision lines; a run of them counts as one."""
    parts: list[list[str]] = [[]]
    for line in lines:
        if is_elision(line):
            if parts[-1] or len(parts) == 1:
                parts.append([])
        else:
            parts[-1].append(line)
    return parts


def keys(lines: list[str], level: Level) -> list[str]:
    if level == Level.EXACT:
        return lines
    if level == Level.TRAILING:
        return [line.rstrip() for line in lines]
    return [line.strip() for line in lines]


def place(
    file: list[str], parts: list[list[str]], changing: list[bool], *, close: bool = True, slip: bool = True
) -> Placement | None:
    """Where ``parts`` go in ``file``, at the lowest level where they fit at all; None when they never do.

    ``changing`` says which parts REPLACE changes. A part that changes must fit in exactly one
    place (else Ambiguous); a part kept as it is may fit in several, since wherever it is, its
    lines and the elided ones around it are all kept. ``close``: try the levels up to INDENT;
    ``slip``: try SLIP.
    """
    sizes = [len(part) for part in parts]
    for level in (Level.EXACT, Level.TRAILING, Level.INDENT) if close else ():
        file_keys = keys(file, level)
        index: dict[str, list[int]] = {}
        for number, key in enumerate(file_keys):
            index.setdefault(key, []).append(number)
        places = [_places(file_keys, index, keys(part, level)) for part in parts]
        found = _chain(places, sizes, changing, level, parts)
        if found is not None:
            return Placement(found[0], level, found[1], [frozenset() for _ in parts])
    if not slip:
        return None
    file_keys = keys(file, Level.SLIP)
    slipped = [_slip_places(file_keys, keys(part, Level.SLIP)) for part in parts]
    found = _chain([sorted(s) for s in slipped], sizes, changing, Level.SLIP, parts)
    if found is None:
        return None
    starts, fixed = found
    return Placement(starts, Level.SLIP, fixed, [slipped[i][start] for i, start in enumerate(starts)])


def _places(file_keys: list[str], index: dict[str, list[int]], part: list[str]) -> list[int]:
    # anchor on the part's rarest line, so a blank first line does not mean a scan of every blank line
    anchor = min(range(len(part)), key=lambda j: len(index.get(part[j], ())))
    size = len(part)
    found = []
    for at in index.get(part[anchor], ()):
        start = at - anchor
        if start >= 0 and start + size <= len(file_keys) and file_keys[start : start + size] == part:
            found.append(start)
    return found


def _slip_places(file_keys: list[str], part: list[str]) -> dict[int, frozenset[int]]:
    """Starts where ``part`` fits but for a few slipped lines, with the offsets of those lines."""
    solid = sum(1 for line in part if line)
    allowed = 1 + solid // 8
    found: dict[int, frozenset[int]] = {}
    for start in range(len(file_keys) - len(part) + 1):
        slips: list[int] = []
        for offset, wanted in enumerate(part):
            if file_keys[start + offset] != wanted:
                slips.append(offset)
                if len(slips) > allowed:
                    break
        if len(slips) > allowed:
            continue
        if slips and solid - len(slips) < max(2, 2 * len(slips)):
            continue  # too little of the part is certain to call the rest a slip
        if all(_near(file_keys[start + o], part[o]) for o in slips):
            found[start] = frozenset(slips)
    return found


def _near(a: str, b: str) -> bool:
    """Whether two non-empty lines differ by a slip: one edit (two for long lines)."""
    if not a or not b or max(len(a), len(b)) > MAX_SLIP_LINE:
        return False
    limit = 1 if min(len(a), len(b)) < 50 else 2
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def _chain(
    places: list[list[int]], sizes: list[int], changing: list[bool], level: Level, parts: list[list[str]]
) -> tuple[list[int], list[bool]] | None:
    """One way to put every part after the one before, at least a line apart (a `...` stands for
    one line or more), and which parts have only one place in any such way; None if there is no way."""
    if any(not p for p in places):
        return None
    count = len(places)
    reach = [places[0]]  # starts a part can have after some placement of the parts before it
    for i in range(1, count):
        earliest = reach[-1][0] + sizes[i - 1] + 1 if reach[-1] else None
        reach.append([s for s in places[i] if earliest is not None and s >= earliest])
    if not reach[-1]:
        return None
    valid: list[list[int]] = [[] for _ in places]
    valid[-1] = reach[-1]
    for i in range(count - 2, -1, -1):  # and that the parts after it can follow
        latest = valid[i + 1][-1] - 1 - sizes[i]
        valid[i] = [s for s in reach[i] if s <= latest]
    for i in range(count):
        if changing[i] and len(valid[i]) > 1:
            ambiguous = Ambiguous(valid[i][:5], level, i, count)
            ambiguous.first = next((line.strip() for line in parts[i] if line.strip()), "")
            raise ambiguous
    chain = [valid[0][0]]
    for i in range(1, count):
        chain.append(next(s for s in valid[i] if s >= chain[-1] + sizes[i - 1] + 1))
    return chain, [len(v) == 1 for v in valid]
