"""Each mistake models make in edit blocks, as a property: the result is exactly the intended file.

A scenario is a file of Python-like lines at several indentations (some lines unique, some
common: blank, ``pass``, ``)``...), a region of it, and a change to that region (lines kept,
removed, changed, inserted) as a hunk. The block is written from the hunk with one mistake; the
intended file is the hunk applied. With unique lines in SEARCH the block must apply and give
exactly that file; with lines repeated everywhere it may be refused, and must never be wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gearshift.edits import EditBlock, edit_bytes
from gearshift.errors import EditError

COMMON = ["", "pass", "return None", ")", "else:", "# note"]
Hunk = list[tuple[str, str]]  # (" " kept | "-" SEARCH only | "+" REPLACE only, line)


@dataclass(frozen=True)
class Scenario:
    lines: list[str]
    start: int
    size: int
    hunk: Hunk

    def data(self, newline: str = "\n") -> bytes:
        return "".join(line + newline for line in self.lines).encode()

    def intended(self, newline: str = "\n") -> bytes:
        new = [text for tag, text in self.hunk if tag != "-"]
        after = self.lines[: self.start] + new + self.lines[self.start + self.size :]
        return "".join(line + newline for line in after).encode()


def indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


@st.composite
def scenarios(draw: st.DrawFn, unique: bool = True, floor: int = 0, context: int = 0) -> Scenario:
    """``floor``: the least indentation of a line, in steps of four spaces; ``context``: the
    region's first lines the change keeps, at least."""
    count = draw(st.integers(context + 4, 24))
    lines = []
    for number in range(count):
        depth = draw(st.integers(floor, floor + 3))
        common = draw(st.sampled_from([None, None, None, *COMMON] if unique else COMMON[1:] + COMMON))
        text = f"v{number} = compute({number})" if common is None else common
        lines.append("    " * depth + text if text else "")
    start = draw(st.integers(0, count - context - 2))
    size = draw(st.integers(context + 2, min(context + 10, count - start)))
    hunk: Hunk = []
    for offset, line in enumerate(lines[start : start + size]):
        action = "keep" if offset < context else draw(st.sampled_from(["keep", "keep", "remove", "change"]))
        if action == "keep":
            hunk.append((" ", line))
        else:
            hunk.append(("-", line))
        if action == "change" and line.strip():
            hunk.append(("+", f"{indent(line)}w{start + offset} = changed({offset})"))
        if draw(st.integers(0, 4)) == 0:  # a new line, indented as the line before it
            hunk.append(("+", f"{indent(line) or '    ' * floor}new_{start + offset}()"))
    search = [t for tag, t in hunk if tag != "+"]
    assume([t for tag, t in hunk if tag != "-"] != search)
    if unique:
        assume(sum(1 for t in search if "compute" in t) >= 2)
    return Scenario(lines, start, size, hunk)


def block(search: list[str], replace: list[str]) -> EditBlock:
    return EditBlock("f.py", "".join(f"{t}\n" for t in search), "".join(f"{t}\n" for t in replace), 1)


def sides(hunk: Hunk) -> tuple[list[str], list[str]]:
    return [t for tag, t in hunk if tag in " -s"], [t for tag, t in hunk if tag in " +r"]


def outcome(data: bytes, hunk: Hunk, intended: bytes) -> str:
    try:
        result = edit_bytes(data, [block(*sides(hunk))])
    except EditError:
        return "refused"
    return "right" if result == intended else "wrong"


# --- the mistakes: each turns the hunk into the hunk as a model might write it ------------------


def trailing(hunk: Hunk, spaces: list[int]) -> Hunk:
    """Whitespace at the end of some SEARCH lines; REPLACE as intended."""
    out: Hunk = []
    for (tag, text), extra in zip(hunk, spaces * len(hunk), strict=False):
        if tag == "+" or not extra or not text.strip():
            out.append((tag, text))
        elif tag == " ":
            out += [("s", text + " " * extra), ("r", text)]
        else:
            out.append((tag, text + "\t" * extra))
    return out


def flush_left(hunk: Hunk) -> Hunk | None:
    solid = [t for _, t in hunk if t.strip()]
    if not solid:
        return None
    common = min(len(indent(t)) for t in solid)
    return None if common == 0 else [(tag, t[common:]) for tag, t in hunk]


def first_unindented(hunk: Hunk, also_replace: bool) -> Hunk | None:
    """SEARCH's first line without its indentation (and, ``also_replace``, the line standing for it)."""
    first = next(i for i, (tag, _) in enumerate(hunk) if tag != "+")
    tag, text = hunk[first]
    if not text.strip() or not indent(text):
        return None
    out = list(hunk)
    if tag == " ":
        out[first : first + 1] = [("s", text.lstrip()), ("r", text)]
    else:
        out[first] = ("-", text.lstrip())
        follower = first + 1
        if (
            also_replace
            and follower < len(out)
            and out[follower][0] == "+"
            and indent(out[follower][1]) == indent(text)
        ):
            out[follower] = ("+", out[follower][1].lstrip())
    return out


