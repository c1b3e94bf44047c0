"""What the tests of the agent providers share: a fake CLI first on PATH, its log of runs, a small repository."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from workflow_helpers import git

FAKES = Path(__file__).parent / "fake_agents"


def install_fake(program: str, script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``program`` first on PATH, running tests/fake_agents/``script``; returns the log the fake appends
    each run's argv, cwd and stdin to (named by FAKE_<PROGRAM>_LOG)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    launcher = bin_dir / program
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKES / script}" "$@"\n')
    launcher.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin")
    log = tmp_path / f"{program}-runs.jsonl"
    monkeypatch.setenv(f"FAKE_{program.upper()}_LOG", str(log))
    return log


def runs(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def small_repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    (path / "app.py").write_text("print('hi')\n")
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path
