"""Cutting text that goes into a prompt down to a bound, keeping its start and its end.

Output that is long is long in one of two ways: many lines, or a few huge ones (a minified
bundle, a 100 MB assertion message). A bound on lines alone lets the second through, so every
quote is cut by lines and then by characters, each time saying how much was left out.
"""

from __future__ import annotations


def clip_chars(text: str, *, limit: int, head_share: float = 0.5) -> str:
    """``text`` if it has at most ``limit`` characters; else its start and end with a note between.

    ``head_share`` of the room goes to the start; the rest, and the note, to the end.
    """
    if len(text) <= limit:
        return text
    head = int(limit * head_share)
    tail = max(limit - head, 0)
    left_out = len(text) - head - tail
    return f"{text[:head]}\n[... {left_out:,} characters left out ...]\n{text[len(text) - tail :]}"


def clip_lines(text: str, *, head: int, tail: int) -> str:
    """``text`` if it has at most ``head + tail`` lines; else its first and last lines with a note between."""
    lines = text.splitlines()
    if len(lines) <= head + tail:
        return text
    kept_tail = lines[len(lines) - tail :] if tail else []
    return "\n".join([*lines[:head], f"[... {len(lines) - head - tail} lines left out ...]", *kept_tail])
