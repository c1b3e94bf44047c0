"""A plain, bounded map of the repository: every file with its line count, then the README."""

from __future__ import annotations

from pathlib import Path

from gearshift.context.files import list_files, read_text


def repo_listing(root: Path, *, max_chars: int = 24_000) -> str:
    lines: list[str] = []
    size = 0
    files = list_files(root)
    for index, path in enumerate(files):
        text = read_text(root / path)
        entry = f"{path} ({text.count(chr(10)) + 1 if text else 0} lines)" if text is not None else f"{path} (binary)"
        if size + len(entry) > max_chars:
            lines.append(f"[... {len(files) - index} more files left out]")
            break
        lines.append(entry)
        size += len(entry) + 1
    return "\n".join(lines)
