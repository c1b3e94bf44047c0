"""Which lines of a file a step sees: the whole of a small file; of a large one, the parts it needs.

The parts, most needed first: the lines a failure names; the definitions the step names in code,
whole (a class as its own lines with its members' signatures; one larger than half the budget as
its first and last lines, the step's words then finding the place inside); the sections and tests
it names in words; a changelog's head; the lines its code-like words and quotes are on (what they
define, to its end); the imports; definitions named in prose; the signatures around what was
picked and the file's last lines; an outline of the rest. They are taken in that order while the
budget lasts (gearshift.context.views). A large file in which the step names nothing is shown
whole when it fits: nothing tells where its edit goes; so is one the parts would nearly cover.
"""

from __future__ import annotations

import re

from gearshift.context.sections import changelog_head, is_changelog
from gearshift.context.step_terms import StepTerms
from gearshift.context.symbols import Symbol
from gearshift.context.tokens import TokenCounter
from gearshift.context.views import Piece, View, file_lines, fit_pieces

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
STATEMENT_LINES = 150  # what a word defines (a nested function, a value) is shown to its end, up to this
TAIL_LINES = 3  # a file's last lines: where new tests and entries are appended
ALMOST_WHOLE = 0.7  # a view of this share of a file's lines is shown whole instead
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_IMPORT = re.compile(r"(?:import\b|from\s+\S+\s+import\b|export\s.*\sfrom\s|#include\b|use\s|package\s|require\()")
IMPORT_LINES = 150  # imports are looked for this far down


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
    view = fit_pieces(lines, pieces, budget, counter)
    shown = sum(last - first + 1 for first, last in view.ranges)
    if shown >= len(lines) * ALMOST_WHOLE and total <= budget:  # numbered, most of a file costs more than all of it
        return View(True, ((1, len(lines)),))
    return view


def _pieces(
    path: str, lines: list[str], symbols: list[Symbol], terms: StepTerms, focus: tuple[int, ...]
) -> list[Piece]:
    n = len(lines)
    parent = _parents(symbols)
    names = {s.name for s in symbols}
    pieces: list[Piece] = []
    picked: list[Symbol] = []
    for line in sorted(set(focus)):
        if 1 <= line <= n:
            around = [s for s in symbols if s.line <= line <= s.end_line and s.kind != "section"]
            inner = min(around, key=_size, default=None)
            if inner is not None and _size(inner) <= FOCUS_SYMBOL_LINES:
                pieces.append(Piece(0, _with_owners(inner, parent, lines), True))
                picked.append(inner)
            else:
                pieces.append(Piece(0, ((max(1, line - FOCUS_WINDOW), min(n, line + FOCUS_WINDOW)),), True))
    strong, weak = [], []
    said = terms.text.lower()
    for symbol in symbols:
        owner = parent.get(symbol)
        name = symbol.name.lstrip("#")  # a JS/TS private member (#delay) is named without its mark
        placed = owner is not None and (owner.name, name) in terms.qualified
        free = any(member == name and o not in names for o, member in terms.qualified)
        # a section's title or a test's description ('retries on 408') is named by being quoted or written out
        written = len(name) >= 3 and name.lower() in said
        phrase = written and not _IDENTIFIER.fullmatch(name)
        if symbol.kind == "section":
            if written:
                pieces.append(Piece(1, ((symbol.line, min(symbol.end_line, symbol.line + SECTION_LINES)),), True))
                picked.append(symbol)
        elif placed or free or phrase or name in terms.strong:
            strong.append(symbol)
        elif name in terms.weak:
            weak.append(symbol)
    for symbol in sorted(strong, key=_size):  # the smallest first: a budget cut keeps more of them
        ends = ((_lead(lines, symbol.line), symbol.line), (symbol.end_line, symbol.end_line))
        skeleton = (*ends, *_signature_lines(_owners(symbol, parent)))
        pieces.append(Piece(1, _own_lines(symbol, symbols, parent, lines), True, skeleton))
        picked.append(symbol)
    if is_changelog(path):
        pieces.append(Piece(1, ((1, changelog_head(lines)),), True))
    pieces.extend(_anchor_pieces(lines, terms, names, {s.line for s in symbols}))
    first = min((s.line for s in symbols if s.kind != "section"), default=1)
    head = min(HEAD_LINES, max(first - 1, 0) if first > 1 else (HEAD_LINES if not symbols else 0))
    if first > 1 and any(s.kind != "section" for s in symbols):  # code: all of its imports, however many
        head = max(head, _imports_end(lines[: first - 1]))
    if head:
        pieces.append(Piece(3, ((1, min(n, head)),), False))
    for symbol in sorted(weak, key=_size):
        whole = _size(symbol) <= WEAK_SYMBOL_LINES
        ranges = _with_owners(symbol, parent, lines) if whole else _signature_lines([symbol, *_owners(symbol, parent)])
        pieces.append(Piece(4, ranges, False))
        picked.append(symbol)
    neighbours = [s for p in picked for s in _siblings(p, symbols, parent) if s not in picked]
    if neighbours:
        pieces.append(Piece(5, _signature_lines(neighbours), False))
    pieces.append(Piece(5, ((max(1, n - TAIL_LINES + 1), n),), False))
    anchors = [p.ranges[0][0] for p in pieces if p.targeted] or [1]
    rest = [s for s in symbols if s not in picked and s not in neighbours]
    rest.sort(key=lambda s: min(abs(s.line - a) for a in anchors))
    for start in range(0, min(len(rest), OUTLINE_LINES), 10):  # in batches: nearest first
        pieces.append(Piece(6, _signature_lines(rest[start : min(start + 10, OUTLINE_LINES)]), False))
    if all(s.kind == "section" for s in symbols):  # a document may take new lines at its end
        pieces.append(Piece(7, ((max(1, n - 20), n),), False))
    return sorted(pieces, key=lambda p: p.rank)


