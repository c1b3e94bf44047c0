"""Running the project's checks (its test command) with a time limit, for a step's verdict."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gearshift.errors import UsageError


@dataclass(frozen=True)
class CheckResult:
    command: str
    passed: bool
    exit_code: int | None  # None when it was killed at the time limit
    output: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.exit_code is None


def run_check(
    command: str,
    cwd: Path,
    *,
    timeout: float = 600,
    shell: bool = False,
    extra_env: Mapping[str, str] | None = None,
) -> CheckResult:
    """Run ``command`` without a shell unless asked; at the time limit kill its whole process group."""
    argv: str | list[str] = command if shell else shlex.split(command)
    if not argv:
        raise UsageError("the test command is empty; pass --test-cmd, e.g. --test-cmd 'pytest -q'")
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            shell=shell,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **extra_env} if extra_env else None,
            start_new_session=True,  # its own process group, so a hung child dies with it
        )
    except FileNotFoundError:
        first = argv if isinstance(argv, str) else argv[0]
        raise UsageError(f"test command not found: {first}; check --test-cmd") from None
    try:
        out, _ = process.communicate(timeout=timeout)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        _kill_group(process)
        out, _ = process.communicate()
        code = None
    text = out.decode("utf-8", "replace")
    if code is None:
        text += f"\n[gearshift: killed after the {timeout:.0f}s time limit]\n"
    return CheckResult(command, code == 0, code, text, time.monotonic() - started)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()


def truncate_output(text: str, *, head: int = 60, tail: int = 140) -> str:
    """Keep the start and the end of long output (failures are usually summarised at the end)."""
    lines = text.splitlines()
    if len(lines) <= head + tail:
        return text
    return "\n".join([*lines[:head], f"[... {len(lines) - head - tail} lines left out ...]", *lines[-tail:]])
