"""The demo: gearshift end to end, with no API key and no network.

The model replies come from a transcript in examples/transcripts/ that the gearshift
developers scripted by hand; they are not real model output. Everything else is real:
the replay provider checks each request against the transcript, and every call is
recorded in a real ledger, which the last commands read back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
WORK = EXAMPLES.parent / ".demo"


def gearshift(*args: str) -> None:
    command = [sys.executable, "-m", "gearshift", "--db", str(WORK / "ledger.db"), *args]
    print(f"\n$ gearshift {' '.join(args)}", flush=True)
    env = {**os.environ, "GEARSHIFT_HOME": str(WORK / "home")}
    result = subprocess.run(command, cwd=WORK, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def main() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir()
    print("gearshift demo: scripted replies (see examples/transcripts/), real ledger, no key, no network")
    gearshift(
        "ask",
        "Explain what a race condition is",
        "--effort",
        "high",
        "--provider",
        "replay",
        "--transcript",
        str(EXAMPLES / "transcripts" / "ask.jsonl"),
    )
    gearshift("calls")
    gearshift("stats")


if __name__ == "__main__":
    main()
