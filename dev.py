#!/usr/bin/env python3
"""Set-up and tasks, needing only Python 3.11+ and git.

python3 dev.py demo    run the demo (creates .venv on first use)
python3 dev.py test    run every check CI runs: lint, format, types, tests
python3 dev.py bench   run the benchmarks in bench/
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def ensure_environment() -> None:
    """Create .venv and install gearshift with its dev tools; again only when pyproject changes."""
    if sys.version_info < (3, 11):
        sys.exit(f"gearshift needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    python = BIN / "python"
    if not python.exists() and not (BIN / "python.exe").exists():
        print("creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    stamp = VENV / ".gearshift-installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        print("installing gearshift and its dependencies into .venv ...", flush=True)
        run(str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", ".[dev]")
        stamp.write_text(wanted)


# The agent CLIs whose real binaries the tests run against loopback servers (tests/agent_binaries.py
# finds them here); installed from the npm registry when npm is on the machine, else those tests skip.
AGENT_CLIS = {"@openai/codex": "0.169.0", "@anthropic-ai/claude-code": "2.1.328"}
AGENTS = ROOT / ".cache" / "agents"


def ensure_agent_clis() -> None:
    """Install the pinned agent CLIs into .cache/agents; again only when the pins change."""
    stamp = AGENTS / ".installed"
    wanted = json.dumps(AGENT_CLIS, sort_keys=True)
    if stamp.exists() and stamp.read_text() == wanted:
        return
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: the tests of the real agent CLIs will be skipped", flush=True)
        return
    print(f"installing {', '.join(AGENT_CLIS)} into .cache/agents ...", flush=True)
    AGENTS.mkdir(parents=True, exist_ok=True)
    packages = [f"{name}@{version}" for name, version in AGENT_CLIS.items()]
    quiet = ["--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(AGENTS)]
    if subprocess.run([npm, "install", *quiet, *packages], cwd=ROOT).returncode == 0:
        stamp.write_text(wanted)
    else:
        print("npm install failed: the tests of the real agent CLIs will be skipped", flush=True)


def run(*command: str) -> None:
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(result.returncode)


def tool(name: str) -> str:
    return str(BIN / name)


def demo() -> None:
    run(tool("python"), "examples/demo.py")


def test() -> None:
    ensure_agent_clis()
    run(tool("ruff"), "check", "src", "tests", "bench", "examples", "dev.py")
    run(tool("ruff"), "format", "--check", "src", "tests", "bench", "examples", "dev.py")
    run(tool("mypy"))
    run(tool("pytest"))


def bench() -> None:
    """Every benchmark; those that measure on a repository measure on this one (pass others by hand)."""
    by_hand = ("suite_bench.py",)  # runs whole suites of real commits: tens of minutes, on a repository you choose
    for script in sorted((ROOT / "bench").glob("*.py")):
        if not script.name.startswith("train_") and script.name not in by_hand:  # training needs scikit-learn
            on_repo = ["--repo", str(ROOT)] if "--repo" in script.read_text(encoding="utf-8") else []
            run(tool("python"), str(script), *on_repo)


TASKS = {"demo": demo, "test": test, "bench": bench}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in TASKS:
        sys.exit(f"usage: python3 dev.py {{{','.join(TASKS)}}}")
    ensure_environment()
    TASKS[sys.argv[1]]()
