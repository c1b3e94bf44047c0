from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gearshift.context import tokens
from gearshift.context.tokens import CHARS_PER_TOKEN, TokenCounter, counter_for, estimate_tokens

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


def test_estimate_is_characters_over_three_and_a_half_rounded_up() -> None:
    assert CHARS_PER_TOKEN == 3.5
    assert estimate_tokens("") == 1
    assert estimate_tokens("abc") == 1
    assert estimate_tokens("a" * 7) == 3
    assert estimate_tokens("a" * 350) == 101


@given(st.text(max_size=400), st.text(max_size=40))
def test_estimate_is_the_rule_an_estimating_counter_uses(text: str, more: str) -> None:
    counter = TokenCounter(False, "estimate")
    assert counter.count(text) == estimate_tokens(text)
    assert estimate_tokens(text) >= max(1, len(text) / CHARS_PER_TOKEN)
    assert estimate_tokens(text + more) >= estimate_tokens(text)


def test_models_without_a_vocabulary_are_estimated() -> None:
    counter = counter_for("claude-sonnet-4-5")
    assert not counter.exact
    assert counter.count("hello world") == estimate_tokens("hello world")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh user cache directory and no loaded vocabulary, before and after."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    tokens._o200k.cache_clear()
    yield tokens._cache_dir()
    tokens._o200k.cache_clear()


def _loads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the verified loads and the fast copies read."""
    import marshal

    seen = {"verified": 0, "fast": 0}
    verified = tokens._verified_load

    def counting_verified(*args: Any) -> Any:
        seen["verified"] += 1
        return verified(*args)

    class CountingMarshal:
        dumps = staticmethod(marshal.dumps)

        @staticmethod
        def loads(data: bytes) -> Any:
            seen["fast"] += 1
            return marshal.loads(data)

    monkeypatch.setattr(tokens, "_verified_load", counting_verified)
    monkeypatch.setattr(tokens, "marshal", CountingMarshal)
    return seen


def _exact(counter: TokenCounter) -> None:
    assert counter.exact
    assert counter.name == "o200k_base"
    assert counter.count("hello world") == 2  # o200k_base: [24912, 2375]
    assert counter.count("hello world, def foo_bar()") == len(tokens._KNOWN_ANSWER)


def test_cache_is_in_the_users_cache_directory(cache: Path, tmp_path: Path) -> None:
    from platformdirs import user_cache_dir

    assert cache == Path(user_cache_dir("gearshift", appauthor=False)) / "tiktoken"
    assert cache.is_relative_to(tmp_path)  # XDG_CACHE_HOME on Linux, the temporary HOME elsewhere
    _exact(counter_for("gpt-5.4"))
    assert (cache / "o200k_base.marshal").is_file()
    if sys.platform != "win32":
        assert stat.S_IMODE(cache.stat().st_mode) == 0o700
        for path in cache.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_private_fast_copy_is_used(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter_for("gpt-5.4")
    tokens._o200k.cache_clear()
    seen = _loads(monkeypatch)
    _exact(counter_for("gpt-5.4"))
    assert seen == {"verified": 0, "fast": 1}


@posix_only
@pytest.mark.parametrize(("which", "mode"), [("file", 0o620), ("file", 0o602), ("dir", 0o770), ("dir", 0o707)])
def test_a_fast_copy_others_can_write_is_not_used(
    cache: Path, monkeypatch: pytest.MonkeyPatch, which: str, mode: int
) -> None:
    counter_for("gpt-5.4")
    tokens._o200k.cache_clear()
    fast = cache / "o200k_base.marshal"
    (fast if which == "file" else cache).chmod(mode)
    seen = _loads(monkeypatch)
    _exact(counter_for("gpt-5.4"))
    assert seen == {"verified": 1, "fast": 0}
    # the verified load leaves a private directory and fast copy behind
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(fast.stat().st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="no file ownership to check")
def test_a_fast_copy_someone_else_owns_is_not_used(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter_for("gpt-5.4")
    tokens._o200k.cache_clear()
    someone_else = os.getuid() + 1
    monkeypatch.setattr(os, "getuid", lambda: someone_else)
    seen = _loads(monkeypatch)
    _exact(counter_for("gpt-5.4"))
    assert seen["fast"] == 0
    assert seen["verified"] == 1


@posix_only
def test_without_getuid_only_the_permissions_are_checked(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter_for("gpt-5.4")
    tokens._o200k.cache_clear()
    monkeypatch.delattr(os, "getuid")
    seen = _loads(monkeypatch)
    _exact(counter_for("gpt-5.4"))
    assert seen == {"verified": 0, "fast": 1}


def test_a_damaged_fast_copy_fails_the_known_answer(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import marshal

    counter_for("gpt-5.4")
    tokens._o200k.cache_clear()
    fast = cache / "o200k_base.marshal"
    state = marshal.loads(fast.read_bytes())
    state["ranks"] = {token: rank + 1 for token, rank in state["ranks"].items()}
    fast.write_bytes(marshal.dumps(state))
    seen = _loads(monkeypatch)
    _exact(counter_for("gpt-5.4"))
    assert seen == {"verified": 1, "fast": 1}
