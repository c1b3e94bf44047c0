"""Running a provider's program: the prompt on stdin, its output kept, bounded in time, nothing left behind.

An agent CLI may run for minutes and start processes of its own (a shell, a language server, a
test run). Like a check (gearshift.checks), it runs in its own session with a marker variable
that every descendant inherits, so that at the end, or at the time limit, or when gearshift is
stopped, all of them are killed; a watchdog does it if gearshift is killed outright. Unlike a
check, it keeps its environment (the agent signs in with the user's own keys) and its stdout
apart from its stderr (stdout carries the machine-readable events).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from gearshift.errors import ProviderError, UsageError
from gearshift.reaper import Watchdog, kill_marked, marker

MAX_OUTPUT_BYTES = 64 * 1024 * 1024  # an event stream larger than this is a runaway, not a reply
_CHUNK = 64 * 1024
_GRACE = 1.0  # after the program exits, how long what it started may still write to its pipes


@dataclass(frozen=True)
class Finished:
    """How a program ended: its exit code (None when killed at the time limit) and what it wrote."""

    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.exit_code is None

    def last_error_line(self) -> str:
        """The last non-empty line of stderr (else stdout): what a failure message quotes."""
        for text in (self.stderr, self.stdout):
            line = next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")
            if line:
                return line[:300]
        return ""


def run_program(
    argv: list[str],
    *,
    cwd: Path,
    stdin: str,
    env: Mapping[str, str],
    timeout: float,
    log: Path | None = None,
    what: str = "",
) -> Finished:
    """Run ``argv`` (no shell) in ``cwd`` with ``stdin`` as its input; kill all it started when it is
    over or at ``timeout`` seconds. Its stdout is also written to ``log`` as it comes, when given.

    UsageError when the program cannot be started (``what`` says which setting names it);
    ProviderError when its output passes MAX_OUTPUT_BYTES.
    """
    token = uuid.uuid4().hex
    started = time.monotonic()
    watchdog = Watchdog(token)
    process: subprocess.Popen[bytes] | None = None
    out, err = bytearray(), bytearray()
    try:
        process = _start(argv, cwd, {**env, **marker(token)}, what)
        feeder = threading.Thread(target=_feed, args=(process.stdin, stdin.encode()), daemon=True)
        feeder.start()
        with contextlib.ExitStack() as stack:
            sink = stack.enter_context(log.open("ab")) if log is not None else None
            timed_out = _collect(process, out, err, sink, deadline=started + timeout)
    finally:
        if process is not None:
            kill_marked(token, group=process.pid if process.returncode is None else None)
            with contextlib.suppress(OSError):
                process.kill()
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
            process.wait()
        else:
            kill_marked(token)
        watchdog.stop()
    code = None if timed_out else process.returncode
    return Finished(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), time.monotonic() - started)


def _name(process: subprocess.Popen[bytes]) -> str:
    args = process.args
    return Path(str(args[0] if isinstance(args, list) else args)).name


def _start(argv: list[str], cwd: Path, env: Mapping[str, str], what: str) -> subprocess.Popen[bytes]:
    where = f" (set {what})" if what else ""
    try:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C at the terminal reaches gearshift, which ends the program
        )
    except FileNotFoundError:
        raise UsageError(f"{argv[0]}: program not found on PATH; install it or give its path{where}") from None
    except PermissionError:
        raise UsageError(f"{argv[0]}: not executable; check its permissions{where}") from None


def _feed(pipe: BinaryIO | None, data: bytes) -> None:
    """Write the prompt and close stdin; in a thread, since a program may write before it reads it all."""
    if pipe is None:
        return
    with contextlib.suppress(OSError):  # BrokenPipeError: the program did not want (all of) it
        pipe.write(data)
    with contextlib.suppress(OSError):
        pipe.close()


def _collect(
    process: subprocess.Popen[bytes], out: bytearray, err: bytearray, sink: BinaryIO | None, *, deadline: float
) -> bool:
    """Read stdout and stderr until both close after the exit (or the grace passed): False; or until
    the deadline: True."""
    assert process.stdout is not None and process.stderr is not None
    open_fds = {process.stdout.fileno(): out, process.stderr.fileno(): err}
    exited_at: float | None = None
    with selectors.DefaultSelector() as selector:
        for fd in open_fds:
            selector.register(fd, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            if exited_at is None and process.poll() is not None:
                exited_at = now
            if exited_at is not None and (not open_fds or now >= exited_at + _GRACE):
                return False
            if exited_at is None and now >= deadline:
                return True
            until = exited_at + _GRACE if exited_at is not None else deadline
            if not open_fds:
                time.sleep(min(0.05, until - now))
                continue
            for key, _ in selector.select(min(0.1, max(until - now, 0))):
                fd = int(key.fd)
                chunk = os.read(fd, _CHUNK)
                if not chunk:
                    selector.unregister(fd)
                    del open_fds[fd]
                    continue
                buffer = open_fds[fd]
                buffer += chunk
                if sink is not None and buffer is out:
                    sink.write(chunk)
                if len(out) + len(err) > MAX_OUTPUT_BYTES:
                    raise ProviderError(
                        f"{_name(process)}: wrote more than {MAX_OUTPUT_BYTES // 2**20} MB of output; stopped it",
                        status="error",
                    )