def elided(hunk: Hunk, pick: int) -> Hunk | None:
    runs = []
    i = 0
    while i < len(hunk):
        j = i
        while j < len(hunk) and hunk[j][0] == " ":
            j += 1
        if j - i >= 3:
            runs.append((i, j))
        i = max(j, i + 1)
    if not runs:
        return None
    start, end = runs[pick % len(runs)]
    return [*hunk[: start + 1], (" ", indent(hunk[start + 1][1]) + "..."), *hunk[end - 1 :]]


def typo(hunk: Hunk, pick: int) -> Hunk | None:
    context = [i for i, (tag, t) in enumerate(hunk) if tag == " " and "compute" in t]
    if not context:
        return None
    at = context[pick % len(context)]
    return [*hunk[:at], (" ", hunk[at][1].replace("compute", "compote")), *hunk[at + 1 :]]


# --- the properties ---------------------------------------------------------------------------

SPACES = st.lists(st.integers(0, 2), min_size=1, max_size=5)


@given(scenarios())
def test_exact(case: Scenario) -> None:
    assert outcome(case.data(), case.hunk, case.intended()) == "right"


@given(scenarios(), SPACES)
def test_trailing_spaces(case: Scenario, spaces: list[int]) -> None:
    assert outcome(case.data(), trailing(case.hunk, spaces), case.intended()) == "right"


@given(scenarios(floor=1))
def test_flush_left_shifts_every_line_by_the_same_amount(case: Scenario) -> None:
    mistaken = flush_left(case.hunk)
    assert mistaken is not None
    assert outcome(case.data(), mistaken, case.intended()) == "right"


@pytest.mark.parametrize("also_replace", [False, True])
@given(case=scenarios(floor=1))
def test_first_line_unindented_is_not_indented_twice(case: Scenario, also_replace: bool) -> None:
    mistaken = first_unindented(case.hunk, also_replace)
    assume(mistaken is not None)
    assert mistaken is not None
    assert outcome(case.data(), mistaken, case.intended()) == "right"


@given(scenarios(context=3), st.integers(0, 5))
def test_elided_context(case: Scenario, pick: int) -> None:
    mistaken = elided(case.hunk, pick)
    assume(mistaken is not None)
    assert mistaken is not None
    got = outcome(case.data(), mistaken, case.intended())
    # a part of SEARCH after `...` with no unique line may fit in several places: then refused
    assert got == "right" or (got == "refused" and not _every_part_unique(mistaken))


def _every_part_unique(hunk: Hunk) -> bool:
    parts: list[list[str]] = [[]]
    for tag, text in hunk:
        if text.strip() == "...":
            parts.append([])
        elif tag in " -":
            parts[-1].append(text)
    return all(any("compute" in t for t in part) for part in parts)


@given(scenarios())
def test_crlf_file_keeps_its_line_endings(case: Scenario) -> None:
    assert outcome(case.data("\r\n"), case.hunk, case.intended("\r\n")) == "right"


@given(scenarios(context=2), st.integers(0, 5))
def test_typo_in_a_context_line_keeps_the_files_line(case: Scenario, pick: int) -> None:
    mistaken = typo(case.hunk, pick)
    assume(mistaken is not None)
    assert mistaken is not None
    assume(sum(1 for tag, t in mistaken if tag in " -" and t.strip()) >= 3)
    assert outcome(case.data(), mistaken, case.intended()) == "right"


# with lines repeated all over the file, refusing is fine; a wrong file never is


@settings(max_examples=300)
@given(scenarios(unique=False), SPACES, st.integers(0, 5), st.sampled_from(["exact", "trailing", "elided", "typo"]))
def test_never_wrong_among_repeated_lines(case: Scenario, spaces: list[int], pick: int, kind: str) -> None:
    mistaken = {
        "exact": case.hunk,
        "trailing": trailing(case.hunk, spaces),
        "elided": elided(case.hunk, pick),
        "typo": typo(case.hunk, pick),
    }[kind]
    assume(mistaken is not None)
    assert mistaken is not None
    assert outcome(case.data(), mistaken, case.intended()) in ("right", "refused")


@settings(max_examples=300)
@given(scenarios(unique=False, floor=1), st.booleans(), st.booleans())
def test_never_wrong_unindented_among_repeated_lines(case: Scenario, flush: bool, also_replace: bool) -> None:
    mistaken = flush_left(case.hunk) if flush else first_unindented(case.hunk, also_replace)
    assume(mistaken is not None)
    assert mistaken is not None
    search, _ = sides(mistaken)
    # SEARCH as written (bar whitespace at line ends) elsewhere in the file is what the model asked for
    stripped = [line.rstrip() for line in case.lines]
    size = len(search)
    written = [line.rstrip() for line in search]
    assume(all(stripped[i : i + size] != written for i in range(len(stripped) - size + 1)))
    assert outcome(case.data(), mistaken, case.intended()) in ("right", "refused")