def _anchor_pieces(lines: list[str], terms: StepTerms, names: set[str], starts: set[int]) -> list[Piece]:
    pieces = []
    for anchor in terms.anchors:
        if re.fullmatch(r"[\w$]+", anchor):
            word = re.escape(anchor)
            pattern = re.compile(rf"(?<![\w$]){word}(?![\w$])")
            defines = re.compile(  # def name, const name =, name: ..., "name": ..., name = ...; not a call
                rf"\b(?:def|function|func|class|const|let|var|type|interface|struct)\s+{word}\b"
                rf"|(?<![\w$.]){word}[?!]?\s*(?::(?!:)|=(?![=>]))|[\"']{word}[\"']\s*:|^\s*{word}\s*\(\)\s*\{{"
            )
        else:
            pattern = defines = re.compile(re.escape(anchor))
        hits = [i + 1 for i, line in enumerate(lines) if pattern.search(line)]
        defined = anchor in names  # a definition's name: the definition is shown; here only its overloads
        if defined and anchor not in terms.strong:
            continue  # written Owner.member: the definition under that owner is the place
        if defined:  # its other definitions: an overload, a value of the same name as a type (TypeScript)
            hits = [hit for hit in hits if defines.search(lines[hit - 1]) and hit not in starts]
        if not hits:
            continue
        hits.sort(key=lambda ln: (not defines.search(lines[ln - 1]), ln))
        n = len(lines)
        ranges = []
        for hit in sorted(hits[:ANCHOR_HITS]):
            last = _statement(lines, hit) if defines.search(lines[hit - 1]) else hit
            ranges.append((max(1, hit - ANCHOR_WINDOW), min(n, last + ANCHOR_WINDOW)))
        pieces.append(Piece(2, tuple(ranges), True))
    return pieces


def _imports_end(lines: list[str]) -> int:
    """The last line of the imports at the top of a file (0 if none), however many there are."""
    end = 0
    in_block = False
    for number, line in enumerate(lines[:IMPORT_LINES], start=1):
        text = line.strip()
        if in_block:  # a Go import ( ... ) block
            end = number
            in_block = text != ")"
        elif _IMPORT.match(text):
            end = number
            in_block = text.endswith("(") and text.startswith("import")
        elif text.startswith(("}", ")")) and " from " in f" {text} ":  # the end of a multi-line import
            end = number
    return end


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
