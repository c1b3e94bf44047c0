"""Files a task names outright: a path (tests/test_padding.py), a file name (padding.py) or a
Python dotted name (rich.padding.Padding -> rich/padding.py). A task that names a file means it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

# a mention that could be any of many files (__init__.py, models.py in Django) names none of them
MAX_MATCHES = 3
_TOKENS = re.compile(r"[^\s`'\"(),;<>\[\]{}|*]+")
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_SUFFIX = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,9}")
_PYTHON_SUFFIXES = (".py", ".pyi")


def mentioned_files(task: str, paths: Iterable[str]) -> list[str]:
    """The files ``task`` names, in the order it names them."""
    tokens = [token for token in (_clean(t) for t in _TOKENS.findall(task)) if _could_name_a_file(token)]
    if not tokens:  # most tasks: nothing to look up, and no table of the tree's names to build
        return []
    all_paths = list(paths)
    by_name: dict[str, list[str]] = {}
    for path in all_paths:
        by_name.setdefault(path.rsplit("/", 1)[-1], []).append(path)
    found: dict[str, None] = {}
    for token in tokens:
        matches = _as_path(token, all_paths, by_name) or _as_module(token, all_paths)
        if 0 < len(matches) <= MAX_MATCHES:
            found.update(dict.fromkeys(sorted(matches)))
    return list(found)


def _could_name_a_file(token: str) -> bool:
    return "/" in token or "." in token


def _clean(token: str) -> str:
    """Without what commonly follows a name in prose or tools: punctuation, ::test ids, :line numbers."""
    token = token.split("::", 1)[0].split("#", 1)[0]
    token = re.sub(r":\d+(?::\d+)?$", "", token)
    token = token.rstrip(".:,;!?")
    while token.startswith("./"):
        token = token[2:]
    return token.lstrip("/")


def _as_path(token: str, paths: list[str], by_name: dict[str, list[str]]) -> list[str]:
    if "/" in token:
        exact = [p for p in paths if p == token or p.endswith("/" + token)]
        if exact:
            return exact
        # a path written without its suffix: src/flask/app
        return [p for p in paths if _without_suffix(p) == token or _without_suffix(p).endswith("/" + token)]
    suffix = _SUFFIX.fullmatch(PurePosixPath(token).suffix or "-")
    return list(by_name.get(token, [])) if suffix else []


def _without_suffix(path: str) -> str:
    stem, dot, _ = path.rpartition(".")
    return stem if dot and "/" not in path[len(stem) :] else path


def _as_module(token: str, paths: list[str]) -> list[str]:
    """The Python files whose module is the longest leading part (two parts or more) of a dotted name."""
    if not _DOTTED.fullmatch(token):
        return []
    parts = token.split(".")
    wanted = {".".join(parts[:end]): end for end in range(2, len(parts) + 1)}
    best: dict[int, list[str]] = {}
    for path in paths:
        if not path.endswith(_PYTHON_SUFFIXES):
            continue
        module = path.rsplit(".", 1)[0].replace("/", ".")
        module = module.removesuffix(".__init__")
        for name, end in wanted.items():
            # src/rich/padding.py answers to rich.padding (and src.rich.padding, and padding)
            if module == name or module.endswith("." + name):
                best.setdefault(end, []).append(path)
    return best[max(best)] if best else []
