"""Tests that test the change: a step's new or changed tests, run against the base commit's code.

A test that already passes without the step's change does not test it: it is green before and
after, and would stay green if the change were wrong. The step's test files (as the step left
them) are copied into a scratch worktree of the base commit and run there; failing there is what
a test of the change does.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gearshift.checks import run_check
from gearshift.workspace import git

# Where tests live, by the conventions of pytest, go test, jest/vitest/mocha/ava and JUnit.
_TEST_PATH = re.compile(
    r"(^|/)(tests?|__tests__|specs?)/"
    r"|(^|/)(test_[^/]*|[^/]*_test)\.py$"
    r"|(^|/)conftest\.py$"
    r"|_test\.go$"
    r"|\.(test|spec)\.[cm]?[jt]sx?$"
    r"|(^|/)src/test/"
)
# Folders of installed dependencies a scratch checkout borrows from the run's checkout (not in git).
_BORROWED = ("node_modules", ".venv", "venv")


def find_test_files(paths: Iterable[str]) -> list[str]:
    """The paths among ``paths`` that are tests (or test fixtures), by where they live and their names."""
    return sorted(p for p in paths if _TEST_PATH.search(p))


# Runners that find every test file themselves: what they pass, they ran.
_DISCOVERING = {
    "pytest",
    "py.test",
    "go",
    "cargo",
    "jest",
    "vitest",
    "mocha",
    "ava",
    "npm",
    "npx",
    "pnpm",
    "yarn",
    "bun",
}


@dataclass(frozen=True)
class BaseProbe:
    files: tuple[str, ...]
    passes_at_base: bool | None  # None: it cannot be told; ``unknown`` says why
    output: str
    unknown: str = ""

    @property
    def verdict(self) -> str:
        """What the ledger, the reviewer and `gearshift show` are told."""
        if self.passes_at_base is None:
            return f"cannot tell whether they test the change ({self.unknown})"
        if self.passes_at_base:
            return "pass on the base commit's code too: they do not test the change"
        return "fail on the base commit's code: they test the change"


def probe_at_base(
    root: Path,
    checkout: Path,
    base: str,
    files: list[str],
    command: str,
    *,
    timeout: float,
    shell: bool,
    base_passed: bool | None,
) -> BaseProbe:
    """Run ``command`` (narrowed to ``files`` for pytest) in a scratch worktree of ``base`` that has
    ``files`` as they are in ``checkout``. Only what can be told is told: a pass counts where the
    runner surely ran the files; a failure where it ran just them, or where the base passed before."""
    with scratch_worktree(root, base) as scratch:
        for name in files:
            source = checkout / name
            if source.is_file():
                (scratch / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, scratch / name)
        for folder in _BORROWED:
            if (checkout / folder).is_dir() and not (scratch / folder).exists():
                os.symlink(checkout / folder, scratch / folder)
        asked = narrowed(command, files, shell=shell)
        environ = {**os.environ, "PYTHONPATH": _python_path(scratch)}
        result = run_check(asked, scratch, timeout=timeout, shell=shell, environ=environ)
    just_these = asked != command
    found = tuple(files)
    if result.timed_out:
        return BaseProbe(found, None, result.output, "the run on the base commit timed out")
    if result.passed:
        if just_these or _discovers(command, shell=shell):
            return BaseProbe(found, True, result.output)
        return BaseProbe(found, None, result.output, "the test command may not run them")
    if just_these or base_passed:
        return BaseProbe(found, False, result.output)
    return BaseProbe(found, None, result.output, "the check failed on the base commit already")


def narrowed(command: str, files: list[str], *, shell: bool) -> str:
    """For pytest, the command with just the step's test modules; any other runner runs as it is."""
    if shell:
        return command
    words = shlex.split(command)
    runs_pytest = any(Path(w).name in ("pytest", "py.test") for w in words[:1]) or (
        len(words) >= 3 and words[1:3] == ["-m", "pytest"]
    )
    modules = [f for f in files if f.endswith(".py") and not f.endswith("conftest.py")]
    if not runs_pytest or not modules:
        return command
    return shlex.join([*words, *modules])


def _discovers(command: str, *, shell: bool) -> bool:
    words = command.split() if shell else shlex.split(command)
    first = Path(words[0]).name if words else ""
    return first in _DISCOVERING or (len(words) >= 3 and words[1] == "-m" and words[2] in _DISCOVERING)


def _python_path(scratch: Path) -> str:
    # an editable install points at the run's checkout: the base commit's code must come first
    first = [str(scratch / "src"), str(scratch)] if (scratch / "src").is_dir() else [str(scratch)]
    rest = os.environ.get("PYTHONPATH")
    return os.pathsep.join([*first, rest] if rest else first)


@contextlib.contextmanager
def scratch_worktree(root: Path, commit: str) -> Iterator[Path]:
    """A detached worktree of ``commit`` in a temporary directory, removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="gearshift-base-"))
    path = parent / "base"
    git(root, "worktree", "add", "-q", "--detach", str(path), commit)
    try:
        yield path
    finally:
        git(root, "worktree", "remove", "--force", str(path), check=False)
        shutil.rmtree(parent, ignore_errors=True)
