"""The demo: the whole gearshift workflow on a small project, with no API key and no network.

The model's replies come from examples/transcripts/textstats-top-words.jsonl, which the
gearshift developers scripted by hand (see build_demo_transcript.py); they are not real model
output, and their token counts are estimates from text length. Everything else is real: the
plan file, the edits applied to the files, the test runs, the git commits, the review file,
and the ledger behind the per-phase table.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
SAMPLE = EXAMPLES / "sample-project"
TRANSCRIPT = EXAMPLES / "transcripts" / "textstats-top-words.jsonl"
WORK = EXAMPLES.parent / ".demo"
TASK = "Add a word-frequency report: a top_words(text, n) function and a --top N option for python -m textstats"
TEST_CMD = "python tests/run.py"
GIT_IDENTITY = ["-c", "user.name=gearshift demo", "-c", "user.email=demo@gearshift.invalid"]


def prepare_project(destination: Path) -> Path:
    """A fresh copy of the sample project, committed in a new git repository."""
    shutil.rmtree(destination, ignore_errors=True)
    shutil.copytree(SAMPLE, destination, ignore=shutil.ignore_patterns("__pycache__"))
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "textstats"]):
        subprocess.run(["git", *GIT_IDENTITY, *args], cwd=destination, check=True)
    return destination


def environment(home: Path) -> dict[str, str]:
    """`python` is this interpreter, so the test command means the same everywhere."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {
        **os.environ,
        "PATH": path,
        "GEARSHIFT_HOME": str(home),
        "GIT_AUTHOR_NAME": "gearshift demo",
        "GIT_AUTHOR_EMAIL": "demo@gearshift.invalid",
        "GIT_COMMITTER_NAME": "gearshift demo",
        "GIT_COMMITTER_EMAIL": "demo@gearshift.invalid",
    }


def main() -> None:
    project = prepare_project(WORK / "textstats")
    env = environment(WORK / "home")

    def show(*command: str) -> None:
        shown = ["gearshift", *command[3:]] if command[:3] == (sys.executable, "-m", "gearshift") else command
        print(f"\n$ {shlex.join(shown)}", flush=True)
        if subprocess.run(command, cwd=project, env=env).returncode != 0:
            sys.exit(1)

    print("gearshift demo: scripted replies from a transcript (not a real model), real edits, tests, commits")
    print(f"project: {project}")
    show(
        sys.executable,
        "-m",
        "gearshift",
        "run",
        TASK,
        "--yes",
        "--test-cmd",
        TEST_CMD,
        "--provider",
        "replay",
        "--transcript",
        str(TRANSCRIPT),
    )
    show("git", "log", "--oneline", "main..HEAD")
    show(sys.executable, "-m", "gearshift", "show")
    review = next((project / ".gearshift" / "runs").iterdir()) / "review.md"
    print(f"\n$ cat {review.relative_to(project)}\n{review.read_text(encoding='utf-8')}")
    compare_strategies(env)


def compare_strategies(env: dict[str, str]) -> None:
    """The seed's table, mechanically: the same task under three strategies, each in its own worktree.

    The replies are the same scripted transcript for every strategy, so the figures show how a
    comparison is made and reported, not which strategy is better: that takes a live model."""
    project = prepare_project(WORK / "textstats-compare")
    print("\n--- comparing strategies (scripted replies: the figures show the mechanics, not a result) ---")
    command = [
        sys.executable,
        "-m",
        "gearshift",
        "compare",
        TASK,
        "--strategies",
        "high,medium,high-medium-high",
        "--test-cmd",
        TEST_CMD,
        "--accept-cmd",
        TEST_CMD,
        "--provider",
        "replay",
        "--transcript",
        str(TRANSCRIPT),
    ]
    print(f"\n$ {shlex.join(['gearshift', *command[3:]])}", flush=True)
    if subprocess.run(command, cwd=project, env=env).returncode != 0:
        sys.exit(1)
    print(
        "\nOn your own repository, with OPENAI_API_KEY set (or --provider anthropic / openai-chat):\n"
        '  .venv/bin/gearshift run "your task" --test-cmd "pytest -q"\n'
        '  .venv/bin/gearshift compare "your task" --strategies high,medium,high-medium-high --accept-cmd "pytest -q"\n'
        "Or through the agent CLI you already use, with its own login:\n"
        '  .venv/bin/gearshift run "your task" --provider codex   # or claude-code, gemini-cli'
    )


if __name__ == "__main__":
    main()
