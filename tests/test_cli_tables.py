"""Every table fits 80 columns (in an 80-column terminal, and on a pipe with COLUMNS=80) with one line
per row, figures whole and ids by their unique part, and is readable at 120."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fakeapi import FakeAPI
from scripted_model import ScriptedModel
from workflow_helpers import TASK, TEST_CMD, make_repo

from gearshift.ledger import CallRecord, Ledger

LONG_MODEL = "claude-sonnet-4-5-20250929"


@pytest.fixture
def ledger_with_a_run(cli, hermetic: Path, monkeypatch: pytest.MonkeyPatch, fake_api: FakeAPI):  # type: ignore[no-untyped-def]
    """A repository with one whole run, a second run's id that shares its start, and calls that stretch
    every column: a long model name, a failure, a huge token count, a price, a long time."""
    repo = make_repo(hermetic / "repo")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    ScriptedModel().serve(fake_api)
    monkeypatch.setenv("COLUMNS", "80")
    ran = cli("run", TASK, "--yes", "--test-cmd", TEST_CMD, "--base-url", fake_api.url)
    assert ran.exit_code == 0, ran.stderr
    [run] = json.loads(cli("runs", "--json").stdout)
    with Ledger(repo / ".gearshift" / "ledger.db") as ledger:
        for status, tokens in (("ok", 1_234_567), ("auth_error", 0)):
            ledger.record_call(
                CallRecord(
                    phase="implement",
                    provider="anthropic",
                    model=LONG_MODEL,
                    effort_requested="xhigh",
                    effort_sent="high",
                    status=status,
                    run_id=run["id"],
                    step=12,
                    input_tokens=tokens,
                    cached_tokens=tokens // 2,
                    output_tokens=tokens // 3,
                    reasoning_tokens=tokens // 4,
                    cost_usd=1.2345 if tokens else None,
                    latency_ms=123_456,
                )
            )
    return {"repo": repo, "run": run, "end": ran}


def lines_of(text: str, width: int) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    too_long = [line for line in lines if len(line) > width]
    assert too_long == [], "\n".join(too_long)
    return lines


def one_line_each(lines: list[str], starts: list[str]) -> None:
    """Each row is on one line: exactly one line starts with each row's first cell."""
    for start in starts:
        matching = [line for line in lines if re.match(rf"\s*{re.escape(start)}\s", line)]
        assert len(matching) == 1, (start, lines)


@pytest.mark.parametrize("width", [80, 120])
def test_calls_stats_and_runs_fit_with_one_line_per_row(cli, ledger_with_a_run, monkeypatch, width: int) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", str(width))
    run = ledger_with_a_run["run"]
    short = run["id"][-4:]

    calls = cli("calls", "-n", "50")
    lines = lines_of(calls.stdout, width)
    ids = [str(row["id"]) for row in json.loads(cli("calls", "--json", "-n", "50").stdout)]
    assert len(ids) == 8
    one_line_each(lines, ids)
    assert "…" not in calls.stdout  # nothing cut: a column that does not fit is left out whole
    assert "auth_error" in calls.stdout and "123.5s" in calls.stdout and "1.2M" in calls.stdout
    assert LONG_MODEL in calls.stdout or "model" not in lines[1]
    header = lines[1].split()
    assert header[:1] == ["id"] and header[-1] == "status"
    row = next(line for line in lines if line.lstrip().startswith(ids[-1] + " "))
    assert f" {short} " in row and run["id"] not in row  # the unique part of the run id
    if width >= 120:
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", calls.stdout)  # whole timestamps
        assert LONG_MODEL in calls.stdout

    stats = cli("stats")
    lines = lines_of(stats.stdout, width)
    one_line_each(lines, ["plan", "fix", "review", "total"])
    assert len([line for line in lines if line.startswith("implement ")]) == 2  # gpt-5.4 and the long one
    assert "$1.23 + 1 unknown" in stats.stdout and "2 (1 failed)" in stats.stdout
    assert "…" not in stats.stdout

    runs = cli("runs")
    lines = lines_of(runs.stdout, width)
    one_line_each(lines, [short])
    assert "done" in runs.stdout and "3/3" in runs.stdout


def test_the_end_of_a_run_and_show_fit_80_columns(cli, ledger_with_a_run, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    end = ledger_with_a_run["end"].stdout
    lines = lines_of(end.split("Run ", 2)[1], 80)  # the table per phase
    one_line_each(lines, ["plan", "implement", "fix", "review", "total"])
    assert not any(line.strip() in ("imple", "ment") for line in end.splitlines())

    shown = cli("show")
    lines = lines_of(shown.stdout, 80)
    one_line_each(lines[lines.index("Tokens per phase") :], ["plan", "implement", "review", "total"])
    steps = [line for line in lines if re.match(r"\s+[123]\s+\S", line)]
    assert len(steps) == 3  # a step's title would fit, so no row wraps
    assert "steps 1, 2, 3: implement at medium" in shown.stdout.replace("\n", " ")


def test_an_80_column_terminal_without_columns_set(ledger_with_a_run) -> None:  # type: ignore[no-untyped-def]
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gearshift", "calls"], cwd=ledger_with_a_run["repo"], env=env, stdout=slave
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        out += chunk
    process.wait(timeout=60)
    os.close(master)
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", out.decode()).replace("\r", "")
    lines = lines_of(text, 80)
    one_line_each(lines, [str(n) for n in range(1, 9)])
