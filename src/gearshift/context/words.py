"""The words of text and code, as the index and the map compare them: identifiers split at case
and underscores, lower-cased, stemmed lightly, without stopwords."""

from __future__ import annotations

import functools
import re
from collections import Counter

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]*|[0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "this",
        "that",
        "when",
        "not",
        "no",
        "use",
        "add",
        "fix",
    }
)


def words(text: str) -> list[str]:
    """Lower-case word stems of text or code: getUserName -> get, user, name; stemmed lightly."""
    return [word for token in _IDENTIFIER.findall(text) for word in _split(token)]


def word_counts(text: str) -> Counter[str]:
    """words(text), counted; each distinct identifier is split once, however often it occurs."""
    counts: Counter[str] = Counter()
    for token, times in Counter(_IDENTIFIER.findall(text)).items():
        for word in _split(token):
            counts[word] += times
    return counts


@functools.lru_cache(maxsize=200_000)
def _split(token: str) -> tuple[str, ...]:
    parts = [token] if token.isdigit() else _CAMEL.findall(token)
    out = []
    for part in parts:
        word = stem(part.lower())
        if len(word) > 1 and word not in STOPWORDS:
            out.append(word)
    return tuple(out)


def stem(word: str) -> str:
    """A light stemmer that brings inflections together: handle, handles, handled, handling -> handl."""
    for suffix in ("ing", "ed", "es", "s", "e"):
        if len(word) >= len(suffix) + 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word
