"""The current content of a step's files as its model sees them, within the step's token budget.

The files the step changes come first, then the files it reads, then (in a fix) the files the
failure names. Each is shown whole when it is small; a larger one as the regions the step needs
(gearshift.context.regions), its lines numbered so that the model can place its SEARCH text and
the lines left out marked. The budget is shared by weight, the files the step changes taking the
most; what a file leaves of its share goes to the files that wanted more. Secret values are masked
(gearshift.secrets) before anything is measured or cut; masking keeps line breaks, so the line
numbers shown are the file's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gearshift.context.files import is_secret, read_text
from gearshift.context.regions import pick_view
from gearshift.context.sections import headings, is_document
from gearshift.context.step_terms import step_terms
from gearshift.context.symbols import Symbol, extract_symbols, language_of
from gearshift.context.tokens import TokenCounter
from gearshift.context.views import View, file_lines, render_view
from gearshift.edits import confined_path
from gearshift.errors import EditError
from gearshift.secrets import mask_text

WEIGHTS = {"changes": 3, "failure": 2, "reads": 1}  # shares of the budget by the file's part in the step
SECTION_TOKENS = 24  # a file's heading and fence
_ROLE_NOTES = {"changes": "", "reads": " (read only)", "failure": " (named by the failure)"}


@dataclass(frozen=True)
class FileShown:
    path: str
    tokens: int  # of its section of the text
    whole: bool
    ranges: tuple[tuple[int, int], ...]  # 1-based, inclusive: the lines shown

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "tokens": self.tokens, "whole": self.whole, "ranges": [list(r) for r in self.ranges]}


@dataclass(frozen=True)
class StepContext:
    files: tuple[FileShown, ...]
    text: str
    tokens: int

    def to_json(self) -> dict[str, Any]:
        return {"tokens": self.tokens, "files": [f.to_json() for f in self.files], "text": self.text}


@dataclass(frozen=True)
class _Entry:
    path: str
    role: str
    text: str | None  # masked; None when it is not shown
    note: str = ""


def step_context(
    root: Path,
    paths: Sequence[str],
    counter: TokenCounter,
    *,
    budget: int,
    step_text: str = "",
    reads: Sequence[str] = (),
    failing: Sequence[str] = (),
    focus: Mapping[str, Iterable[int]] | None = None,
    named: Sequence[str] = (),
) -> StepContext:
    """What a step sees of ``paths`` (it changes them), ``reads`` and ``failing`` (files a failure
    names), with ``focus`` lines (a failure's) and the definitions ``named`` (failing tests) shown on
    top of what the step text picks."""
    roles: dict[str, str] = {}
    for role, group in (("changes", paths), ("reads", reads), ("failure", failing)):
        for path in group:
            roles.setdefault(path, role)
    entries = [_load(root, path, role) for path, role in roles.items()]
    terms = step_terms(step_text)
    if named:
        terms = replace(terms, strong=terms.strong | set(named))
    lines_of = {e.path: tuple(sorted(set((focus or {}).get(e.path, ())))) for e in entries}
    symbols = {e.path: _symbols(e.path, e.text) for e in entries if e.text is not None}
    weight = sum(WEIGHTS[e.role] for e in entries if e.text is not None) or 1
    shares = {e.path: budget * WEIGHTS[e.role] // weight - SECTION_TOKENS for e in entries if e.text is not None}

    def view(entry: _Entry, share: int) -> View:
        assert entry.text is not None
        return pick_view(
            entry.path, entry.text, symbols[entry.path], terms, max(share, 0), counter, focus=lines_of[entry.path]
        )

    views = {e.path: view(e, shares[e.path]) for e in entries if e.text is not None}
    sections = {e.path: _section(e, views.get(e.path)) for e in entries}
    wanting = [e for e in entries if e.path in views and views[e.path].cut]
    spare = budget - sum(counter.count(s) for s in sections.values())
    for entry in wanting:  # what the others left goes to the files that wanted more than their share
        views[entry.path] = view(entry, shares[entry.path] + spare // len(wanting))
        sections[entry.path] = _section(entry, views[entry.path])
    shown = []
    for entry in entries:
        chosen = views.get(entry.path)
        shown.append(
            FileShown(
                entry.path,
                counter.count(sections[entry.path]),
                chosen is not None and chosen.whole,
                chosen.ranges if chosen is not None else (),
            )
        )
    text = "\n".join(sections.values()) if sections else "(the step names no files)\n"
    return StepContext(tuple(shown), text, counter.count(text))


def step_files_context(root: Path, paths: list[str], counter: TokenCounter, *, budget: int, step_text: str = "") -> str:
    """The text of ``step_context`` for the files a step changes."""
    return step_context(root, paths, counter, budget=budget, step_text=step_text).text


def _load(root: Path, path: str, role: str) -> _Entry:
    if is_secret(path):
        return _Entry(path, role, None, "(left out: it looks like a secrets file)")
    try:
        target = confined_path(root, path)
    except EditError as exc:
        return _Entry(path, role, None, f"(not shown: {exc})")
    if not target.exists():
        return _Entry(path, role, None, "(does not exist yet: create it with an empty SEARCH)")
    text = read_text(target)
    if text is None:
        return _Entry(path, role, None, "(binary file: not shown, do not edit)")
    return _Entry(path, role, mask_text(text))


def _symbols(path: str, text: str | None) -> list[Symbol]:
    if text is None:
        return []
    if language_of(path):
        return extract_symbols(path, text.encode("utf-8"))
    return headings(file_lines(text)) if is_document(path, text) else []  # a '# comment' is no heading


def _section(entry: _Entry, view: View | None) -> str:
    role = _ROLE_NOTES[entry.role]
    if entry.text is None or view is None:
        return f"## {entry.path}{role}\n{entry.note}\n"
    lines = file_lines(entry.text)
    body = render_view(lines, view)
    if view.whole:  # as it is, to the byte: SEARCH text copied from it matches
        body = entry.text if entry.text.endswith("\n") or not entry.text else entry.text + "\n"
    else:
        shown = sum(last - first + 1 for first, last in view.ranges)
        role += f" ({shown} of its {len(lines)} lines, numbered; the numbers are not part of the file)"
    fence = "````" if "```" in body else "```"
    return f"## {entry.path}{role}\n{fence}\n{body}{fence}\n"
