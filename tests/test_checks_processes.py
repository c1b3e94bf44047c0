"""A check can neither hang gearshift nor outlive it: real processes, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gearshift.checks import run_check

# A test command that starts a daemon the classic way (fork, setsid, fork again: out of its
# process group and session), which keeps the output pipe open and sleeps; the command itself
# then exits at once, or sleeps too.
DAEMON = """\
import os, sys, time
pid_dir, then = sys.argv[1], sys.argv[2]
daemon_pid = os.path.join(pid_dir, "daemon.pid")
open(os.path.join(pid_dir, "command.pid"), "w").write(str(os.getpid()))
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        print("daemon: started", flush=True)
        open(daemon_pid + ".tmp", "w").write(str(os.getpid()))
        os.rename(daemon_pid + ".tmp", daemon_pid)
        time.sleep(300)
    os._exit(0)
while not os.path.exists(daemon_pid):  # leave only once the daemon is up
    time.sleep(0.01)
print("command: done", flush=True)
if then == "sleep":
    time.sleep(300)
"""


def daemon_command(tmp_path: Path, then: str) -> str:
    script = tmp_path / "daemon.py"
    script.write_text(DAEMON)
    return f"{sys.executable} {script} {tmp_path} {then}"


def alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie waiting for its parent (which is as good as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    try:
        return "(zombie)" not in status.read_text()
    except FileNotFoundError:
        return not status.parent.parent.exists()  # no /proc (macOS): kill(0) is all there is
    except OSError:
        return False


def wait_until_gone(*pids: int, seconds: float = 10) -> list[int]:
    """The pids still running after ``seconds``: the test's bound on "shortly", not on speed."""
    until = time.monotonic() + seconds
    while any(alive(pid) for pid in pids) and time.monotonic() < until:
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def read_pid(path: Path, seconds: float = 20) -> int:
    until = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < until, f"{path.name} never appeared"
        time.sleep(0.05)
    return int(path.read_text())


@pytest.mark.timeout(60)
def test_a_daemon_holding_the_output_neither_hangs_the_check_nor_outlives_it(tmp_path: Path) -> None:
    result = run_check(daemon_command(tmp_path, "exit"), tmp_path, timeout=30)
    assert (result.passed, result.exit_code) == (True, 0)
    assert "command: done" in result.output and "daemon: started" in result.output
    assert wait_until_gone(read_pid(tmp_path / "daemon.pid")) == []


@pytest.mark.timeout(60)
def test_at_the_time_limit_the_command_and_its_daemon_are_killed(tmp_path: Path) -> None:
    result = run_check(daemon_command(tmp_path, "sleep"), tmp_path, timeout=2)
    assert result.timed_out and not result.passed
    assert "killed after the 2s time limit" in result.output
    pids = read_pid(tmp_path / "command.pid"), read_pid(tmp_path / "daemon.pid")
    assert wait_until_gone(*pids) == []


GEARSHIFT_LIKE = """\
import sys
from pathlib import Path
from gearshift.checks import run_check
run_check(sys.argv[1], Path(sys.argv[2]), timeout=120)
"""


@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    ("signum", "exit_code"),
    [
        (signal.SIGKILL, -signal.SIGKILL),  # the watchdog answers
        (signal.SIGTERM, -signal.SIGTERM),  # killed first, then the signal takes its course
        (signal.SIGINT, -signal.SIGINT),  # KeyboardInterrupt, then Python exits as interrupted
    ],
    ids=["kill-9", "sigterm", "ctrl-c"],
)
def test_when_gearshift_is_stopped_the_check_goes_with_it(tmp_path: Path, signum: int, exit_code: int) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", GEARSHIFT_LIKE, daemon_command(tmp_path, "sleep"), str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        pids = read_pid(tmp_path / "command.pid"), read_pid(tmp_path / "daemon.pid")
        parent.send_signal(signum)
        _, stderr = parent.communicate(timeout=30)
        assert parent.returncode == exit_code, stderr.decode()
        assert wait_until_gone(*pids) == []
    finally:
        parent.kill()
        parent.wait()


@pytest.mark.timeout(60)
def test_a_check_inside_a_check_is_found_by_the_outer_one(tmp_path: Path) -> None:
    # gearshift checking gearshift: the inner check's processes carry both markers, so killing
    # the outer check outright still takes the inner check's daemon along.
    inner = daemon_command(tmp_path, "sleep")
    outer_script = tmp_path / "outer.py"
    outer_script.write_text(GEARSHIFT_LIKE)
    parent = subprocess.Popen(
        [sys.executable, "-c", GEARSHIFT_LIKE, f"{sys.executable} {outer_script} '{inner}' {tmp_path}", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        pids = read_pid(tmp_path / "command.pid"), read_pid(tmp_path / "daemon.pid")
        parent.kill()
        parent.wait(timeout=30)
        assert wait_until_gone(*pids) == []
    finally:
        parent.kill()
        parent.wait()
