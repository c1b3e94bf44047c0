"""Edit blocks out of a model's reply: a path line, then SEARCH, divider, REPLACE.

The reply is untrusted: it is split only at real line breaks (a form feed or U+2028 inside a
line stays in the line, as the file has it), and it is never quoted back at length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gearshift.edits.bounds import MAX_REPLY_CHARS, shown
from gearshift.errors import EditError

SEARCH = "<<<<<<< SEARCH"
DIVIDER = "======="
REPLACE = ">>>>>>> REPLACE"

_BREAK = re.compile(r"\r\n|\r|\n")
_QUOTED = re.compile(r"`([^`\s]+)`")
_LABEL = re.compile(r"^(?:file(?:name)?|path)\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class EditBlock:
    path: str
    search: str
    replace: str
    line: int  # where the block starts in the reply, for messages


def split_lines(text: str) -> list[str]:
    """``text`` cut at CRLF, CR and LF only, without the breaks; no empty last line for a final break."""
    parts = _BREAK.split(text)
    if parts and parts[-1] == "":
        parts.pop()
    return parts


def parse_edit_blocks(reply: str) -> list[EditBlock]:
    if len(reply) > MAX_REPLY_CHARS:
        # too large to be an honest edit; not echoed, so it cannot flood a retry prompt
        raise EditError(
            f"the reply has {len(reply):,} characters, over the limit of {MAX_REPLY_CHARS:,}; nothing was applied"
        )
    lines = split_lines(reply)
    blocks: list[EditBlock] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() != SEARCH:
            i += 1
            continue
        start = i
        path = _path_before(lines, i)
        if path == REPLACE and blocks:
            path = blocks[-1].path  # a block right after another, with no path of its own: the same file
        if path is None or path == REPLACE:
            raise EditError(
                f"the edit block at line {start + 1} has no file path on the line before {SEARCH}"
                " (the path alone on its line)"
            )
        search, i = _collect(lines, i + 1, DIVIDER, start)
        replace, i = _collect(lines, i + 1, REPLACE, start)
        blocks.append(EditBlock(path=path, search=search, replace=replace, line=start + 1))
        i += 1
    return blocks


def _path_before(lines: list[str], index: int) -> str | None:
    for j in range(index - 1, max(-1, index - 4), -1):
        candidate = lines[j].strip()
        if not candidate or candidate.startswith("```"):
            continue
        if candidate == REPLACE:
            return REPLACE  # right after the block before: the caller decides
        return _path_in(candidate)
    return None


def _path_in(line: str) -> str | None:
    """The path a line names: ``path``, `path`, **path**, # path, File: path, In `path`:.

    A line of prose is no path: a name with spaces in it is refused rather than created.
    """
    quoted = _QUOTED.findall(line)
    if quoted:
        line = quoted[-1]
    path = _LABEL.sub("", line.strip("`*").removeprefix("# ").strip()).rstrip(":").strip("`*").strip()
    return path if path and not any(char.isspace() for char in path) else None


def _collect(lines: list[str], index: int, end: str, start: int) -> tuple[str, int]:
    collected: list[str] = []
    while index < len(lines):
        if lines[index].strip() == end:
            return "".join(line + "\n" for line in collected), index
        if lines[index].strip() in (SEARCH, REPLACE, DIVIDER):
            break
        collected.append(lines[index])
        index += 1
    raise EditError(f"the edit block at line {start + 1} is not closed: expected a line {shown(end)}")
