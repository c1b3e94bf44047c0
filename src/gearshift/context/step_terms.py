"""What a step's text names: the identifiers, the Owner.member pairs, and the text it quotes.

A plan writes code in backticks, with dots or with parentheses; prose is plain words. Both are
read, but only the first kind is trusted to pick large parts of a file: "make Flask accept" must
not show the whole of class Flask, and neither must "`Flask.run`", which names the method run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_QUOTED = re.compile(r"`([^`\n]{1,200})`|(?<!\w)\"([^\"\n]{2,200})\"(?!\w)|(?<!\w)'([^'\n]{2,200})'(?!\w)")
# a path names a file, not a symbol: "app" in src/flask/app.py is not the fixture app()
_PATH = re.compile(
    r"\S*/\S*|\b[\w.-]+\.(?:py|pyi|[cm]?[jt]sx?|go|rs|java|kt|rb|php|cc|cpp|hpp|cs|swift|md|rst|txt|toml|json"
    r"|ya?ml|cfg|ini|lock|html|css)\b"
)
_CHAIN = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*(\(\))?")


@dataclass(frozen=True)
class StepTerms:
    strong: frozenset[str]  # names written as code: `quoted`, called(), snake_case, camelCase, a chain's last part
    weak: frozenset[str]  # every other word
    qualified: frozenset[tuple[str, str]]  # (Owner, member) for Owner.member: member is named, Owner only places it
    anchors: tuple[str, ...]  # code-like names and quoted text, to find on a file's lines
    text: str  # the step's text, for headings it quotes in prose


def looks_like_code(word: str) -> bool:
    """snake_case, camelCase, PascalCase with two capitals, CONSTANT_CASE: not an English word."""
    inner = word.strip("_$")
    if "_" in inner or "$" in word:
        return len(inner) >= 3
    return any(c.isupper() for c in inner[1:]) and any(c.islower() for c in inner)


def step_terms(text: str) -> StepTerms:
    strong: set[str] = set()
    weak: set[str] = set()
    qualified: set[tuple[str, str]] = set()
    anchors: list[str] = []
    code_text = _PATH.sub(lambda m: " " * len(m.group(0)), text)  # same length: spans still line up
    in_backticks = [False] * len(text)
    for match in _QUOTED.finditer(text):
        quoted = next(group for group in match.groups() if group is not None).strip()
        if quoted:
            anchors.append(quoted)
        if match.group(1) is not None:
            in_backticks[match.start() : match.end()] = [True] * (match.end() - match.start())
    for match in _CHAIN.finditer(code_text):
        if match.start() > 0 and code_text[match.start() - 1] == ".":
            continue  # the tail of something like 3.12: no chain of its own
        parts = match.group(0).removesuffix("()").split(".")
        named = parts[-1]
        code = len(parts) > 1 or bool(match.group(1)) or in_backticks[match.start()] or looks_like_code(named)
        if len(parts) > 1:
            qualified.add((parts[-2], named))
        else:
            (strong if code else weak).add(named)
        anchors.extend(p for p in parts if looks_like_code(p) or (p is named and len(parts) > 1 and len(p) > 2))
    return StepTerms(
        strong=frozenset(strong),
        weak=frozenset(weak - strong),
        qualified=frozenset(qualified),
        anchors=tuple(dict.fromkeys(a for a in anchors if a.strip())),
        text=text,
    )
