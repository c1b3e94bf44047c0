from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_demo_runs_with_no_key_and_no_network() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    result = subprocess.run(
        [sys.executable, "examples/demo.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "A race condition is a bug" in result.stdout
    assert "Usage per phase, effort and model" in result.stdout
    assert "320" in result.stdout  # the reasoning tokens of the scripted reply, read back from the ledger
