"""What a fix sees: the step's files, and the files its failure names, around the lines it names.

A traceback names files by absolute path, by path from the repository root, or (go test) by bare
file name; only files inside the repository are shown, tests included, and never one of the
installed packages a traceback passes through. Each file is shown around the lines its frames
name, with the failing tests' own definitions, on top of what the step text picks.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from gearshift.context.failure import Failure, failing_places
from gearshift.context.files import SKIPPED_DIRS, list_files
from gearshift.context.step_files import StepContext, step_context
from gearshift.context.tokens import TokenCounter

MAX_FAILURE_FILES = 6  # files a failure adds to the step's, the innermost frames' first
MAX_FOCUS_LINES = 8  # lines named per file
_INSTALLED = {"site-packages", "dist-packages", "node_modules", "vendor", ".venv", "venv"}


def failure_context(
    root: Path,
    paths: Sequence[str],
    counter: TokenCounter,
    *,
    budget: int,
    step_text: str,
    failure: Failure,
    reads: Sequence[str] = (),
) -> StepContext:
    """The step's files (``paths``, ``reads``) and the failure's, each around what the failure names."""
    finder = _Finder(root, [*paths, *reads])
    test_files, test_names = failing_places(failure.tests)
    focus: dict[str, list[int]] = {}
    ordered: list[str] = []
    for raw in test_files:
        found = finder.find(raw)
        if found is not None:
            ordered.append(found)
    for frame in reversed(failure.frames):  # the innermost frames are the last
        found = finder.find(frame.path)
        if found is None:
            continue
        ordered.append(found)
        lines = focus.setdefault(found, [])
        if len(lines) < MAX_FOCUS_LINES and frame.line not in lines:
            lines.append(frame.line)
    known = set(paths) | set(reads)
    failing = [p for p in dict.fromkeys(ordered) if p not in known][:MAX_FAILURE_FILES]
    return step_context(
        root,
        list(paths),
        counter,
        budget=budget,
        step_text=step_text,
        reads=reads,
        failing=failing,
        focus=focus,
        named=test_names,
    )


class _Finder:
    """Repository paths for the paths a failure writes, looking the repository's files up only when needed."""

    def __init__(self, root: Path, preferred: list[str]) -> None:
        self.root = root
        self.resolved = root.resolve()
        self.preferred = preferred
        self._files: list[str] | None = None
        self._cache: dict[str, str | None] = {}

    def find(self, raw: str) -> str | None:
        if raw not in self._cache:
            self._cache[raw] = self._find(raw)
        return self._cache[raw]

    def _find(self, raw: str) -> str | None:
        path = raw.replace("\\", "/")
        if path.startswith("/") or (len(path) > 2 and path[1] == ":"):
            try:
                path = Path(path).resolve().relative_to(self.resolved).as_posix()
            except (ValueError, OSError):
                return None  # outside the repository: the standard library, an installed package
        path = posixpath.normpath(path).removeprefix("./")
        if path.startswith("../") or _INSTALLED.intersection(PurePosixPath(path).parts):
            return None
        if (self.root / path).is_file() and not SKIPPED_DIRS.intersection(PurePosixPath(path).parts):
            return path
        suffix = "/" + path  # go test names a file from its package's directory
        mine = [p for p in self.preferred if p.endswith(suffix)]
        if len(mine) == 1:
            return mine[0]
        if self._files is None:
            self._files = list_files(self.root)
        theirs = [p for p in self._files if p.endswith(suffix)]
        return theirs[0] if len(theirs) == 1 else None
