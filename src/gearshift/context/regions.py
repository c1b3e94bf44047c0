"""Which lines of a file a step sees: the whole of a small file; of a large one, the parts it needs.

The parts, most needed first: the lines a failure names (focus), the definitions the step names in
code (a class as its own lines with its members' signatures), the sections it names, a changelog's
head, the lines its code-like words and quotes are on, the file's head (imports), the definitions
prose words name, the signatures around what was picked, then an outline of the rest. They are
taken in that order while the budget lasts. A large file in which the step names nothing is shown
whole when it fits: nothing tells where its edit goes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gearshift.context.sections import changelog_head, is_changelog
from gearshift.context.step_terms import StepTerms
from gearshift.context.symbols import Symbol
from gearshift.context.tokens import TokenCounter

WHOLE_LINES = 300  # a file this short is shown whole when its share of the budget allows
SMALL_TOKENS = 2_000  # and so is one this light, however many lines it has
HEAD_LINES = 40  # the imports: up to the first definition, at most this many lines
FOCUS_SYMBOL_LINES = 80  # a failing line inside a definition this short shows the definition ...
FOCUS_WINDOW = 10  # ... else this many lines either side
WEAK_SYMBOL_LINES = 40  # a definition named in prose only is shown whole up to this size
SECTION_LINES = 120  # a named section of a document, at most
ANCHOR_WINDOW = 2  # lines either side of a line a quote or code-like word is on
ANCHOR_HITS = 5  # places shown per word: the first definitions and assignments, then the first uses
OUTLINE_LINES = 30  # signatures of the rest of the file, nearest first
LEAD_LINES = 200  # decorators (a test's parameters can be long) and comments above a definition belong to it
TRAIL_LINES = 2  # blank lines after a definition: where the next one would go
STATEMENT_LINES = 80  # an assignment a word defines is shown to its end, up to this many lines
GAP_FILL = 2  # a gap this small is shown rather than marked: the marker costs as much
MARKER_TOKENS = 14


@dataclass(frozen=True)
class View:
    whole: bool
    ranges: tuple[tuple[int, int], ...]  # 1-based, inclusive, sorted, apart
    cut: bool = False  # some part the step needed did not fit the budget


@dataclass(frozen=True)
class _Piece:
    rank: int
    ranges: tuple[tuple[int, int], ...]
    targeted: bool  # says where the edit goes, rather than giving bearings


def pick_view(
    path: str,
    text: str,
    symbols: list[Symbol],
    terms: StepTerms,
    budget: int,
    counter: TokenCounter,
    *,
    focus: tuple[int, ...] = (),
) -> View:
    """The lines of ``text`` (the file ``path``) the step should see, within ``budget`` tokens."""
    lines = file_lines(text)
    if not lines:
        return View(True, ())
    total = counter.count(text)
    if (len(lines) <= WHOLE_LINES or total <= SMALL_TOKENS) and total <= budget:
        return View(True, ((1, len(lines)),))
    pieces = _pieces(path, lines, symbols, terms, focus)
    if not any(p.targeted for p in pieces) and total <= budget:
        return View(True, ((1, len(lines)),))
    return _fit(lines, pieces, budget, counter)


def file_lines(text: str) -> list[str]:
    """A file's lines as git and tracebacks number them: split at newlines only."""
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _pieces(
    path: str, lines: list[str], symbols: list[Symbol], terms: StepTerms, focus: tuple[int, ...]
) -> list[_Piece]:
    n = len(lines)
    parent = _parents(symbols)
    names = {s.name for s in symbols}
    pieces: list[_Piece] = []
    picked: list[Symbol] = []
    for line in sorted(set(focus)):
        if 1 <= line <= n:
            around = [s for s in symbols if s.line <= line <= s.end_line and s.kind != "section"]
            inner = min(around, key=_size, default=None)
            if inner is not None and _size(inner) <= FOCUS_SYMBOL_LINES:
                pieces.append(_Piece(0, _with_owners(inner, parent, lines), True))
                picked.append(inner)
            else:
                pieces.append(_Piece(0, ((max(1, line - FOCUS_WINDOW), min(n, line + FOCUS_WINDOW)),), True))
    strong, weak = [], []
    for symbol in symbols:
        owner = parent.get(symbol)
        placed = owner is not None and (owner.name, symbol.name) in terms.qualified
        free = any(member == symbol.name and o not in names for o, member in terms.qualified)
        if symbol.kind == "section":
            if len(symbol.name) >= 3 and symbol.name.lower() in terms.text.lower():
                pieces.append(_Piece(1, ((symbol.line, min(symbol.end_line, symbol.line + SECTION_LINES)),), True))
                picked.append(symbol)
        elif placed or free or symbol.name in terms.strong:
            strong.append(symbol)
        elif symbol.name in terms.weak:
            weak.append(symbol)
    for symbol in sorted(strong, key=_size):  # the smallest first: a budget cut keeps more of them
        pieces.append(_Piece(1, _own_lines(symbol, symbols, parent, lines), True))
        picked.append(symbol)
    if is_changelog(path):
        pieces.append(_Piece(1, ((1, changelog_head(lines)),), True))
    pieces.extend(_anchor_pieces(lines, terms, names))
    first = min((s.line for s in symbols if s.kind != "section"), default=1)
    head = min(HEAD_LINES, max(first - 1, 0) if first > 1 else (HEAD_LINES if not symbols else 0))
    if head:
        pieces.append(_Piece(3, ((1, min(n, head)),), False))
    for symbol in sorted(weak, key=_size):
        whole = _size(symbol) <= WEAK_SYMBOL_LINES
        ranges = _with_owners(symbol, parent, lines) if whole else _signature_lines([symbol, *_owners(symbol, parent)])
        pieces.append(_Piece(4, ranges, False))
        picked.append(symbol)
    neighbours = [s for p in picked for s in _siblings(p, symbols, parent) if s not in picked]
    if neighbours:
        pieces.append(_Piece(5, _signature_lines(neighbours), False))
    anchors = [p.ranges[0][0] for p in pieces if p.targeted] or [1]
    rest = [s for s in symbols if s not in picked and s not in neighbours]
    rest.sort(key=lambda s: min(abs(s.line - a) for a in anchors))
    for start in range(0, min(len(rest), OUTLINE_LINES), 10):  # in batches: nearest first
        pieces.append(_Piece(6, _signature_lines(rest[start : min(start + 10, OUTLINE_LINES)]), False))
    if all(s.kind == "section" for s in symbols):  # a document may take new lines at its end
        pieces.append(_Piece(7, ((max(1, n - 20), n),), False))
    return sorted(pieces, key=lambda p: p.rank)


