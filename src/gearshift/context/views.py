"""A view of a file: the line ranges shown, how they are chosen within a budget, and how they are shown.

A view takes the parts a step needs in their order while its estimate (each line's tokens, with
its number, and a marker for each gap) stays within the budget; the rendering is then counted,
and the last parts dropped while it does not fit. A whole file is shown as it is; parts are
numbered (`  42 | code`), the lines between marked (`… lines 43-120 not shown …`).
"""

from __future__ import annotations

from dataclasses import dataclass

from gearshift.context.tokens import TokenCounter

GAP_FILL = 2  # a gap this small is shown rather than marked: the marker costs as much
MARKER_TOKENS = 14


@dataclass(frozen=True)
class View:
    whole: bool
    ranges: tuple[tuple[int, int], ...]  # 1-based, inclusive, sorted, apart
    cut: bool = False  # some part the step needed did not fit the budget


@dataclass(frozen=True)
class Piece:
    rank: int
    ranges: tuple[tuple[int, int], ...]
    targeted: bool  # says where the edit goes, rather than giving bearings
    skeleton: tuple[tuple[int, int], ...] = ()  # instead, when the piece would take over half the budget


def file_lines(text: str) -> list[str]:
    """A file's lines as git and tracebacks number them: split at newlines only."""
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def fit_pieces(lines: list[str], pieces: list[Piece], budget: int, counter: TokenCounter) -> View:
    """Take the pieces in order while the estimate stays in ``budget``; then check by counting."""
    width = len(str(len(lines)))
    prefix = counter.count(f"{len(lines):>{width}} | ")
    costs = [counter.count(line) + prefix for line in lines]
    history = [[False] * len(lines)]  # what is shown after each piece taken
    cut = False
    for piece in pieces:
        if piece.skeleton and _estimate(_marked([False] * len(lines), piece.ranges), costs) > budget // 2:
            cut = True  # a definition too large to show whole: its ends; the step's words find the place inside
            piece = Piece(piece.rank, piece.skeleton, piece.targeted)
        trial = _marked(history[-1], piece.ranges)
        if _estimate(trial, costs) <= budget:
            history.append(trial)
        elif piece.targeted:  # what the step needs and cannot have whole: as much of its start as fits
            cut = True
            partial = _partial(history[-1], piece, costs, budget)
            if partial != history[-1]:
                history.append(partial)
    view = View(False, _ranges(_fill_gaps(history[-1], costs, budget)), cut)
    while len(history) > 1 and counter.count(render_view(lines, view)) > budget:  # the estimate was short
        history.pop()
        view = View(False, _ranges(history[-1]), True)
    return view


def _marked(keep: list[bool], ranges: tuple[tuple[int, int], ...]) -> list[bool]:
    marked = list(keep)
    for first, last in ranges:
        marked[first - 1 : last] = [True] * (last - first + 1)
    return marked


def _partial(keep: list[bool], piece: Piece, costs: list[int], budget: int) -> list[bool]:
    trial = list(keep)
    for first, last in piece.ranges:
        for index in range(first - 1, last):
            if trial[index]:
                continue
            trial[index] = True
            if _estimate(trial, costs) > budget:
                trial[index] = False
                return trial
    return trial


def _estimate(keep: list[bool], costs: list[int]) -> int:
    markers = sum(1 for i, k in enumerate(keep) if not k and (i == 0 or keep[i - 1]))
    return sum(c for c, k in zip(costs, keep, strict=True) if k) + markers * MARKER_TOKENS


def _fill_gaps(keep: list[bool], costs: list[int], budget: int) -> list[bool]:
    filled = list(keep)
    index = 0
    while index < len(filled):
        if filled[index]:
            index += 1
            continue
        end = index
        while end < len(filled) and not filled[end]:
            end += 1
        if index > 0 and end < len(filled) and end - index <= GAP_FILL:
            trial = filled[:index] + [True] * (end - index) + filled[end:]
            if _estimate(trial, costs) <= budget:
                filled = trial
        index = end
    return filled


def _ranges(keep: list[bool]) -> tuple[tuple[int, int], ...]:
    ranges: list[tuple[int, int]] = []
    for index, shown in enumerate(keep, start=1):
        if not shown:
            continue
        if ranges and ranges[-1][1] == index - 1:
            ranges[-1] = (ranges[-1][0], index)
        else:
            ranges.append((index, index))
    return tuple(ranges)


def render_view(lines: list[str], view: View) -> str:
    """The lines shown: a whole file as it is; parts numbered (`  42 | code`), with the gaps marked."""
    if view.whole:
        return "".join(line + "\n" for line in lines)
    width = len(str(len(lines)))
    out: list[str] = []
    after = 0
    for first, last in view.ranges:
        if first > after + 1:
            out.append(f"… lines {after + 1}-{first - 1} not shown …\n")
        out.extend(f"{number:>{width}} | {lines[number - 1]}\n" for number in range(first, last + 1))
        after = last
    if after < len(lines):
        out.append(f"… lines {after + 1}-{len(lines)} not shown …\n")
    return "".join(out)
