from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from gearshift.checks import run_check, truncate_output
from gearshift.errors import BudgetReached, UsageError
from gearshift.gateway import Budget, Gateway
from gearshift.ledger import CallRecord, Ledger
from gearshift.workspace import diff


def test_a_passing_and_a_failing_check(tmp_path: Path) -> None:
    ok = run_check(f"{sys.executable} -c \"print('fine')\"", tmp_path)
    assert (ok.passed, ok.exit_code, ok.output.strip()) == (True, 0, "fine")
    bad = run_check(f"{sys.executable} -c \"import sys; print('broken'); sys.exit(3)\"", tmp_path)
    assert (bad.passed, bad.exit_code) == (False, 3)
    assert "broken" in bad.output


def test_no_shell_unless_asked(tmp_path: Path) -> None:
    literal = run_check(f"{sys.executable} -c \"import sys; print(sys.argv[1:])\" '$HOME' '*'", tmp_path)
    assert literal.output.strip() == "['$HOME', '*']"  # not expanded: no shell
    shelled = run_check("echo $((6 * 7))", tmp_path, shell=True)
    assert shelled.output.strip() == "42"


def test_the_time_limit_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys, time;"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid));"
        "time.sleep(60)"
    )
    result = run_check(f'{sys.executable} -c "{script}"', tmp_path, timeout=1)
    assert result.timed_out and not result.passed
    assert "killed after the 1s time limit" in result.output
    grandchild = int(pid_file.read_text())
    for _ in range(50):  # the kill is delivered at once; reaping by init may take a moment
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        if Path(f"/proc/{grandchild}/status").exists() and "zombie" in Path(f"/proc/{grandchild}/status").read_text():
            break
        time.sleep(0.05)
    else:
        pytest.fail("the grandchild outlived the time limit")


def test_a_missing_command_is_a_clear_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="test command not found: no-such-tool-xyz"):
        run_check("no-such-tool-xyz --flag", tmp_path)


def test_long_output_keeps_its_head_and_its_tail() -> None:
    text = "\n".join(f"line {n}" for n in range(1000))
    cut = truncate_output(text, head=5, tail=10)
    assert cut.splitlines()[:5] == [f"line {n}" for n in range(5)]
    assert cut.splitlines()[-1] == "line 999"
    assert "[... 985 lines left out ...]" in cut


def test_a_huge_diff_is_cut_per_file_with_a_note(tmp_path: Path) -> None:
    from workflow_helpers import git

    git(tmp_path, "init", "-q")
    (tmp_path / "small.py").write_text("a = 1\n")
    (tmp_path / "big.py").write_text("")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    base = git(tmp_path, "rev-parse", "HEAD").strip()
    (tmp_path / "small.py").write_text("a = 2\n")
    (tmp_path / "big.py").write_text("".join(f"x{n} = {n}\n" for n in range(2000)))
    git(tmp_path, "commit", "-q", "-am", "change")
    (tmp_path / ".env").write_text("TOKEN=very-secret\n")
    git(tmp_path, "add", ".env")
    git(tmp_path, "commit", "-q", "-m", "env")
    text = diff(tmp_path, base, max_lines_per_file=100)
    assert "very-secret" not in text
    assert "the diff of .env is left out: it looks like a secrets file" in text
    assert "+a = 2" in text
    assert "more diff lines of big.py left out" in text
    assert len(text.splitlines()) < 150


def test_the_cost_budget(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        gateway = Gateway(ledger)
        gateway.budgets["r1"] = Budget(max_usd=0.10)
        record = {
            "phase": "plan",
            "provider": "openai",
            "model": "gpt-5.4",
            "effort_requested": "high",
            "effort_sent": "high",
            "status": "ok",
            "run_id": "r1",
        }
        ledger.record_call(CallRecord(**record, cost_usd=0.04))  # type: ignore[arg-type]
        gateway.check_budget("r1")
        ledger.record_call(CallRecord(**record, cost_usd=0.07))  # type: ignore[arg-type]
        with pytest.raises(BudgetReached, match=r"cost budget reached: \$0.1100 of \$0.10 spent"):
            gateway.check_budget("r1")
        gateway.check_budget("another-run")
