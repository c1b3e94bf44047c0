"""Why a block was refused, in words fit to send back to the model: bounded, and never quoting
a secret-looking file."""

from __future__ import annotations

import difflib

from gearshift.context.files import is_secret
from gearshift.edits.bounds import quoted_lines, shown
from gearshift.edits.locate import Ambiguous, Level, keys, segments
from gearshift.edits.parse import EditBlock, split_lines
from gearshift.edits.rewrite import Unclear

MAX_NEAREST_SEARCH = 4000  # SEARCH lines beyond this are not used to look for the nearest lines
MAX_TIED = 8  # equally good windows compared by their text
MAX_COMPARED = 800  # characters of each compared


def where(block: EditBlock) -> str:
    return f"the block at line {block.line} ({shown(block.path)})"


def no_match(file: list[str], block: EditBlock) -> str:
    head = f"{where(block)}: SEARCH does not match the file"
    if is_secret(block.path):
        return f"{head}; it looks like a secrets file, so its lines are not quoted"
    at, size, agree = nearest(file, split_lines(block.search))
    if agree == 0:
        return f"{head}, and no line of it is in the file; copy the lines exactly as they are in the file"
    return (
        f"{head}; the nearest lines are {at + 1}-{at + size} ({agree} of {size} lines alike):\n"
        f"{quoted_lines(file[at : at + size], at + 1)}\n"
        "copy the lines exactly as they are in the file"
    )


def ambiguous(block: EditBlock, error: Ambiguous) -> str:
    lines = ", ".join(str(start + 1) for start in error.starts)
    approx = "nearly " if error.level == Level.SLIP else ""
    what = "SEARCH" if error.parts == 1 else f"part {error.part + 1} of SEARCH's {error.parts} (between `...` lines)"
    return (
        f"{where(block)}: {what} starting {shown(error.first, 60)} {approx}matches more than one place"
        f" (lines {lines}…); include more lines to make it unique"
    )


def unclear(file: list[str], block: EditBlock, error: Unclear) -> str:
    text = f"{where(block)}: {error.reason}"
    if error.at is not None and not is_secret(block.path):
        text += f"; the file's line {error.at + 1} is:\n{quoted_lines([file[error.at]], error.at + 1)}"
    return text


def nearest(file: list[str], search: list[str]) -> tuple[int, int, int]:
    """The window of the file most like SEARCH: (start, size, lines alike).

    Windows are ranked by the lines they share with SEARCH, in one pass; a tie among the best
    few is broken by how alike their text is.
    """
    wanted = [key for part in segments(search[:MAX_NEAREST_SEARCH]) for key in keys(part, Level.INDENT)]
    size = max(1, min(len(wanted), len(file)))
    present = {key for key in wanted if key}
    hits = [1 if key and key in present else 0 for key in keys(file, Level.INDENT)]
    scores = [sum(hits[:size])]
    for start in range(1, len(file) - size + 1):
        scores.append(scores[-1] + hits[start + size - 1] - hits[start - 1])
    best = max(scores)
    if best == 0:
        return 0, size, 0
    tied = [start for start, score in enumerate(scores) if score == best][:MAX_TIED]
    target = "\n".join(wanted)[:MAX_COMPARED]

    def alike(start: int) -> float:
        window = "\n".join(line.strip() for line in file[start : start + size])[:MAX_COMPARED]
        return difflib.SequenceMatcher(None, window, target, autojunk=False).ratio()

    return max(tied, key=alike) if len(tied) > 1 else tied[0], size, best
