"""One block against one file's lines: the replacement, None when SEARCH is nowhere, or a refusal.

The order of attempts: SEARCH as written (exact, then tolerant of whitespace); then, if it has
``...`` lines, as parts with the lines between them elided; then as written again, allowing a
slip in a few lines. A ``...`` line may be code (a Python statement, a comment), so the literal
reading goes first, and an elision that stands for nothing but a line like itself is taken as
that line.
"""

from __future__ import annotations

from gearshift.edits.locate import Placement, is_elision, looks_elided, place, segments
from gearshift.edits.rewrite import Replacement, Unclear, rewrite


def find_replacement(file: list[str], search: list[str], replace: list[str]) -> Replacement | None:
    """Raises locate.Ambiguous or rewrite.Unclear when the block cannot be applied for certain."""
    kept = {line.strip() for line in search}
    if not any(is_elision(line) for line in search) and any(
        looks_elided(line) and line.strip() not in kept for line in replace
    ):
        # written as it stands, the comment would replace the lines it means to keep
        raise Unclear("REPLACE elides lines with a `...` comment, but SEARCH has no `...` to say which lines")
    changing = [search != replace]
    found = place(file, [search], changing, slip=False)
    if found is not None:
        return rewrite(file, [search], [replace], found)
    unpaired: Unclear | None = None
    if len(segments(search)) > 1:
        try:
            search_parts, replace_parts = _paired(segments(search), segments(replace))
        except Unclear as exc:
            unpaired = exc  # said only if SEARCH does not fit as written either
        else:
            parts_changing = [s != r for s, r in zip(search_parts, replace_parts, strict=True)]
            found = place(file, search_parts, parts_changing)
            if found is not None and not _elides_itself(file, search_parts, found):
                return rewrite(file, search_parts, replace_parts, found)
    found = place(file, [search], changing, close=False)
    if found is not None:
        return rewrite(file, [search], [replace], found)
    if unpaired is not None:
        raise unpaired
    return None


def _elides_itself(file: list[str], parts: list[list[str]], found: Placement) -> bool:
    """Whether a `...` stands for one line of the file that is a `...` line too: then it is that
    line, written as code, and not an elision."""
    for i in range(len(parts) - 1):
        gap = range(found.starts[i] + len(parts[i]), found.starts[i + 1])
        if len(gap) == 1 and is_elision(file[gap[0]]):
            return True
    return False


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
