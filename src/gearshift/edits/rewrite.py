"""What the matched lines become: the change SEARCH -> REPLACE, carried onto the file's own lines.

Lines that REPLACE keeps from SEARCH stay as the file has them (its indentation, its trailing
whitespace, its spelling where SEARCH slipped); only the lines REPLACE adds are written, shifted
by the difference between SEARCH's indentation and the file's. The shift is worked out line by
line and must be one shift for the whole block, or one for the first line (models often drop
its indentation) and one for the rest; anything else is refused, never flattened.
"""

from __future__ import annotations

from dataclasses import dataclass

from gearshift.edits.diff import Opcode, opcodes
from gearshift.edits.locate import Level, Placement

Shift = tuple[str, str]  # (remove, add): what comes off the start of a model's indentation, what goes on
NO_SHIFT: Shift = ("", "")


@dataclass(frozen=True)
class Replacement:
    start: int  # the file's lines [start, end) are replaced
    end: int
    lines: list[int | str]  # an int keeps that line of the file as it is; a str is a new line


class Unclear(Exception):
    """SEARCH was found, but what REPLACE means there is not certain."""

    def __init__(self, reason: str, at: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.at = at  # the file line it is about, if any


def indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def shift_between(model: str, file: str) -> Shift | None:
    """The shift that turns the indentation ``model`` into ``file``; None if it is not a pure shift."""
    if file.endswith(model):
        return ("", file[: len(file) - len(model)])
    if model.endswith(file):
        return (model[: len(model) - len(file)], "")
    return None  # e.g. tabs against spaces


def rewrite(file: list[str], search: list[list[str]], replace: list[list[str]], placement: Placement) -> Replacement:
    level = placement.level
    # the indentation is read off the parts that fit in one place only: the others may be anywhere
    pairs = [
        (s, file[start + offset])
        for part, start, fixed in zip(search, placement.starts, placement.fixed, strict=True)
        if fixed
        for offset, s in enumerate(part)
    ]
    head = _first_solid(search[:1]) if placement.fixed[0] else None  # SEARCH's first line, if its place is sure
    block, first = _shifts(pairs, replace, level, head is not None)
    codes = [opcodes(part, new) for part, new in zip(search, replace, strict=True)]
    # the REPLACE line that stands for SEARCH's first line is off by the same shift as that line
    stand_in = _stand_in(search, replace, codes[0], head) if first != block and head is not None else None

    def render(line: str, at: tuple[int, int]) -> str:
        remove, add = first if at == stand_in else block
        if level == Level.EXACT or not line:
            return line
        if not line.strip():
            return add + line[len(remove) :] if line.startswith(remove) else line
        if not line.startswith(remove):
            raise Unclear(f"a REPLACE line is indented less than SEARCH's lines allow: {line.strip()[:60]!r}")
        return add + line[len(remove) :]

    out: list[int | str] = []
    for i, (part, start) in enumerate(zip(search, placement.starts, strict=True)):
        slips = placement.slips[i] if placement.slips else frozenset()
        # a line REPLACE has exactly as SEARCH has it is kept as the file has it
        for tag, i1, i2, j1, j2 in codes[i]:
            if tag == "equal":
                out.extend(range(start + i1, start + i2))
                continue
            changed = sorted(slips.intersection(range(i1, i2)))
            if changed:
                raise Unclear(
                    "a SEARCH line that REPLACE changes differs from the file's line; copy it exactly",
                    at=start + changed[0],
                )
            out.extend(render(replace[i][j], (i, j)) for j in range(j1, j2))
        if i + 1 < len(search):
            out.extend(range(start + len(part), placement.starts[i + 1]))  # the lines a `...` stands for
    end = placement.starts[-1] + len(search[-1])
    return Replacement(placement.starts[0], end, out)


def _stand_in(
    search: list[list[str]], replace: list[list[str]], codes: list[Opcode], head: tuple[int, int]
) -> tuple[int, int] | None:
    """The first REPLACE line written in place of SEARCH's first line, when it is indented as that line
    is in SEARCH: a model that dropped the indentation of one dropped it of the other."""
    _, row = head
    for tag, i1, i2, j1, j2 in codes:
        if tag in ("replace", "delete", "insert") and i1 <= row < i2:
            for j in range(j1, j2):
                if replace[0][j].strip():
                    same = indent(replace[0][j]) == indent(search[0][row])
                    return (0, j) if same else None
    return None


def _first_solid(parts: list[list[str]]) -> tuple[int, int] | None:
    """Where the first line with more than whitespace is: (segment, line)."""
    for i, part in enumerate(parts):
        for j, line in enumerate(part):
            if line.strip():
                return i, j
    return None


def _shifts(
    pairs: list[tuple[str, str]], replace: list[list[str]], level: Level, first_known: bool
) -> tuple[Shift, Shift]:
    """The shift for the block and the one for SEARCH's first line (``first_known``: the first of ``pairs``)."""
    if level < Level.INDENT:
        return NO_SHIFT, NO_SHIFT
    shifts: list[Shift] = []
    for s, f in pairs:
        if s.strip():
            shift = shift_between(indent(s), indent(f))
            if shift is None:
                raise Unclear("SEARCH is indented with other characters than the file (tabs or spaces?)")
            shifts.append(shift)
    if not shifts:
        raise Unclear("SEARCH is indented unlike the file and has no line to tell by how much")
    rest = set(shifts[1:])
    # the one mistake forgiven in a single line is the first losing its indentation, the rest intact
    odd_first = bool(rest) and shifts[0] not in rest and (not first_known or rest != {NO_SHIFT})
    if len(rest) > 1 or odd_first:
        raise Unclear("SEARCH's lines are indented unlike the file's, each differently; copy their indentation")
    if rest:
        return rest.pop(), shifts[0]
    # one line to go by: it says how SEARCH is off, not whether REPLACE is off the same way
    if shifts[0] == NO_SHIFT:
        return NO_SHIFT, NO_SHIFT
    first_search = next(s for s, _ in pairs if s.strip())
    first_file = next(f for s, f in pairs if s.strip())
    new = [line for part in replace for line in part if line.strip() and line not in (s for s, _ in pairs)]
    first_replace = next((line for part in replace for line in part if line.strip()), None)
    if first_replace is None or indent(first_replace) == indent(first_search):
        if len(new) > 1:
            # the whole block shifted alike, or only its first line unindented: those put REPLACE's
            # other lines in different places, and one line of SEARCH cannot tell which
            raise Unclear("SEARCH has one line, indented unlike the file; quote a line more so its indentation tells")
        return shifts[0], shifts[0]
    if indent(first_replace) == indent(first_file):
        return NO_SHIFT, shifts[0]  # REPLACE has the file's indentation already
    raise Unclear("SEARCH has one line, indented unlike the file, and REPLACE is indented unlike either")
