"""Ranking a repository's files for a task (measured by bench/context_bench.py against BM25).

- lexical: BM25 of the task's words over each file's contents, its symbol names and its path;
- structure: a file imported by, or importing, strongly matching files shares some of their score;
- history: files changed often in recent commits are likelier to change again;
- mentions: a file the task names outright (a path, a file name, a dotted module) ranks first.
Each signal is scaled to 0..1 over the repository before the weights combine them.
"""

from __future__ import annotations

import math
import subprocess
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gearshift.context.index import SYMBOL_PREFIX, IndexedFile, RepoIndex
from gearshift.context.mentions import mentioned_files
from gearshift.context.words import words

K1, B = 1.2, 0.75


@dataclass(frozen=True)
class Weights:
    path: float = 3.0  # a path word counts as this many occurrences in the file (BM25F)
    symbols: float = 0.3
    neighbours: float = 0.15
    history: float = 0.25
    prose: float = 0.6  # documents (README, docs) rank below code: the map serves coding steps
    mention: float = 2.0  # more than all the other signals together can give (1.7)


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
    """Every file of the map with its score, best first (the others count in the statistics only)."""
    w = weights or Weights()
    terms = list(dict.fromkeys(words(task)))
    lexical = _scaled(_bm25f(index, files, terms, w.path))
    named = _scaled(_bm25f(index, files, [SYMBOL_PREFIX + t for t in terms], 0.0, lengths=False))
    neighbours = _scaled(_neighbour_scores(index, files, lexical))
    changes = _scaled({f.path: math.log1p((history or {}).get(f.path, 0)) for f in files})
    named_files = mentioned_files(task, (f.path for f in files if f.in_map))
    # first named, first ranked: from twice the weight down to just over it, above any other file
    mentioned = {path: w.mention * (2 - i / len(named_files)) for i, path in enumerate(named_files)}
    scores = {
        f.path: (
            lexical.get(f.path, 0.0)
            + w.symbols * named.get(f.path, 0.0)
            + w.neighbours * neighbours.get(f.path, 0.0)
            # history alone should not pull in files the task never mentions
            + w.history * changes.get(f.path, 0.0) * (1.0 if f.path in lexical else 0.3)
        )
        * (1.0 if f.language else w.prose)
        + mentioned.get(f.path, 0.0)
        for f in files
        if f.in_map
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
    wanted = set(terms)
    path_words = index.path_words(files, wanted) if path_weight else {}
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
            total[f.path] = doc_lengths.get(f.digest or "", 0) + path_weight * f.path_words
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
    links = index.import_links([f for f in files if f.in_map])
    return {path: max(lexical.get(n, 0.0) for n in neighbours) for path, neighbours in links.items() if neighbours}
