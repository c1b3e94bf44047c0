"""The current content of a step's files, bounded by a token budget."""

from __future__ import annotations

from pathlib import Path

from gearshift.context.files import is_secret, read_text
from gearshift.edits import EditError, confined_path


def step_files_context(root: Path, paths: list[str], *, max_chars: int = 48_000) -> str:
    """Each file in full when all fit; otherwise every file gets an equal share, cut with a note."""
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
        entries.append((path, text, "" if text is not None else "(binary file: not shown, do not edit)"))
    texts = [len(text) for _, text, _ in entries if text is not None]
    share = max_chars // max(1, len(texts)) if sum(texts) > max_chars else None
    parts = []
    for path, text, note in entries:
        if text is None:
            parts.append(f"## {path}\n{note}\n")
            continue
        if share is not None and len(text) > share:
            kept = text[:share].rsplit("\n", 1)[0]
            left = text.count("\n") - kept.count("\n")
            text = kept + f"\n[gearshift: {left} more lines not shown; SEARCH only in the lines shown]\n"
        fence = "````" if "```" in text else "```"
        parts.append(f"## {path}\n{fence}\n{text}{'' if text.endswith(chr(10)) else chr(10)}{fence}\n")
    return "\n".join(parts) if parts else "(the step names no files)\n"
