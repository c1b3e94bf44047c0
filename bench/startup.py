"""Startup time of whole `gearshift` processes: `--help`, and `calls` on a ledger of 1,000 rows.

    python bench/startup.py [-n RUNS]

Prints the median, min and max wall time of each command over RUNS fresh processes.
Goal: a median under 0.25 s on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 0.25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--runs", type=int, default=15)
    args = parser.parse_args()
    exe = shutil.which("gearshift", path=str(Path(sys.executable).parent)) or shutil.which("gearshift")
    if exe is None:
        sys.exit("gearshift is not installed in this environment: run `python3 dev.py bench`")

    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        env = {**os.environ, "GEARSHIFT_HOME": str(repo / "home")}
        _fill_ledger(repo / ".gearshift" / "ledger.db", rows=1000)
        print(f"gearshift startup, {args.runs} runs each ({exe})")
        print(f"{'command':<22} {'median':>8} {'min':>8} {'max':>8}")
        for command in (["--help"], ["calls"], ["calls", "--json"]):
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                subprocess.run([exe, *command], cwd=repo, env=env, stdout=subprocess.DEVNULL, check=True)
                times.append(time.perf_counter() - started)
            median = statistics.median(times)
            verdict = "ok" if median < GOAL_SECONDS else f"over the {GOAL_SECONDS}s goal"
            name = "gearshift " + " ".join(command)
            print(f"{name:<22} {median:>7.3f}s {min(times):>7.3f}s {max(times):>7.3f}s  {verdict}")


def _fill_ledger(path: Path, rows: int) -> None:
    from gearshift.ledger import CallRecord, Ledger

    with Ledger(path) as ledger:
        for i in range(rows):
            ledger.record_call(
                CallRecord(
                    phase=("plan", "implement", "review")[i % 3],
                    provider="openai",
                    model="gpt-5.4",
                    effort_requested="high",
                    effort_sent="high",
                    status="ok",
                    run_id=f"run{i // 30}",
                    step=i % 30,
                    input_tokens=1000 + i,
                    output_tokens=200,
                    cost_usd=0.01,
                    latency_ms=1200,
                )
            )


if __name__ == "__main__":
    main()
