"""The structure of text files without a grammar: their headings, and where a changelog takes new entries.

Markdown (# headings, outside fenced code) and reStructuredText (a title over a line of =, -, ~ ...)
headings become symbols of kind "section", each spanning to the next heading of its level or
higher, so that a step naming a section is shown that section. A changelog (CHANGES, CHANGELOG,
HISTORY, NEWS, release notes) takes new entries at its head: the first release section.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from gearshift.context.symbols import Symbol

_CHANGELOG = re.compile(r"^(changes|changelog|history|news|releases?|release[-_ ]?notes|whats[-_]?new)$", re.I)
_RST_RULE = re.compile(r"^([=\-~^\"'#*+])\1{2,}\s*$")  # not `: ``` opens markdown code
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_VERSION = re.compile(r"\d+\.\d+|unreleased|\bv\d", re.I)
HEAD_LINES = (20, 300)
_DOCUMENTS = {
    ".md",
    ".markdown",
    ".mdx",
    ".rst",
    ".txt",
    ".adoc",
    ".asciidoc",
    ".rdoc",
    ".textile",
}  # the least and the most of a changelog's head


def is_document(path: str, text: str = "") -> bool:
    """Prose with headings: markdown, reStructuredText, plain text, or a file with no extension (README)
    that is not a script."""
    name = PurePosixPath(path).name
    if "." not in name.lstrip("."):
        return not text.startswith("#!")
    return PurePosixPath(name).suffix.lower() in _DOCUMENTS or is_changelog(path)


def is_changelog(path: str) -> bool:
    name = PurePosixPath(path).name
    return bool(_CHANGELOG.match(name.split(".", 1)[0]))


def headings(lines: list[str]) -> list[Symbol]:
    """Markdown and reStructuredText headings as symbols, each spanning its section."""
    found: list[tuple[int, int, str]] = []  # (line, level, title)
    rst_levels: list[str] = []
    fenced = False
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        markdown = _MD_HEADING.match(line)
        if markdown:
            found.append((index + 1, len(markdown.group(1)), markdown.group(2)))
            continue
        below = lines[index + 1] if index + 1 < len(lines) else ""
        rule = _RST_RULE.match(below)
        title = line.strip()
        if rule and title and not _RST_RULE.match(line) and len(below.rstrip()) >= min(len(title), 3):
            above = lines[index - 1] if index else ""
            key = rule.group(1) + ("o" if _RST_RULE.match(above) else "")  # an overline makes its own level
            if key not in rst_levels:
                rst_levels.append(key)
            found.append((index + 1, rst_levels.index(key) + 1, title))
    symbols = []
    for position, (start, level, title) in enumerate(found):
        end = len(lines)
        for later, later_level, _ in found[position + 1 :]:
            if later_level <= level:
                end = later - 1
                break
        symbols.append(Symbol(title, "section", start, max(start, end), title))
    return symbols


def changelog_head(lines: list[str]) -> int:
    """The last line of a changelog's head: its first release section, where new entries go."""
    low, high = HEAD_LINES
    releases = [s.line for s in headings(lines) if _VERSION.search(s.name)]
    if not releases:
        releases = [i + 1 for i, line in enumerate(lines) if _VERSION.match(line.strip().lstrip("#*= -v"))]
    later = [line for line in releases if line > (releases[0] if releases else 0)]
    end = later[0] + 2 if later else high  # and the head of the release before, to show its form
    return min(len(lines), high, max(low, end))
