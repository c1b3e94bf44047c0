"""The map's text, line by line, and what each line costs in tokens.

Every line of a map ends with a newline, and o200k_base never joins a line's end to the next
line's start, so the tokens of a map are the sum of its lines' tokens. Those are counted once,
when the index first sees a file (the lines of its symbols, its path), and kept in the index's
cache: a warm map then counts nothing and never loads the tokenizer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from gearshift.context.tokens import TokenCounter, counter_for, estimate_tokens, uses_o200k

MAX_PRECOUNTED = 999  # marker and directory lines with counts up to this are counted ahead
_NESTED = ("method", "attribute")


def path_line(path: str) -> str:
    return f"{path}\n"


def symbol_line(symbol: Mapping[str, Any]) -> str:
    indent = "    " if symbol["kind"] in _NESTED else "  "
    return f"{indent}{symbol['signature']}  (line {symbol['line']})\n"


def more_line(count: int) -> str:
    """Says how many symbols of a file the budget left out."""
    return f"  … {count} more symbol{'' if count == 1 else 's'}\n"


def directory_of(path: str, depth: int = 2) -> str:
    """The directory a collapsed path is counted in: its parent, at most ``depth`` levels deep."""
    return "/".join(path.split("/")[:-1][:depth])


def directory_head(directory: str) -> str:
    return f"{directory}/" if directory else "./"


def directory_tail(count: int) -> str:
    # starts with a space after the head's '/': a break between tokens, so head and tail count apart
    return f" ({count} file{'' if count == 1 else 's'})\n"


def fixed_lines() -> list[str]:
    """The lines whose text does not depend on the repository, counted once with the first index."""
    return [line for n in range(1, MAX_PRECOUNTED + 1) for line in (more_line(n), directory_tail(n))]


class TokenCache(Protocol):
    def cached_tokens(self, lines: list[str]) -> dict[str, int]: ...
    def store_tokens(self, counts: Mapping[str, int]) -> None: ...


class LineCounter:
    """Tokens of map lines for a model: o200k_base counts from the cache, counting (and keeping) the rest."""

    def __init__(self, cache: TokenCache, model: str) -> None:
        self.cache = cache
        self.model = model
        self.o200k = uses_o200k(model)
        self.exact = True  # until a count had to be estimated
        self._known: dict[str, int] = {}
        self._counter: TokenCounter | None = None

    def prepare(self, lines: Iterable[str]) -> None:
        """Look the lines up in one pass; the tokenizer is loaded only for lines never counted before."""
        wanted = [line for line in dict.fromkeys(lines) if line not in self._known]
        if not wanted:
            return
        if not self.o200k:
            self.exact = False
            self._known.update((line, estimate_tokens(line)) for line in wanted)
            return
        self._known.update(self.cache.cached_tokens(wanted))
        missing = [line for line in wanted if line not in self._known]
        if missing:
            counter = self._counter or counter_for(self.model)
            self._counter = counter
            counted = {line: counter.count(line) for line in missing}
            self._known.update(counted)
            if counter.exact:
                self.cache.store_tokens(counted)
            else:
                self.exact = False

    def count(self, line: str) -> int:
        if line not in self._known:
            self.prepare([line])
        return self._known[line]

    def directory(self, directory: str, files: int) -> int:
        return self.count(directory_head(directory)) + self.count(directory_tail(files))
