"""Finding and killing every process a check started, detached daemons included, even after gearshift dies.

Each check runs with a marker variable in its environment, ``_GEARSHIFT_CHECK_<token>=1``, which
every descendant inherits whatever it does to its process group or session: a daemon that
double-forks and calls setsid escapes ``killpg`` but not the marker. On Linux the marker is
read from ``/proc/<pid>/environ``; on macOS, which has no /proc, from ``ps -E``. Elsewhere
(and for a descendant that clears its own environment) only the process group is killed.

When gearshift itself dies, even by ``kill -9``, a watchdog does the same: a small process
started with the check that holds the reading end of a pipe from gearshift; when the pipe
closes, it kills the marked processes and exits. It runs this file as a script (stdlib only,
so it starts without importing gearshift) in its own session, so a Ctrl-C or a signal sent to
gearshift's process group does not take it along before it has done its job. (Linux's
PR_SET_PDEATHSIG is no substitute: it reaches only the direct child, it fires when the *thread*
that started the child ends, and setting it needs a preexec_fn, which is unsafe in a program
with threads.)
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

# Not GEARSHIFT_*: the settings read those, and a check may run gearshift. The token is in the
# name, not the value, so that a check run inside a check (gearshift testing itself) keeps the
# outer marker too, and the outer sweep still finds everything.
_MARKER_PREFIX = "_GEARSHIFT_CHECK_"
_ROUNDS = 50  # a process forking while it is killed is found by the next scan
_PROC = Path("/proc")


def marker(token: str) -> dict[str, str]:
    """The variable that marks a check's processes, to add to its environment."""
    return {f"{_MARKER_PREFIX}{token}": "1"}


def marked_pids(token: str) -> list[int]:
    """The processes (other than this one) whose environment carries the check's marker."""
    needle = f"{_MARKER_PREFIX}{token}=".encode()
    own = os.getpid()
    if _PROC.is_dir():
        return [pid for pid in _proc_pids() if pid != own and b"\0" + needle in _environ(pid)]
    if sys.platform == "darwin":
        return [pid for pid in _ps_pids(b" " + needle) if pid != own]
    return []  # no way to read another process's environment here: the process group is all we reach


def _proc_pids() -> Iterable[int]:
    try:
        names = os.listdir(_PROC)
    except OSError:
        return []
    return (int(name) for name in names if name.isdigit())


def _environ(pid: int) -> bytes:
    """The process's environment as it was at its start, each entry after a NUL."""
    try:
        return b"\0" + (_PROC / str(pid) / "environ").read_bytes()
    except OSError:  # gone, or not ours to read (another user's process cannot be one of ours)
        return b""


def _ps_pids(needle: bytes) -> list[int]:
    # macOS's ps -E appends each process's environment (as it was at launch) to its command.
    try:
        listing = subprocess.run(
            ["ps", "-A", "-E", "-ww", "-o", "pid=,command="], capture_output=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    pids = []
    for line in listing.splitlines():
        first, _, rest = line.strip().partition(b" ")
        if first.isdigit() and needle in rest:
            pids.append(int(first))
    return pids


def kill_marked(token: str, *, group: int | None = None) -> None:
    """SIGKILL every marked process and, if given, the process group ``group``, until none is left."""
    if group is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
    for _ in range(_ROUNDS):
        pids = marked_pids(token)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)  # a killed process keeps its environment until it has finished dying


class Watchdog:
    """A process that kills the check's marked processes when gearshift closes its pipe, or dies."""

    def __init__(self, token: str) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        if getattr(sys, "frozen", False):
            return  # a frozen app's sys.executable is the app, not an interpreter that runs this file
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", str(Path(__file__).resolve())],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            assert self._process.stdin is not None
            self._process.stdin.write(token.encode() + b"\n")
            self._process.stdin.flush()
        except (OSError, ValueError):
            # No interpreter to start (an embedded Python) or no file to run (a zipped install):
            # gearshift still kills the check itself; only a kill -9 of gearshift goes unanswered.
            self.stop()

    def stop(self) -> None:
        """Close the pipe (the watchdog sweeps once more and exits) and reap it."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            assert process.stdin is not None
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _watch() -> None:
    """The watchdog's body: read the token, wait for the pipe to close, kill what carries the token."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # its job is to outlive an interrupted gearshift
    token = sys.stdin.buffer.readline().strip().decode()
    if not token:
        return
    while sys.stdin.buffer.read(4096):
        pass
    kill_marked(token)


if __name__ == "__main__":
    _watch()
