from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from scripted_model import CALC, CHECK, ScriptedModel

from gearshift.gateway import Gateway
from gearshift.ledger import Ledger
from gearshift.settings import Settings
from gearshift.workflow import Workflow

TEST_CMD = f"{sys.executable} check.py"
TASK = "Add mul and sub to calc, with docs"


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "calc.py").write_text(CALC)
    (path / "check.py").write_text(CHECK)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def git(path: Path, *args: str) -> str:
    env_args = ["-c", "user.name=Test", "-c", "user.email=test@example.invalid"]
    result = subprocess.run(["git", *env_args, *args], cwd=path, capture_output=True, text=True, check=True)
    return result.stdout


def settings(url: str, **extra: Any) -> Settings:
    data: dict[str, Any] = {"providers": {"openai": {"base_url": url, "max_retries": 0}}}
    data.update(extra)
    return Settings.model_validate(data)


def workflow(repo: Path, url: str | None = None, *, model: ScriptedModel | None = None, **extra: Any) -> Workflow:
    """A workflow on ``repo`` whose model is the loopback server at ``url`` (the real SDK and wire
    format) or, with ``model``, the scripted model as a FunctionProvider (the method alone)."""
    ledger = Ledger(repo / ".gearshift" / "ledger.db")
    return Workflow(
        repo,
        settings(url or "http://127.0.0.1:9", **extra),
        ledger,
        Gateway(ledger),
        environ={"OPENAI_API_KEY": "sk-test"},
        providers=model.provider() if model is not None else None,
    )


def step_trailers(repo: Path, base: str) -> list[str]:
    out = git(repo, "log", "--format=%(trailers:key=Gearshift-Step,valueonly)", f"{base}..HEAD")
    return [line.strip() for line in out.splitlines() if line.strip()]
