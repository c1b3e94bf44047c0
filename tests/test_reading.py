"""The read loop's bounds and fallbacks, with FunctionProvider (no wire format), and its transcripts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scripted_model import PLAN
from workflow_helpers import git, make_repo

from gearshift.context.tokens import estimate_tokens
from gearshift.errors import GearshiftError, ProviderError
from gearshift.gateway import Gateway
from gearshift.ledger import Ledger
from gearshift.models import Request
from gearshift.models.base import Provider, ToolCall
from gearshift.models.transcript import RecordingProvider, ReplayProvider
from gearshift.phases import reading
from gearshift.settings import Settings
from gearshift.testing import FunctionProvider
from gearshift.workflow import RunOptions, Workflow

TASK = "Add mul to calc"
ONE_STEP_PLAN = {**PLAN, "steps": PLAN["steps"][:1]}


@pytest.fixture(autouse=True)
def _fresh_notices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "_told", set())


def _workflow(repo: Path, model: Provider, said: list[str] | None = None, **context: Any) -> Workflow:
    ledger = Ledger(repo / ".gearshift" / "ledger.db")
    settings = Settings.model_validate({"context": context})
    say = said.append if said is not None else None
    return Workflow(repo, settings, ledger, Gateway(ledger), providers=model, say=say)


def _reads_until_barred(path: str = "calc.py") -> FunctionProvider:
    """A model that reads for as long as it may, then plans."""

    def answer(request: Request) -> Any:
        if request.tool_choice == "none":
            return ONE_STEP_PLAN
        return [ToolCall(f"c{len(request.turns) + 1}", "read_file", {"path": path})]

    return FunctionProvider(answer)


def test_the_round_limit_holds_and_the_last_round_says_to_answer(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = _reads_until_barred()
    wf = _workflow(repo, model, tool_rounds=4)

    run_id = wf.plan(TASK, RunOptions())

    assert [r.tool_choice for r in model.requests] == ["auto", "auto", "auto", "none"]
    assert [len(r.turns) for r in model.requests] == [0, 1, 2, 3]
    assert [t.note for t in model.requests[-1].turns] == ["", "", reading.NO_MORE_READS]
    assert all(r.tools for r in model.requests)
    assert [row["phase"] for row in wf.ledger.calls()] == ["plan"] * 4
    assert wf.load_plan(run_id).summary == PLAN["summary"]


def test_a_model_that_will_not_stop_reading_gets_no_more_calls_than_the_limit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = FunctionProvider(lambda request: [ToolCall("c", "list_files", {})])
    wf = _workflow(repo, model, tool_rounds=3)

    with pytest.raises(ProviderError, match="not valid JSON"):
        wf.plan(TASK, RunOptions())

    assert len(model.requests) == 3
    assert [row["status"] for row in wf.ledger.calls()] == ["malformed", "ok", "ok"]


def test_the_read_token_limit_holds_and_ends_the_reading(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "big.py").write_text("".join(f"value_{n} = {n}  # a line of some length\n" for n in range(3000)))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "big")
    model = _reads_until_barred("big.py")
    wf = _workflow(repo, model, read_tokens=300)

    wf.plan(TASK, RunOptions())

    assert [r.tool_choice for r in model.requests] == ["auto", "none"]  # eight rounds allowed, the budget ended it
    [turn] = model.requests[-1].turns
    [result] = turn.results
    assert result.content.startswith("big.py (lines 1-")
    assert result.content.endswith(reading.CUT)
    assert 290 <= estimate_tokens(result.content) <= 300
    assert turn.note == reading.NO_MORE_READS


def test_reads_past_the_budget_in_one_round_are_not_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    calls = [ToolCall(f"c{n}", "read_file", {"path": "calc.py"}) for n in range(40)]
    model = FunctionProvider(lambda request: ONE_STEP_PLAN if request.turns else calls)
    _workflow(repo, model, read_tokens=100).plan(TASK, RunOptions())

    results = [result.content for result in model.requests[1].turns[0].results]
    read = [content for content in results if content != reading.BUDGET_SPENT]
    assert 0 < len(read) < 40 and results[len(read) :] == [reading.BUDGET_SPENT] * (40 - len(read))
    assert sum(estimate_tokens(content) for content in read) <= 100


def test_a_provider_without_tools_plans_single_shot_and_it_is_said_once(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = FunctionProvider(lambda request: ONE_STEP_PLAN, name="local", tools=False)
    said: list[str] = []
    wf = _workflow(repo, model, said)

    wf.plan(TASK, RunOptions())
    wf.plan(TASK, RunOptions())

    assert [(r.tools, r.turns) for r in model.requests] == [((), ())] * 2
    assert "What you do\nnot see is the code itself" in model.requests[0].instructions
    assert [line for line in said if "reading" in line] == [
        "local gpt-5.4: it takes no tools; plan and review go on without reading the repository"
    ]


def test_one_round_reads_nothing_and_says_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = FunctionProvider(lambda request: ONE_STEP_PLAN)
    said: list[str] = []

    _workflow(repo, model, said, tool_rounds=1).plan(TASK, RunOptions())

    assert model.requests[0].tools == ()
    assert not [line for line in said if "reading" in line]


class Windowed(FunctionProvider):
    def __init__(self, window: int | None) -> None:
        super().__init__(lambda request: "")
        self.window = window

    def context_window(self, model: str) -> int | None:
        return self.window


def test_the_read_budget_is_sized_for_the_window_unless_set() -> None:
    sized = [reading.read_tokens_for_window(w) for w in (None, 8_000, 200_000, 400_000, 1_050_000)]

    assert sized == [8_000, 4_000, 25_000, 50_000, 64_000]
    assert reading.read_budget(Settings(), Windowed(200_000), "some-model") == 25_000
    assert reading.read_budget(Settings(), Windowed(None), "gpt-5.4") == 64_000  # the price table knows it
    assert reading.read_budget(Settings.model_validate({"context": {"read_tokens": 123}}), Windowed(1), "m") == 123


def test_a_recorded_conversation_with_reads_replays_and_a_changed_file_is_caught(tmp_path: Path) -> None:
    transcript = tmp_path / "t.jsonl"
    recorded = make_repo(tmp_path / "recorded")
    _workflow(recorded, RecordingProvider(_reads_until_barred(), transcript), tool_rounds=2).plan(TASK, RunOptions())
    lines = [json.loads(line) for line in transcript.read_text().splitlines()]
    assert lines[0]["reply"]["tool_calls"] == [{"id": "c1", "name": "read_file", "arguments": {"path": "calc.py"}}]
    assert lines[1]["request"]["turns"][0]["results"][0]["content"].startswith("calc.py (lines 1-2 of 2)")

    replayed = make_repo(tmp_path / "replayed")
    replay = ReplayProvider(transcript)
    assert replay.supports_tools("gpt-5.4")
    run_id = _workflow(replayed, replay, tool_rounds=2).plan(TASK, RunOptions())
    assert replay.position == 2

    changed = make_repo(tmp_path / "changed")
    (changed / "calc.py").write_text("def add(a, b):\n    return b + a\n")
    git(changed, "commit", "-qam", "changed")
    with pytest.raises(GearshiftError, match="diverges from .* in turns"):
        _workflow(changed, ReplayProvider(transcript), tool_rounds=2).plan(TASK, RunOptions())
    assert run_id


def test_a_transcript_from_before_tools_replays_single_shot(tmp_path: Path) -> None:
    transcript = tmp_path / "old.jsonl"
    first = make_repo(tmp_path / "first")
    old = FunctionProvider(lambda request: ONE_STEP_PLAN, tools=False)
    _workflow(first, RecordingProvider(old, transcript)).plan(TASK, RunOptions())
    assert "tools" not in json.loads(transcript.read_text())["request"]

    replay = ReplayProvider(transcript)
    _workflow(make_repo(tmp_path / "second"), replay).plan(TASK, RunOptions())

    assert not replay.supports_tools("gpt-5.4") and replay.position == 1


def test_what_the_tools_read_is_masked_before_it_is_sent(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    key = "AKIA" + "Q3EGYZ7WN5HXK2PB"  # an AWS access key id in ordinary source
    (repo / "settings.py").write_text(f'AWS_ACCESS_KEY_ID = "{key}"\nREGION = "eu-west-1"\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "settings")
    model = _reads_until_barred("settings.py")
    said: list[str] = []
    wf = _workflow(repo, model, said, tool_rounds=2)

    wf.plan(TASK, RunOptions())

    [result] = model.requests[-1].turns[0].results
    assert key not in result.content
    assert "[secret masked:" in result.content and 'REGION = "eu-west-1"' in result.content
    assert wf.gateway.masked_values == 1