def _anchor_pieces(lines: list[str], terms: StepTerms, names: set[str]) -> list[_Piece]:
    pieces = []
    for anchor in terms.anchors:
        if anchor in names:
            continue  # a definition's name: the definition is the place, not every use
        if re.fullmatch(r"[\w$]+", anchor):
            pattern = re.compile(rf"(?<![\w$]){re.escape(anchor)}(?![\w$])")
            defines = re.compile(rf"(?<![\w$]){re.escape(anchor)}\s*[:=(]|[\"']{re.escape(anchor)}[\"']")
        else:
            pattern = defines = re.compile(re.escape(anchor))
        hits = [i + 1 for i, line in enumerate(lines) if pattern.search(line)]
        if not hits:
            continue
        hits.sort(key=lambda ln: (not defines.search(lines[ln - 1]), ln))
        n = len(lines)
        ranges = []
        for hit in sorted(hits[:ANCHOR_HITS]):
            last = _statement(lines, hit) if defines.search(lines[hit - 1]) else hit
            ranges.append((max(1, hit - ANCHOR_WINDOW), min(n, last + ANCHOR_WINDOW)))
        pieces.append(_Piece(2, tuple(ranges), True))
    return pieces


def _size(symbol: Symbol) -> int:
    return symbol.end_line - symbol.line + 1


def _parents(symbols: list[Symbol]) -> dict[Symbol, Symbol]:
    """Each definition's innermost enclosing definition (one of the same span is no parent)."""
    out: dict[Symbol, Symbol] = {}
    open_: list[Symbol] = []
    for symbol in sorted(symbols, key=lambda s: (s.line, -s.end_line)):
        while open_ and not (symbol.end_line <= open_[-1].end_line and _size(open_[-1]) > _size(symbol)):
            open_.pop()
        if open_:
            out[symbol] = open_[-1]
        open_.append(symbol)
    return out


