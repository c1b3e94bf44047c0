"""One block against one file's lines: the replacement, None when SEARCH is nowhere, or a refusal.

The order of attempts: SEARCH as written (exact, then tolerant of whitespace); then, if it has
``...`` lines, as segments with the lines between them elided (a Python ``...`` line is code, so
the literal reading goes first); then, without elisions, allowing a slip in a few lines.
"""

from __future__ import annotations

from gearshift.edits.locate import is_elision, is_elision_comment, place, segments
from gearshift.edits.rewrite import Replacement, Unclear, rewrite


def find_replacement(file: list[str], search: list[str], replace: list[str]) -> Replacement | None:
    """Raises locate.Ambiguous or rewrite.Unclear when the block cannot be applied for certain."""
    if not any(is_elision(line) for line in search) and any(is_elision_comment(line) for line in replace):
        # written as it stands, the comment would replace the lines it means to keep
        raise Unclear("REPLACE elides lines with a `...` comment, but SEARCH has no `...` to say which lines")
    changing = [search != replace]
    found = place(file, [search], changing, slip=False)
    if found is not None:
        return rewrite(file, [search], [replace], found)
    search_parts = segments(search)
    if len(search_parts) == 1:
        found = place(file, [search], changing, close=False)
        return None if found is None else rewrite(file, [search], [replace], found)
    search_parts, replace_parts = _paired(search_parts, segments(replace))
    changing = [s != r for s, r in zip(search_parts, replace_parts, strict=True)]
    found = place(file, search_parts, changing)
    return None if found is None else rewrite(file, search_parts, replace_parts, found)


def _paired(search: list[list[str]], replace: list[list[str]]) -> tuple[list[list[str]], list[list[str]]]:
    """SEARCH's and REPLACE's segments, one for one; a `...` at either end of both is dropped."""
    if len(search) != len(replace):
        raise Unclear(
            f"SEARCH has {len(search) - 1} `...` elisions and REPLACE {len(replace) - 1}; each `...` in"
            " SEARCH needs one in REPLACE at the same place, standing for the same lines"
        )
    for end in (0, -1):
        if not search[end]:
            if any(line.strip() for line in replace[end]):
                raise Unclear("REPLACE adds lines beyond a `...` that ends SEARCH; it is unclear where they go")
            search, replace = _drop(search, end), _drop(replace, end)
    if not search or not any(line.strip() for part in search for line in part):
        raise Unclear("SEARCH has nothing but `...`; quote the lines to change")
    return search, replace


def _drop(parts: list[list[str]], end: int) -> list[list[str]]:
    return parts[1:] if end == 0 else parts[:-1]
