"""The current content of a step's files, within the step's token budget.

Each file is shown in full when all of them fit. A file too large for its share shows its
header (imports), the whole of every symbol the step names, and only the signatures of the
rest, with the elided line ranges marked; SEARCH blocks must then stay within the lines shown.
Secret values are masked (gearshift.secrets) before anything is measured or cut; masking keeps
line breaks, so the line ranges marked are the file's own.
"""

from __future__ import annotations

import re
from pathlib import Path

from gearshift.context.files import is_secret, read_text
from gearshift.context.symbols import Symbol, extract_symbols, language_of
from gearshift.context.tokens import TokenCounter
from gearshift.edits import confined_path
from gearshift.errors import EditError
from gearshift.secrets import mask_text

HEADER_LINES = 40


def step_files_context(root: Path, paths: list[str], counter: TokenCounter, *, budget: int, step_text: str = "") -> str:
    entries: list[tuple[str, str | None, str]] = []  # (path, text, note)
    for path in dict.fromkeys(paths):
        if is_secret(path):
            entries.append((path, None, "(left out: it looks like a secrets file)"))
            continue
        try:
            target = confined_path(root, path)
        except EditError as exc:
            entries.append((path, None, f"(not shown: {exc})"))
            continue
        if not target.exists():
            entries.append((path, None, "(does not exist yet: create it with an empty SEARCH)"))
            continue
        text = read_text(target)
        if text is None:
            entries.append((path, None, "(binary file: not shown, do not edit)"))
        else:
            entries.append((path, mask_text(text), ""))
    sizes = {path: counter.count(text) for path, text, _ in entries if text is not None}
    fits = sum(sizes.values()) <= budget
    share = budget // max(1, len(sizes))
    wanted = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", step_text))
    parts = []
    for path, text, note in entries:
        if text is None:
            parts.append(f"## {path}\n{note}\n")
            continue
        if not fits and sizes[path] > share:
            text = excerpt(path, text, wanted, counter, share)
        fence = "````" if "```" in text else "```"
        parts.append(f"## {path}\n{fence}\n{text}{'' if text.endswith(chr(10)) else chr(10)}{fence}\n")
    return "\n".join(parts) if parts else "(the step names no files)\n"


def excerpt(path: str, text: str, wanted: set[str], counter: TokenCounter, budget: int) -> str:
    """The parts of a large file that matter for the step, within ``budget`` tokens: the header, the
    symbols the step names in full, then the signatures nearest to them while the budget lasts."""
    lines = text.splitlines(keepends=True)
    symbols = extract_symbols(path, text.encode("utf-8")) if language_of(path) else []
    keep = [False] * len(lines)
    first = min((s.line for s in symbols), default=len(lines) + 1) - 1
    for index in range(min(first, HEADER_LINES, len(lines))):
        keep[index] = True

    def fits(candidate: list[bool]) -> bool:
        return counter.count(_render(lines, candidate)) <= budget

    named = [s for s in symbols if s.name in wanted]
    for symbol in sorted(named, key=lambda s: s.end_line - s.line):  # the smallest first
        trial = list(keep)
        _mark(trial, symbol)
        if fits(trial):
            keep = trial
    anchors = [s.line for s in named] or [1]
    others = sorted((s for s in symbols if s not in named), key=lambda s: min(abs(s.line - a) for a in anchors))
    for start in range(0, len(others), 8):  # signatures in batches of eight, nearest first
        trial = list(keep)
        for symbol in others[start : start + 8]:
            trial[symbol.line - 1] = True
        if not fits(trial):
            break
        keep = trial
    shown = _render(lines, keep)
    if counter.count(shown) > budget:  # even the header is too long: cut it
        cut = shown[: int(len(shown) * budget / max(1, counter.count(shown)))]
        shown = cut.rsplit("\n", 1)[0] + "\n[gearshift: the rest of the file is left out]\n"
    return shown


def _mark(keep: list[bool], symbol: Symbol) -> None:
    for index in range(symbol.line - 1, min(symbol.end_line, len(keep))):
        keep[index] = True


def _render(lines: list[str], keep: list[bool]) -> str:
    out: list[str] = []
    index = 0
    while index < len(lines):
        if keep[index]:
            out.append(lines[index] if lines[index].endswith("\n") else lines[index] + "\n")
            index += 1
            continue
        start = index
        while index < len(lines) and not keep[index]:
            index += 1
        out.append(f"[gearshift: lines {start + 1}-{index} not shown; SEARCH only in lines shown]\n")
    return "".join(out)
