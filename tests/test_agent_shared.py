"""What the three agent CLIs share through their base class, proved on each of their fakes: a run that
hangs ends at its deadline, and a read-only run that wrote in the checkout is refused, its tokens kept."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from agent_fakes import install_fake, small_repo

from gearshift.effort import Effort
from gearshift.errors import ProviderError
from gearshift.gateway import CallSite, Gateway
from gearshift.ledger import Ledger
from gearshift.models import Request, Workspace
from gearshift.models.agents.base import AgentCLI
from gearshift.models.agents.claude_code import ClaudeCode
from gearshift.models.agents.codex import Codex
from gearshift.models.agents.gemini_cli import GeminiCLI
from gearshift.models.config import ProviderSettings

AGENTS = [  # the program, its fake, the provider, a model it takes
    ("codex", "codex_fake.py", Codex, "gpt-5.4"),
    ("claude", "claude_fake.py", ClaudeCode, "claude-opus-4-7"),
    ("gemini", "gemini_fake.py", GeminiCLI, "default"),
]
Agent = tuple[str, str, type[AgentCLI], str]


@pytest.fixture(params=AGENTS, ids=[program for program, *_ in AGENTS])
def agent(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Agent:
    program, script, _, _ = request.param
    monkeypatch.delenv("GEMINI_CLI_HOME", raising=False)
    install_fake(program, script, tmp_path, monkeypatch)
    return request.param  # type: ignore[no-any-return]


def _provider(agent: Agent, **settings: float) -> AgentCLI:
    return agent[2](ProviderSettings(**settings), dict(os.environ))


def _request(agent: Agent, **fields: object) -> Request:
    return Request(instructions="Plan the task.", input="Add a flag", model=agent[3], effort=Effort.HIGH, **fields)  # type: ignore[arg-type]


def test_a_hung_agent_is_stopped_at_the_deadline(agent: Agent, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"FAKE_{agent[0].upper()}_MODE", "hang")
    provider = _provider(agent, deadline=1)
    started = time.monotonic()
    with pytest.raises(ProviderError, match=rf"{provider.name} did not finish within 1s") as caught:
        provider.complete(_request(agent), Effort.HIGH)
    assert caught.value.status == "timeout"
    assert time.monotonic() - started < 10


def test_a_read_only_run_that_wrote_a_file_is_refused(
    agent: Agent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an agent whose sandbox failed: it wrote in the checkout during a plan
    repo = small_repo(tmp_path)
    monkeypatch.setenv(f"FAKE_{agent[0].upper()}_MODE", "write")
    provider = _provider(agent)
    ledger = Ledger(tmp_path / "ledger.db")
    with pytest.raises(ProviderError, match=rf"{provider.name} changed files in .* during a read-only phase") as caught:
        Gateway(ledger).call(provider, _request(agent, workspace=Workspace(root=repo)), CallSite(phase="plan"))
    assert caught.value.status == "refused"
    [row] = ledger.calls()
    assert row["status"] == "refused" and row["input_tokens"] > 0  # what it spent is still accounted for
