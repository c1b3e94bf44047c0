"""Running the project's checks (its test command) for a step's verdict: bounded, and leaving nothing behind.

The command runs in its own session, with gearshift's environment minus its secrets and with a
marker that every process it starts inherits (see ``reaper``). The check is over when the
command exits (its leftovers get a moment to finish writing) or at the time limit; either way,
every marked process is then killed: a daemon that detached and kept the output pipe open can
neither hang gearshift nor outlive the check. Ctrl-C and SIGTERM kill them before gearshift
stops, and a watchdog kills them if gearshift is killed outright. Output is kept by bytes, its
start and its end, so a test that prints 100 MB costs gearshift a fixed amount of memory.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shlex
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from gearshift.check_env import check_environment, redact, secret_values
from gearshift.clip import clip_chars, clip_lines
from gearshift.errors import GearshiftError, UsageError
from gearshift.reaper import Watchdog, kill_marked, marker
from gearshift.shell_syntax import validate_command

__all__ = ["CheckResult", "check_environment", "run_check", "truncate_output", "validate_command"]

OUTPUT_HEAD_BYTES = 64 * 1024  # what a check's output keeps of its start ...
OUTPUT_TAIL_BYTES = 192 * 1024  # ... and of its end, where test runners sum up
PROMPT_OUTPUT_CHARS = 20_000  # what truncate_output keeps by default, after cutting by lines
_CHUNK = 64 * 1024
_POLL = 0.1  # how often to look whether the command exited while its pipe stays open
_LEFTOVER_GRACE = 1.0  # after the command exits, how long what it left behind may still write
_DRAIN = 1.0  # after the kill, how long to read what is still in the pipe
_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


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
    environ: Mapping[str, str] | None = None,
) -> CheckResult:
    """Run ``command`` in ``cwd`` (without a shell unless asked) and kill all it started when it is over.

    ``environ`` (default: gearshift's own) is passed on without its secrets. Raises UsageError,
    before anything runs, for a command that cannot run as written.
    """
    validate_command(command, shell=shell)
    source = os.environ if environ is None else environ
    token = uuid.uuid4().hex
    output = _Output()
    started = time.monotonic()
    process: subprocess.Popen[bytes] | None = None
    with _signals_as_exceptions():
        watchdog = Watchdog(token)
        try:
            process = _start(command, cwd, check_environment(source) | marker(token), shell)
            timed_out = _capture(process, output, deadline=started + timeout)
        finally:
            _end(process, token, output)
            watchdog.stop()
    assert process is not None
    text = redact(output.text(), secret_values(source, cwd))
    code = None if timed_out else process.returncode
    if code is None:
        text += f"\n[gearshift: killed after the {timeout:.0f}s time limit]\n"
    return CheckResult(command, code == 0, code, text, time.monotonic() - started)


def truncate_output(text: str, *, head: int = 60, tail: int = 140, max_chars: int = PROMPT_OUTPUT_CHARS) -> str:
    """Keep the start and the end of long output (failures are usually summarised at the end).

    Cut by lines, then by characters, for output made of a few huge lines.
    """
    return clip_chars(clip_lines(text, head=head, tail=tail), limit=max_chars, head_share=0.3)


def _start(command: str, cwd: Path, env: dict[str, str], shell: bool) -> subprocess.Popen[bytes]:
    argv: str | list[str] = command if shell else shlex.split(command)
    first = command if shell else argv[0]
    try:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            shell=shell,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # no terminal's Ctrl-C reaches it half-way; gearshift ends it
        )
    except FileNotFoundError:
        raise UsageError(f"test command not found: {first}; check --test-cmd") from None
    except PermissionError:
        raise UsageError(f"test command is not executable: {first}; check --test-cmd") from None


def _capture(process: subprocess.Popen[bytes], output: _Output, *, deadline: float) -> bool:
    """Read the output until the command has exited and its pipe closed (or the grace passed): False;
    or until the deadline: True."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    exited_at: float | None = None
    reading = True
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            if exited_at is None and _exited(process):
                exited_at = now
            if exited_at is not None:
                if not reading or now >= exited_at + _LEFTOVER_GRACE:
                    return False
                until = exited_at + _LEFTOVER_GRACE
            elif now >= deadline:
                return True
            else:
                until = deadline
            wait = min(_POLL, until - now)
            if not reading:
                time.sleep(wait)
            elif selector.select(wait):
                chunk = os.read(fd, _CHUNK)
                if chunk:
                    output.add(chunk)
                else:
                    reading = False


def _exited(process: subprocess.Popen[bytes]) -> bool:
    """Has the command exited? Without reaping it where the system allows: as an unreaped zombie
    its pid, which is also its process group's id, cannot be reused before the group is killed."""
    if hasattr(os, "waitid") and hasattr(os, "WNOWAIT"):  # Linux; not macOS, whose Python lacks waitid
        try:
            flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
            return os.waitid(os.P_PID, process.pid, flags) is not None
        except ChildProcessError:
            return True
    return process.poll() is not None


def _end(process: subprocess.Popen[bytes] | None, token: str, output: _Output) -> None:
    """Kill every process of the check, keep what they had written, and reap the command."""
    if process is None:  # interrupted while starting: anything already started carries the marker
        kill_marked(token)
        return
    # Once reaped (macOS), the group's id may belong to someone else: then the marker alone finds them.
    kill_marked(token, group=process.pid if process.returncode is None else None)
    with contextlib.suppress(OSError):
        process.kill()  # a command that moved to another group, where the marker cannot be read
    assert process.stdout is not None
    _drain(process.stdout.fileno(), output)
    process.stdout.close()
    process.wait()


def _drain(fd: int, output: _Output) -> None:
    """Read what is left in the pipe; not forever, in case a writer escaped the kill."""
    until = time.monotonic() + _DRAIN
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while (left := until - time.monotonic()) > 0 and selector.select(left):
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                return
            output.add(chunk)


class _Output:
    """A command's output, its start and its end kept in fixed room, with the count of what fell between."""

    def __init__(self) -> None:
        self._head = bytearray()
        self._tail = bytearray()
        self._left_out = 0

    def add(self, chunk: bytes) -> None:
        room = OUTPUT_HEAD_BYTES - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
        self._tail += chunk
        excess = len(self._tail) - OUTPUT_TAIL_BYTES
        if excess > 0:
            del self._tail[:excess]
            self._left_out += excess

    def text(self) -> str:
        head = self._head.decode("utf-8", "replace")
        tail = self._tail.decode("utf-8", "replace")
        if not self._left_out:
            return head + tail
        return f"{head}\n[gearshift: {self._left_out:,} bytes of output left out]\n{tail}"


class _Stopped(BaseException):
    """SIGTERM or SIGHUP while a check runs; a BaseException, so no ``except Exception`` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_as_exceptions() -> Iterator[None]:
    """While a check runs, SIGTERM and SIGHUP raise, so that run_check's ``finally`` kills the check's
    processes; then the signal is sent again to the handler that was there before (by default, it
    ends gearshift as it would have). Ctrl-C needs nothing: Python raises KeyboardInterrupt already.

    Handlers can only be set from the main thread; a check run from another thread relies on
    the watchdog when gearshift dies.
    """
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in _STOP_SIGNALS:
            handler = signal.getsignal(signum)
            if handler not in (signal.SIG_IGN, None):  # ignored: leave it so; None: set outside Python
                previous[signum] = handler
                signal.signal(signum, _raise_stopped_once())
    try:
        yield
    except _Stopped as stop:
        _restore(previous)
        signal.raise_signal(stop.signum)
        # The earlier handler returned: gearshift goes on, but this check cannot.
        name = signal.Signals(stop.signum).name
        raise GearshiftError(f"the test command was stopped: gearshift received {name}") from None
    finally:
        _restore(previous)


def _raise_stopped_once() -> Callable[[int, FrameType | None], None]:
    raised = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal raised
        if not raised:  # a second signal must not cut short the cleanup the first one started
            raised = True
            raise _Stopped(signum)

    return handler


def _restore(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)
    previous.clear()
