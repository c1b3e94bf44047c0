"""A suite's task file: JSONL, a superset of SWE-bench's instance format.

SWE-bench Lite / Verified and SWE-smith rows load unchanged: ``instance_id``, ``repo``,
``base_commit``, ``problem_statement`` (the task), ``test_patch``, ``FAIL_TO_PASS`` and
``PASS_TO_PASS`` (JSON lists, or JSON strings of lists, as SWE-bench stores them). Optional:
``repo_path`` (a local clone or bare mirror; otherwise ``repo`` is cloned from GitHub),
``setup_cmd``, ``test_cmd`` (how to run given test ids; default pytest), ``accept_cmd`` (judges
instead of, or with, the tests) and ``timeout_s``. Other keys are ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gearshift.errors import UsageError

REQUIRED = ("instance_id", "base_commit", "problem_statement")
DEFAULT_TESTS_CMD = "python -m pytest -q -p no:cacheprovider"


@dataclass(frozen=True)
class SuiteTask:
    instance_id: str
    repo: str
    base_commit: str
    problem_statement: str
    test_patch: str | None = None
    fail_to_pass: tuple[str, ...] = ()
    pass_to_pass: tuple[str, ...] = ()
    repo_path: str | None = None
    setup_cmd: str | None = None
    test_cmd: str = DEFAULT_TESTS_CMD
    accept_cmd: str | None = None
    timeout_s: float | None = None

    def local_source(self, relative_to: Path) -> str | None:
        """The local clone or mirror the task names (relative to the task file), if any."""
        if not self.repo_path:
            return None
        path = Path(self.repo_path).expanduser()
        return str(path if path.is_absolute() else (relative_to / path).resolve())


def load_tasks(path: Path) -> list[SuiteTask]:
    """Every task in ``path``; a line that is not a task stops the load with its line number and why."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the task file {path}: {exc}") from None
    tasks: list[SuiteTask] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{where}: not a JSON object ({exc.msg}); one task per line") from None
        task = parse_task(data, where)
        if task.instance_id in seen:
            raise UsageError(f"{where}: instance_id {task.instance_id!r} is there twice; ids must be unique")
        seen.add(task.instance_id)
        tasks.append(task)
    if not tasks:
        raise UsageError(f"{path} holds no task; one JSON object per line, SWE-bench's format")
    return tasks


def parse_task(data: Any, where: str) -> SuiteTask:
    if not isinstance(data, dict):
        raise UsageError(f"{where}: a task is a JSON object, not {type(data).__name__}")
    missing = [key for key in REQUIRED if not _text(data.get(key))]
    if not _text(data.get("repo")) and not _text(data.get("repo_path")):
        missing.append("repo or repo_path")
    if missing:
        raise UsageError(f"{where}: missing {', '.join(missing)}")
    timeout = data.get("timeout_s")
    if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
        raise UsageError(f"{where}: timeout_s must be a positive number of seconds")
    task = SuiteTask(
        instance_id=str(data["instance_id"]),
        repo=str(data.get("repo") or ""),
        base_commit=str(data["base_commit"]),
        problem_statement=str(data["problem_statement"]),
        test_patch=data["test_patch"] if _text(data.get("test_patch")) else None,  # as is: a patch ends in a newline
        fail_to_pass=_tests(data.get("FAIL_TO_PASS"), where, "FAIL_TO_PASS"),
        pass_to_pass=_tests(data.get("PASS_TO_PASS"), where, "PASS_TO_PASS"),
        repo_path=_text(data.get("repo_path")) or None,
        setup_cmd=_text(data.get("setup_cmd")) or None,
        test_cmd=_text(data.get("test_cmd")) or DEFAULT_TESTS_CMD,
        accept_cmd=_text(data.get("accept_cmd")) or None,
        timeout_s=float(timeout) if timeout is not None else None,
    )
    if not task.fail_to_pass and not task.accept_cmd:  # a test patch alone runs no test: it judges nothing
        raise UsageError(f"{where}: nothing judges the task: give FAIL_TO_PASS (with test_patch) or accept_cmd")
    return task


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _tests(value: Any, where: str, key: str) -> tuple[str, ...]:
    """A list of test ids, given as a JSON list or as a JSON string holding one (SWE-bench's way)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise UsageError(f"{where}: {key} is a string but not a JSON list of test ids") from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UsageError(f"{where}: {key} must be a list of test ids (strings)")
    return tuple(value)
