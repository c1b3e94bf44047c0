"""The repository map: files ranked by relevance to a task (context.ranking), each with its key
symbols, within a token budget.

What a planner reads, best first: each file's path and its symbols while the budget allows (no
file's symbols take more than a share of it, smaller for files further down, so that a map keeps
room for many files), a line
saying how many symbols a cut left out, and the class attributes and module constants the task
names. Data, lock and media files are not in the map at all (files.left_out_of_map); documents
that score low are counted per directory instead of listed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gearshift.context import maptext
from gearshift.context.index import IndexedFile, RepoIndex
from gearshift.context.ranking import Weights, rank, recent_changes
from gearshift.context.symbols import ASSIGNMENTS
from gearshift.context.tokens import uses_o200k
from gearshift.context.words import words

__all__ = ["RankedFile", "RepoMap", "Weights", "build_map", "rank", "recent_changes"]

WINDOW = 400  # files considered for a map; past these, scores are too low to earn a place
# Of the budget, the most the first file's symbols may take; the n-th file's share is this over
# 1 + n/4 (a half for the fifth file, a sixth for the twenty-first): the best files are shown whole.
FILE_SHARE = 0.25
# A document (not code) scoring under this is counted in its directory, not listed. Scores are sums
# of signals scaled to the repository's best (ranking.py): 0.3 is a strong match for a document.
COLLAPSE_BELOW = 0.3
MAX_DIRECTORIES = 12
_CLASS_LIKE = ("class", "interface", "struct", "trait", "type", "enum")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class RankedFile:
    path: str
    score: float
    tokens: int = 0
    symbols: list[dict[str, Any]] = field(default_factory=list)
    more: int = 0  # symbols the budget left out

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "score": round(self.score, 4),
            "tokens": self.tokens,
            "symbols": [{k: v for k, v in s.items() if k != "words"} for s in self.symbols],
            "more_symbols": self.more,
        }

    def render(self) -> str:
        lines = [maptext.path_line(self.path), *(maptext.symbol_line(s) for s in self.symbols)]
        if self.more:
            lines.append(maptext.more_line(self.more))
        return "".join(lines)


@dataclass
class RepoMap:
    task: str
    budget: int
    tokens: int
    exact_tokens: bool
    files: list[RankedFile]
    collapsed: list[tuple[str, int]] = field(default_factory=list)  # (directory, files) counted, not listed

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "budget": self.budget,
            "tokens": self.tokens,
            "tokens_exact": self.exact_tokens,
            "files": [f.to_json() for f in self.files],
            "collapsed": [{"directory": maptext.directory_head(d), "files": n} for d, n in self.collapsed],
        }

    def render(self) -> str:
        listed = "".join(f.render() for f in self.files)
        counted = "".join(maptext.directory_head(d) + maptext.directory_tail(n) for d, n in self.collapsed)
        return listed + counted


def build_map(
    root: Path,
    task: str,
    *,
    cache_path: Path,
    budget: int = 8192,
    top: int | None = None,
    model: str = "gpt-5.4",
    weights: Weights | None = None,
) -> RepoMap:
    """The files that matter for ``task``, best first, with their symbols, within ``budget`` tokens.

    With ``top``, the ``top`` best files with all their symbols, whatever the budget.
    """
    index = RepoIndex(root, cache_path, count_tokens=uses_o200k(model))
    try:
        files = index.refresh()
        ranked = rank(index, files, task, history=recent_changes(root), weights=weights)
        return _layout(index, files, ranked, task, budget=budget, top=top, model=model)
    finally:
        index.close()


def _layout(
    index: RepoIndex,
    files: list[IndexedFile],
    ranked: list[tuple[str, float]],
    task: str,
    *,
    budget: int,
    top: int | None,
    model: str,
) -> RepoMap:
    counter = maptext.LineCounter(index, model)
    by_path = {f.path: f for f in files}
    window = ranked[: top if top is not None else WINDOW]
    if top is None:
        low = [p for p, s in window if not by_path[p].language and s < COLLAPSE_BELOW]
        collapsed, used, counted = _collapsed(low, counter, budget)
        listed = [(p, s) for p, s in window if p not in counted]
    else:
        listed, collapsed, used = window, [], 0
    terms = set(words(task))
    chosen: list[RankedFile] = []
    symbols: dict[str, list[dict[str, Any]]] = {}
    for position, (path, score) in enumerate(listed):
        if position % 40 == 0:  # symbols are read in batches, only as far as the map gets
            batch = [by_path[p].digest for p, _ in listed[position : position + 40]]
            symbols.update(index.symbols([d for d in batch if d]))
            counter.prepare(_lines(listed[position : position + 40], by_path, symbols, terms))
        path_cost = counter.count(maptext.path_line(path))
        if top is None and used + path_cost > budget:
            break
        candidates = _candidates(symbols.get(by_path[path].digest or "", []), terms)
        share = int(budget * FILE_SHARE / (1 + len(chosen) / 4))
        room = None if top is not None else min(share, budget - used - path_cost)
        entry = _entry(path, score, candidates, task, terms, counter, room)
        if entry is None:  # not even the line saying what was left out fits: the map is full
            break
        entry.tokens += path_cost
        chosen.append(entry)
        used += entry.tokens
    return RepoMap(task, budget, used, counter.exact and counter.o200k, chosen, collapsed)


def _collapsed(
    paths: list[str], counter: maptext.LineCounter, budget: int
) -> tuple[list[tuple[str, int]], int, set[str]]:
    """Documents counted per directory, two levels deep (one, when that gives too many lines), within a
    twentieth of the budget: the lines, what they cost, and the files they count. A directory with one
    such file keeps it listed: its path says more than a count, for as many tokens."""
    groups: dict[str, list[str]] = {}
    for depth in (2, 1):
        groups = {}
        for path in paths:
            groups.setdefault(maptext.directory_of(path, depth), []).append(path)
        if sum(len(members) > 1 for members in groups.values()) <= MAX_DIRECTORIES:
            break
    lines: list[tuple[str, int]] = []
    counted: set[str] = set()
    used = 0
    for directory, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if len(members) < 2 or len(lines) == MAX_DIRECTORIES:
            continue
        cost = counter.directory(directory, len(members))
        if used + cost > budget // 20:
            break
        lines.append((directory, len(members)))
        counted.update(members)
        used += cost
    return sorted(lines), used, counted


def _candidates(symbols: list[dict[str, Any]], terms: set[str]) -> list[dict[str, Any]]:
    """The symbols a map may show of a file: every definition, and the assignments the task names.

    An assignment is named when its name shares a word with the task, or its value shares two
    (a value's single common word, like 'name' or 'path', says little).
    """
    wanted = min(2, len(terms)) or 1
    return [
        s
        for s in symbols
        if s["kind"] not in ASSIGNMENTS
        or terms.intersection(words(s["name"]))
        or len(terms.intersection(s.get("words", ()))) >= wanted
    ]


def _entry(
    path: str,
    score: float,
    candidates: list[dict[str, Any]],
    task: str,
    terms: set[str],
    counter: maptext.LineCounter,
    room: int | None,
) -> RankedFile | None:
    """A file's symbols, all of them if ``room`` allows (None: no limit), else those the task names
    first (by name, then by the most words in common), then classes, then the rest in order, with a
    line saying how many were left out; None if not even that line fits."""
    costs = [counter.count(maptext.symbol_line(s)) for s in candidates]
    if room is None or sum(costs) <= room:
        return RankedFile(path, score, sum(costs), candidates)
    written = set(_IDENTIFIER.findall(task))

    def priority(position: int) -> tuple[bool, int, bool, int]:
        symbol = candidates[position]
        shared = len(terms.intersection(words(symbol["name"])))
        return (symbol["name"] not in written, -shared, symbol["kind"] not in _CLASS_LIKE, position)

    limit = room - counter.count(maptext.more_line(len(candidates)))
    if limit < 0:
        return None
    taken: list[int] = []
    used = 0
    for position in sorted(range(len(candidates)), key=priority):
        if used + costs[position] <= limit:
            taken.append(position)
            used += costs[position]
    taken.sort()
    more = len(candidates) - len(taken)
    used += counter.count(maptext.more_line(more))
    return RankedFile(path, score, used, [candidates[i] for i in taken], more)


def _lines(
    batch: list[tuple[str, float]],
    by_path: Mapping[str, IndexedFile],
    symbols: Mapping[str, list[dict[str, Any]]],
    terms: set[str],
) -> list[str]:
    """Every line a batch of files could put in the map, to count (or look up) in one go."""
    lines = []
    for path, _ in batch:
        lines.append(maptext.path_line(path))
        for symbol in _candidates(symbols.get(by_path[path].digest or "", []), terms):
            lines.append(maptext.symbol_line(symbol))
    return lines
