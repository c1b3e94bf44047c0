"""Limits on what a reply may ask for and on how much of it an error message quotes.

Error messages go back to the model in the retry prompt and onto a terminal: any text that
came from the reply (a path, a SEARCH line) or from a file is cut short here, so a garbage
reply of megabytes is never echoed.
"""

from __future__ import annotations

MAX_REPLY_CHARS = 2_000_000  # a reply this long is not an edit a person could review
MAX_FILE_BYTES = 8_000_000  # files larger than this are not edited with blocks
MAX_PROBLEMS = 5  # problems listed in one message; the rest are counted
MAX_QUOTED_LINES = 12
MAX_QUOTED_LINE = 160
MAX_SHOWN = 80


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` quoted for a message: one line, at most ``limit`` characters of it."""
    if len(text) > limit:
        text = text[:limit] + "…"
    return repr(text)


def quoted_lines(lines: list[str], first_number: int) -> str:
    """File lines for a message, numbered, each and all of them bounded."""
    out = []
    for offset, line in enumerate(lines[:MAX_QUOTED_LINES]):
        cut = line if len(line) <= MAX_QUOTED_LINE else line[:MAX_QUOTED_LINE] + "…"
        out.append(f"{first_number + offset:>5} | {cut}")
    if len(lines) > MAX_QUOTED_LINES:
        out.append(f"      … ({len(lines) - MAX_QUOTED_LINES} more lines)")
    return "\n".join(out)


def joined(problems: list[str]) -> str:
    """Several problems in one bounded message: the first line names them all by count."""
    if len(problems) == 1:
        return problems[0]
    listed = problems[:MAX_PROBLEMS]
    more = len(problems) - len(listed)
    # the first line stands alone (the CLI and a failed step show only it)
    head = f"{len(problems)} problems, nothing was applied; the first: {problems[0].splitlines()[0]}"
    tail = [f"… and {more} more"] if more else []
    return "\n".join([head, *(f"- {p}" for p in listed), *tail])