def _owners(symbol: Symbol, parent: dict[Symbol, Symbol]) -> list[Symbol]:
    owners = []
    while symbol in parent:
        symbol = parent[symbol]
        owners.append(symbol)
    return owners


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _lead(lines: list[str], line: int) -> int:
    """The first line of a definition with the decorators (their arguments too) and comments above it."""
    indent = _indent(lines[line - 1])
    start = probe = line
    while probe > 1 and line - probe < LEAD_LINES:
        above = lines[probe - 2]
        stripped = above.strip()
        if not stripped:
            break
        deeper = _indent(above) > indent or stripped.startswith((")", "]", "}"))
        if not deeper and not stripped.startswith(("@", "#", "//", "*", "/*")):
            break
        probe -= 1
        if not deeper:  # a decorator or comment at the definition's own level: the block reaches it
            start = probe
    return start


def _after(lines: list[str], line: int) -> int:
    """The end of a definition with the blank lines after it, where a new one would go."""
    end = line
    while end < len(lines) and end - line < TRAIL_LINES and not lines[end].strip():
        end += 1
    return end


def _statement(lines: list[str], line: int) -> int:
    """The last line of the statement starting at ``line``: an assignment's value may span many lines."""
    indent = _indent(lines[line - 1])
    end = line
    for number in range(line + 1, min(len(lines), line + STATEMENT_LINES) + 1):
        text = lines[number - 1]
        if not text.strip():
            continue
        if _indent(text) <= indent and not text.strip().startswith((")", "]", "}")):
            break
        end = number
    return end


def _with_owners(symbol: Symbol, parent: dict[Symbol, Symbol], lines: list[str]) -> tuple[tuple[int, int], ...]:
    """A definition whole (and the line after it, where a new one would go), with its owners' signatures."""
    return ((_lead(lines, symbol.line), _after(lines, symbol.end_line)), *_signature_lines(_owners(symbol, parent)))


def _own_lines(
    symbol: Symbol, symbols: list[Symbol], parent: dict[Symbol, Symbol], lines: list[str]
) -> tuple[tuple[int, int], ...]:
    """A definition whole, or, when it holds others, its own lines with the signatures of those."""
    children = [s for s in symbols if parent.get(s) is symbol]
    if not children:
        return _with_owners(symbol, parent, lines)
    ranges: list[tuple[int, int]] = []
    start = _lead(lines, symbol.line)
    for child in children:  # in line order: symbols are sorted
        if child.line > start:
            ranges.append((start, child.line))  # up to and with the child's signature
        start = max(start, child.end_line + 1)
    end = _after(lines, symbol.end_line)
    if start <= end:
        ranges.append((start, end))
    return (*ranges, *_signature_lines(_owners(symbol, parent)))


def _signature_lines(symbols: list[Symbol]) -> tuple[tuple[int, int], ...]:
    return tuple((s.line, s.line) for s in symbols)


def _siblings(symbol: Symbol, symbols: list[Symbol], parent: dict[Symbol, Symbol]) -> list[Symbol]:
    """The definitions right before and after ``symbol`` at its level."""
    level = [s for s in symbols if parent.get(s) is parent.get(symbol)]
    at = level.index(symbol)
    return level[max(0, at - 1) : at] + level[at + 1 : at + 2]


def _fit(lines: list[str], pieces: list[_Piece], budget: int, counter: TokenCounter) -> View:
    """Take the pieces in order while the estimate stays in ``budget``; then check by counting."""
    width = len(str(len(lines)))
    prefix = counter.count(f"{len(lines):>{width}} | ")
    costs = [counter.count(line) + prefix for line in lines]
    history = [[False] * len(lines)]  # what is shown after each piece taken
    cut = False
    for piece in pieces:
        trial = list(history[-1])
        for first, last in piece.ranges:
            trial[first - 1 : last] = [True] * (last - first + 1)
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


def _partial(keep: list[bool], piece: _Piece, costs: list[int], budget: int) -> list[bool]:
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
