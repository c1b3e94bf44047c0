"""The repository map: files ranked by relevance to a task, each with its key symbols, in a budget.

Ranking (measured by bench/context_bench.py against BM25):
- lexical: BM25 of the task's words over each file's contents, its symbol names and its path;
- structure: a file imported by, or importing, strongly matching files shares some of their score;
- history: files changed often in recent commits are likelier to change again.
Each signal is scaled to 0..1 over the repository before the weights combine them.
"""

from __future__ import annotations

import math
import subprocess
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gearshift.context.index import SYMBOL_PREFIX, IndexedFile, RepoIndex, words
from gearshift.context.tokens import counter_for

K1, B = 1.2, 0.75


@dataclass(frozen=True)
class Weights:
    path: float = 3.0  # a path word counts as this many occurrences in the file (BM25F)
    symbols: float = 0.3
    neighbours: float = 0.15
    history: float = 0.25
    prose: float = 0.6  # documents (README, docs) rank below code: the map serves coding steps


@dataclass
class RankedFile:
    path: str
    score: float
    tokens: int = 0
    symbols: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "score": round(self.score, 4), "tokens": self.tokens, "symbols": self.symbols}


@dataclass
class RepoMap:
    task: str
    budget: int
    tokens: int
    exact_tokens: bool
    files: list[RankedFile]

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "budget": self.budget,
            "tokens": self.tokens,
            "tokens_exact": self.exact_tokens,
            "files": [f.to_json() for f in self.files],
        }

    def render(self) -> str:
        return "".join(render_entry(f.path, f.symbols) for f in self.files)


def render_entry(path: str, symbols: list[dict[str, Any]]) -> str:
    lines = [f"{path}\n"]
    for symbol in symbols:
        indent = "    " if symbol["kind"] == "method" else "  "
        lines.append(f"{indent}{symbol['signature']}  (line {symbol['line']})\n")
    return "".join(lines)


def key_symbols(symbols: list[dict[str, Any]], terms: set[str], limit: int = 12) -> list[dict[str, Any]]:
    """At most ``limit`` symbols of a file: those the task names first, then classes, then the rest."""
    if len(symbols) <= limit:
        return symbols

    def priority(item: tuple[int, dict[str, Any]]) -> tuple[int, int, int]:
        position, symbol = item
        named = bool(terms.intersection(words(symbol["name"])))
        return (0 if named else 1, 0 if symbol["kind"] in ("class", "interface", "struct", "trait") else 1, position)

    chosen = sorted(sorted(enumerate(symbols), key=priority)[:limit])
    return [symbol for _, symbol in chosen]


def recent_changes(root: Path, commits: int = 300) -> Counter[str]:
    """How often each file changed in the last ``commits`` commits (empty outside git)."""
    result = subprocess.run(
        ["git", "log", f"-n{commits}", "--no-merges", "--name-only", "--format="],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        return Counter()
    return Counter(line for line in result.stdout.splitlines() if line)


def rank(
    index: RepoIndex,
    files: list[IndexedFile],
    task: str,
    *,
    history: Mapping[str, int] | None = None,
    weights: Weights | None = None,
) -> list[tuple[str, float]]:
    """Every file with its score, best first."""
    w = weights or Weights()
    terms = list(dict.fromkeys(words(task)))
    lexical = _scaled(_bm25f(index, files, terms, w.path))
    named = _scaled(_bm25f(index, files, [SYMBOL_PREFIX + t for t in terms], 0.0, lengths=False))
    neighbours = _scaled(_neighbour_scores(index, files, lexical))
    changes = _scaled({f.path: math.log1p((history or {}).get(f.path, 0)) for f in files})
    scores = {
        f.path: (
            lexical.get(f.path, 0.0)
            + w.symbols * named.get(f.path, 0.0)
            + w.neighbours * neighbours.get(f.path, 0.0)
            # history alone should not pull in files the task never mentions
            + w.history * changes.get(f.path, 0.0) * (1.0 if f.path in lexical else 0.3)
        )
        * (1.0 if f.language else w.prose)
        for f in files
    }
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def _bm25f(
    index: RepoIndex, files: list[IndexedFile], terms: list[str], path_weight: float, *, lengths: bool = True
) -> dict[str, float]:
    """BM25 over each file's words, with the words of its path counted ``path_weight`` times."""
    if not terms:
        return {}
    postings = index.postings(terms)
    doc_lengths = index.lengths() if lengths else {}
    paths_of: dict[str, list[str]] = {}
    for f in files:
        if f.digest:
            paths_of.setdefault(f.digest, []).append(f.path)
    path_words = index.path_words(files) if path_weight else {}
    wanted = set(terms)
    counts: dict[str, dict[str, float]] = {term: {} for term in terms}
    for term, hits in postings.items():
        for digest, tf in hits.items():
            for path in paths_of.get(digest, ()):
                counts[term][path] = tf
    for path, found in path_words.items():
        for term in wanted.intersection(found):
            counts[term][path] = counts[term].get(path, 0) + path_weight * found[term]
    total: dict[str, float] = {}
    if lengths:
        for f in files:
            total[f.path] = doc_lengths.get(f.digest or "", 0) + path_weight * sum(path_words.get(f.path, {}).values())
    average = (sum(total.values()) / max(1, len(files))) or 1.0
    scores: dict[str, float] = {}
    for term_hits in counts.values():
        if not term_hits:
            continue
        idf = math.log(1 + (len(files) - len(term_hits) + 0.5) / (len(term_hits) + 0.5))
        for path, value in term_hits.items():
            norm = 1 - B + B * total[path] / average if lengths else 1.0
            scores[path] = scores.get(path, 0.0) + idf * value * (K1 + 1) / (value + K1 * norm)
    return scores


def _scaled(scores: Mapping[str, float]) -> dict[str, float]:
    """Scores divided by their maximum, so that signals of different units can be weighed together."""
    top = max(scores.values(), default=0.0) or 1.0
    return {path: score / top for path, score in scores.items()}


def _neighbour_scores(index: RepoIndex, files: list[IndexedFile], lexical: Mapping[str, float]) -> dict[str, float]:
    """Each file's best-matching import neighbour, either direction: related code shares relevance."""
    links = index.import_links(files)
    return {path: max(lexical.get(n, 0.0) for n in neighbours) for path, neighbours in links.items() if neighbours}


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
    """The files that matter for ``task``, best first, with their symbols, within ``budget`` tokens."""
    index = RepoIndex(root, cache_path)
    try:
        files = index.refresh()
        ranked = rank(index, files, task, history=recent_changes(root), weights=weights)
        counter = counter_for(model)
        terms = set(words(task))
        by_path = {f.path: f for f in files}
        chosen: list[RankedFile] = []
        used = 0
        window = ranked[: top if top is not None else 400]
        symbols: dict[str, list[dict[str, Any]]] = {}
        for position, (path, score) in enumerate(window):
            if position % 40 == 0:  # symbols are read in batches, only as far as the map gets
                batch = [by_path[p].digest for p, _ in window[position : position + 40] if by_path[p].digest]
                symbols.update(index.symbols([d for d in batch if d]))
            entry_symbols = key_symbols(symbols.get(by_path[path].digest or "", []), terms)
            cost = counter.count(render_entry(path, entry_symbols))
            if top is None and used + cost > budget:
                if used + counter.count(render_entry(path, [])) > budget:
                    break
                entry_symbols, cost = [], counter.count(render_entry(path, []))
            chosen.append(RankedFile(path, score, cost, entry_symbols))
            used += cost
        return RepoMap(task, budget, used, counter.exact, chosen)
    finally:
        index.close()
