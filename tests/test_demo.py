from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_demo_runs_the_whole_workflow_with_no_key_and_no_network() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GEARSHIFT_"))}
    result = subprocess.run(
        [sys.executable, "examples/demo.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    # real commits, one per step of the plan
    for title in ("Add top_words to textstats.core", "Test top_words", "Add --top N to the command line"):
        assert title in out
    assert "step 2: the check failed; fix attempt 1/2 at medium" in result.stderr
    assert "tokens per phase" in out
    assert "✅ Step 4, Document --top in the README: done" in out
    project = ROOT / ".demo" / "textstats"
    core = (project / "textstats" / "core.py").read_text()
    assert "def top_words" in core and "string.punctuation" in core
    ran = subprocess.run([sys.executable, "tests/run.py"], cwd=project, capture_output=True, text=True)
    assert ran.stdout.strip().endswith("5 passed, 0 failed")
    # it ends with a comparison of three strategies, each run whole and accepted, said to be scripted
    assert "scripted replies: figures" in out
    for strategy in ("high", "medium", "high-medium-high"):
        assert f" {strategy} #1: done accepted" in result.stderr
    assert "gearshift compare 'Add a word-frequency report" in out  # a command that can be pasted
    assert "On your own repository" in out
