"""Mixing providers per phase: plan and review through the API, implement through Claude Code (a fake
`claude` on PATH), as `GEARSHIFT_PHASES__IMPLEMENT__PROVIDER=claude-code gearshift run` does."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from agent_fakes import runs
from fakeapi import FakeAPI
from scripted_model import PLAN, REVIEW, ScriptedModel
from test_agent_claude_code import fake_claude
from workflow_helpers import TASK, TEST_CMD, make_repo

from gearshift.ledger import Ledger

__all__ = ["fake_claude"]  # the fixture, used by name

MUL = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"
STEPS = {
    "1": {"calc.py": MUL},
    "2": {"calc.py": MUL + "\n\ndef sub(a, b):\n    return a - b\n"},
    "3": {"README.md": "# calc\n\n- add(a, b)\n- mul(a, b)\n- sub(a, b)\n"},
}


def test_plan_with_the_api_and_implement_with_claude_code(  # type: ignore[no-untyped-def]
    cli, fake_api: FakeAPI, fake_claude: Path, hermetic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(hermetic / "repo")
    monkeypatch.chdir(repo)
    script = hermetic / "claude-script.json"
    script.write_text(json.dumps({"plan": PLAN, "review": REVIEW, "steps": STEPS}))
    monkeypatch.setenv("FAKE_CLAUDE_SCRIPT", str(script))
    ScriptedModel().serve(fake_api)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("GEARSHIFT_PROVIDERS__OPENAI__BASE_URL", fake_api.url)
    monkeypatch.setenv("GEARSHIFT_PHASES__IMPLEMENT__PROVIDER", "claude-code")
    monkeypatch.setenv("GEARSHIFT_PHASES__IMPLEMENT__MODEL", "default")
    home = Path(os.environ["GEARSHIFT_HOME"])  # the API model at a loopback URL has a price only if given
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('[pricing."gpt-5.4"]\ninput = 1.25\noutput = 10.0\n')

    # a cost budget holds: Claude Code reports its cost, and the API model has a price in the table
    result = cli("run", TASK, "--yes", "--test-cmd", TEST_CMD, "--max-usd", "5")
    assert result.exit_code == 0, result.stderr

    [run] = json.loads(cli("runs", "--json").stdout)
    assert (run["status"], run["steps_done"]) == ("done", 3)
    # Claude Code ran the three steps only, editing in the checkout
    modes = [r["argv"][r["argv"].index("--permission-mode") + 1] for r in runs(fake_claude)]
    assert modes == ["acceptEdits"] * 3
    with Ledger(repo / ".gearshift" / "ledger.db") as ledger:
        calls = list(reversed(ledger.calls(run_id=run["id"])))
    by_phase = [(c["phase"], c["provider"], c["cost_source"]) for c in calls]
    assert by_phase == [
        ("plan", "openai", "table"),
        *[("implement", "claude-code", "native")] * 3,
        ("review", "openai", "table"),
    ]
