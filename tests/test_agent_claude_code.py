"""The claude-code provider against a fake `claude` on PATH (tests/fake_agents/claude_fake.py), which takes
the `claude -p` options as Claude Code 2.1.328 spells them and prints its `--output-format json` result."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from agent_fakes import install_fake, runs, small_repo
from scripted_model import PLAN, REVIEW
from workflow_helpers import TASK, TEST_CMD, git, make_repo

from gearshift.effort import Effort
from gearshift.errors import ProviderError, UsageError
from gearshift.gateway import CallSite, Gateway
from gearshift.ledger import Ledger
from gearshift.models import JsonSchema, Request, Workspace
from gearshift.models.agents.claude_code import ClaudeCode, read_usage
from gearshift.models.agents.prompt import READ_ONLY
from gearshift.models.base import Billing, Usage
from gearshift.models.config import ProviderSettings
from gearshift.plan import plan_json_schema

SESSION = "c95305dc-bddb-4eb6-8a69-fe320a68736e"
PLAN_SCHEMA = JsonSchema(name="plan", schema=plan_json_schema())
# the fake's modelUsage summed: 1200 + 90 fresh, 300 cache read, 50 cache write in; 400 + 12 out, 150 of it
# thinking (the small model's tokens count: Claude Code's cost is of both)
USAGE = Usage(input_tokens=1640, cached_tokens=300, output_tokens=412, reasoning_tokens=150)


@pytest.fixture
def fake_claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`claude` first on PATH; returns the log it appends each run's argv, cwd and stdin to."""
    return install_fake("claude", "claude_fake.py", tmp_path, monkeypatch)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return small_repo(tmp_path)


def claude(**settings: Any) -> ClaudeCode:
    return ClaudeCode(ProviderSettings(**settings), dict(os.environ))


def request(**kw: Any) -> Request:
    fields: dict[str, Any] = {"instructions": "Plan the task.", "input": "Add a flag", "model": "claude-opus-4-7"}
    return Request(**{**fields, "effort": Effort.HIGH, **kw})


def test_a_plan_runs_claude_in_plan_mode_in_the_checkout_with_the_schema_apart(
    fake_claude: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CLAUDE_TEXT", json.dumps(PLAN))
    reply = claude(max_turns=30, max_budget_usd=2.5).complete(
        request(schema=PLAN_SCHEMA, workspace=Workspace(root=repo)), Effort.HIGH
    )

    [run] = runs(fake_claude)
    assert run["argv"] == [
        "--print",
        "--output-format",
        "json",
        "--permission-mode",
        "plan",
        "--permission-prompts",
        "none",
        "--disallowed-tools",
        "Edit,Write,NotebookEdit",
        "--setting-sources",
        "user",
        "--strict-mcp-config",
        "--no-session-persistence",
        "--model",
        "claude-opus-4-7",
        "--effort",
        "high",
        "--max-turns",
        "30",
        "--max-budget-usd",
        "2.5",
        "--json-schema",
        json.dumps(plan_json_schema()),
    ]
    assert run["cwd"] == str(repo)
    # the prompt on stdin: the instructions, the read-only rule, the input; the schema went apart
    assert run["stdin"] == f"Plan the task.\n\n{READ_ONLY}\n\nAdd a flag\n"
    # structured_output, the answer Claude Code checked against the schema
    assert json.loads(reply.text) == PLAN
    assert reply.usage == USAGE
    assert (reply.request_id, reply.model, reply.effort_sent, reply.native_cost_usd) == (
        SESSION,
        "claude-opus-4-7",  # the model that did the work, not the small one beside it
        Effort.HIGH,
        0.0421,
    )


def test_implement_lets_claude_accept_edits_and_nothing_more(fake_claude: Path, repo: Path) -> None:
    reply = claude().complete(
        request(instructions="Implement step 1.", workspace=Workspace(root=repo, writable=True)), Effort.MEDIUM
    )
    [run] = runs(fake_claude)
    argv = run["argv"]
    assert argv[argv.index("--permission-mode") + 1] == "acceptEdits"
    assert argv[argv.index("--permission-prompts") + 1] == "none"  # nobody to ask: what would ask is refused
    assert "bypassPermissions" not in argv and not any("dangerously" in a for a in argv)
    assert "--disallowed-tools" not in argv and "--json-schema" not in argv
    assert "--max-turns" not in argv and "--max-budget-usd" not in argv  # unset: Claude Code's own bounds
    assert argv[argv.index("--effort") + 1] == "medium"
    assert READ_ONLY not in run["stdin"]
    assert reply.text == "hello"


def test_a_question_outside_a_run_goes_to_an_empty_directory_in_plan_mode(fake_claude: Path, repo: Path) -> None:
    claude().complete(request(), Effort.LOW)
    [run] = runs(fake_claude)
    assert run["argv"][run["argv"].index("--permission-mode") + 1] == "plan"
    assert Path(run["cwd"]).name == "workdir" and run["cwd"] != str(repo)


@pytest.mark.parametrize(
    ("effort", "sent"),
    [
        (Effort.LOW, "low"),
        (Effort.MEDIUM, "medium"),
        (Effort.HIGH, "high"),
        (Effort.XHIGH, "xhigh"),
        (Effort.MINIMAL, "low"),  # below Claude Code's scale: its lowest
    ],
)
def test_the_effort_is_sent_with_the_effort_flag(fake_claude: Path, effort: Effort, sent: str) -> None:
    claude().complete(request(effort=effort), effort)
    argv = runs(fake_claude)[0]["argv"]
    assert argv[argv.index("--effort") + 1] == sent


def test_the_efforts_offered_are_claude_codes_scale() -> None:
    # Claude Code lowers a level to what the model takes (xhigh -> high, or none at all), so all are offered
    assert claude().supported_efforts("default") == (Effort.LOW, Effort.MEDIUM, Effort.HIGH, Effort.XHIGH)
    assert claude(efforts=(Effort.HIGH,)).supported_efforts("sonnet") == (Effort.HIGH,)


def test_the_gateway_records_the_effort_the_tokens_and_claudes_own_cost(fake_claude: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    reply = Gateway(ledger).call(claude(), request(model="default", effort=Effort.MINIMAL), CallSite(phase="ask"))

    argv = runs(fake_claude)[0]["argv"]
    assert "--model" not in argv  # default: Claude Code's own choice
    assert argv[argv.index("--effort") + 1] == "low"
    [row] = ledger.calls()
    assert (row["provider"], row["model"], row["effort_requested"], row["effort_sent"], row["status"]) == (
        "claude-code",
        "claude-opus-4-7",
        "minimal",
        "low",
        "ok",
    )
    assert (row["input_tokens"], row["cached_tokens"], row["output_tokens"], row["reasoning_tokens"]) == (
        1640,
        300,
        412,
        150,
    )
    assert (row["request_id"], row["cost_usd"], row["cost_source"]) == (SESSION, 0.0421, "native")
    assert reply.cost_usd == 0.0421
    assert claude().billing == Billing(provider_id="anthropic")


def test_without_structured_output_the_result_text_is_the_answer(
    fake_claude: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the model never called StructuredOutput: its text goes to the gateway's strict parse as it is
    monkeypatch.setenv("FAKE_CLAUDE_MODE", "unstructured")
    monkeypatch.setenv("FAKE_CLAUDE_TEXT", "```json\n" + json.dumps(REVIEW) + "\n```")
    reply = claude().complete(request(schema=JsonSchema("review", {"type": "object"})), Effort.HIGH)
    assert json.loads(reply.text) == REVIEW


def test_without_model_usage_the_usage_object_is_read() -> None:
    usage = {
        "input_tokens": 10,
        "cache_read_input_tokens": 5,
        "cache_creation_input_tokens": 2,
        "output_tokens": 7,
        "output_tokens_details": {"thinking_tokens": 3},
    }
    assert read_usage({"usage": usage}) == Usage(input_tokens=17, cached_tokens=5, output_tokens=7, reasoning_tokens=3)
    assert read_usage({"usage": usage, "modelUsage": {}}) == read_usage({"usage": usage})
    assert read_usage({}) == Usage()


@pytest.mark.parametrize(
    ("mode", "message", "status"),
    [
        (
            "max_turns",
            "claude-code failed (error_max_turns) (session {s}): Reached maximum number of turns (3);"
            " raise providers.claude-code.max_turns if the task needs more",
            "incomplete",
        ),
        (
            "budget",
            "claude-code failed (error_max_budget_usd) (session {s}): Reached maximum budget ($0.01);"
            " raise providers.claude-code.max_budget_usd if the task needs more",
            "incomplete",
        ),
        (
            "during_execution",
            "claude-code failed (error_during_execution) (session {s}): Tool execution failed: ENOSPC",
            "error",
        ),
    ],
)
def test_a_run_that_stopped_short_is_a_provider_error_with_its_usage_and_cost(
    fake_claude: Path, monkeypatch: pytest.MonkeyPatch, mode: str, message: str, status: str
) -> None:
    monkeypatch.setenv("FAKE_CLAUDE_MODE", mode)
    with pytest.raises(ProviderError) as caught:
        claude().complete(request(), Effort.HIGH)
    error = caught.value
    assert error.message == message.format(s=SESSION)
    assert (error.status, error.request_id, error.usage, error.native_cost_usd) == (status, SESSION, USAGE, 0.0421)


def test_an_api_error_quotes_claude_and_is_recorded_with_its_status(
    fake_claude: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Claude Code reports a failed API call as is_error with subtype "success" and the error as the result
    monkeypatch.setenv("FAKE_CLAUDE_MODE", "api_error")
    ledger = Ledger(tmp_path / "ledger.db")
    with pytest.raises(ProviderError) as caught:
        Gateway(ledger).call(claude(), request(), CallSite(phase="plan"))
    assert caught.value.message == (
        f"claude-code failed (success) (session {SESSION}):"
        " API Error: 429 This request would exceed your account's rate limit."
    )
    assert (caught.value.status, caught.value.usage) == ("rate_limited", Usage())
    [row] = ledger.calls()
    assert (row["status"], row["cost_usd"], row["cost_source"]) == ("rate_limited", 0.0, "native")


def test_an_exit_without_a_result_says_claudes_error_line(fake_claude: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CLAUDE_MODE", "exit")
    with pytest.raises(
        ProviderError, match=r"^claude-code exited with code 1: Invalid API key · Fix external API key;"
    ):
        claude().complete(request(), Effort.HIGH)


def test_an_option_claude_does_not_know_is_its_own_error(fake_claude: Path) -> None:
    with pytest.raises(ProviderError, match=r"claude-code exited with code 1: error: unknown option '--bogus'"):
        claude(extra_args=("--bogus",)).complete(request(), Effort.HIGH)
    claude(extra_args=("--append-system-prompt", "Be brief.")).complete(request(), Effort.HIGH)
    assert runs(fake_claude)[-1]["argv"][-2:] == ["--append-system-prompt", "Be brief."]


def test_output_without_a_result_object_is_malformed(fake_claude: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CLAUDE_MODE", "garbage")
    with pytest.raises(ProviderError) as caught:
        claude().complete(request(), Effort.HIGH)
    assert caught.value.status == "malformed"
    assert caught.value.message.startswith("claude-code printed no result object ('Claude Code is starting...')")


def test_the_result_is_kept_with_the_run(fake_claude: Path, repo: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    claude().complete(request(workspace=Workspace(root=repo, log_dir=logs)), Effort.HIGH)
    [kept] = logs.iterdir()
    assert kept.name.endswith("-claude-code-001.jsonl")
    assert json.loads(kept.read_text())["session_id"] == SESSION


@pytest.mark.parametrize(
    "args",
    [
        ("--dangerously-skip-permissions",),
        ("--permission-mode", "bypassPermissions"),
        ("--permission-mode=acceptEdits",),
        ("--allowedTools", "Bash"),
        ("--add-dir", "/"),
        ("--settings", '{"permissions": {"defaultMode": "bypassPermissions"}}'),
        ("--setting-sources", "user,project,local"),
        ("--mcp-config", "servers.json"),
        ("--worktree",),
    ],
)
def test_extra_args_that_widen_its_permissions_are_refused(args: tuple[str, ...]) -> None:
    with pytest.raises(UsageError, match="providers.claude-code.extra_args has .* gearshift sets its permissions"):
        claude(extra_args=args)


def test_a_command_that_widens_its_permissions_is_refused() -> None:
    with pytest.raises(UsageError, match="providers.claude-code.command has '--dangerously-skip-permissions'"):
        claude(command="npx claude --dangerously-skip-permissions")
    # a launcher's own short flags are its business
    assert claude(command="npx -y @anthropic-ai/claude-code").command[:2] == ["npx", "-y"]


def test_an_endpoint_of_gearshifts_own_is_refused() -> None:
    with pytest.raises(UsageError, match="Claude Code takes its endpoint and key from its own settings"):
        claude(base_url="http://127.0.0.1:9")
    with pytest.raises(UsageError, match="remove providers.claude-code.api_key_env"):
        claude(api_key_env="MY_KEY")


def test_a_claude_not_installed_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError, match="claude: program not found on PATH"):
        claude().complete(request(), Effort.HIGH)


def test_a_whole_run_through_the_cli_with_claude_code(  # type: ignore[no-untyped-def]
    cli, fake_claude: Path, hermetic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """plan (plan mode, the plan schema), each step (acceptEdits in the checkout), review (plan mode, the
    review schema), ending done, every call in the ledger with its tokens and Claude Code's own cost."""
    repo = make_repo(hermetic / "repo")
    monkeypatch.chdir(repo)
    mul = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"
    steps = {
        "1": {"calc.py": mul},
        "2": {"calc.py": mul + "\n\ndef sub(a, b):\n    return a - b\n"},
        "3": {"README.md": "# calc\n\n- add(a, b)\n- mul(a, b)\n- sub(a, b)\n"},
    }
    script = hermetic / "claude-script.json"
    script.write_text(json.dumps({"plan": PLAN, "review": REVIEW, "steps": steps}))
    monkeypatch.setenv("FAKE_CLAUDE_SCRIPT", str(script))

    result = cli("run", TASK, "--yes", "--provider", "claude-code", "--test-cmd", TEST_CMD)
    assert result.exit_code == 0, result.stderr

    [run] = json.loads(cli("runs", "--json").stdout)
    assert (run["status"], run["steps_done"], run["steps_total"]) == ("done", 3, 3)
    seen = runs(fake_claude)
    modes = [r["argv"][r["argv"].index("--permission-mode") + 1] for r in seen]
    assert modes == ["plan", "acceptEdits", "acceptEdits", "acceptEdits", "plan"]
    assert ["--json-schema" in r["argv"] for r in seen] == [True, False, False, False, True]
    assert "--model" not in seen[0]["argv"]  # claude-code's default model: Claude Code's own choice

    with Ledger(repo / ".gearshift" / "ledger.db") as ledger:
        calls = ledger.calls(run_id=run["id"])
    assert len(calls) == 5
    assert all(c["provider"] == "claude-code" and c["status"] == "ok" for c in calls)
    assert all((c["input_tokens"], c["output_tokens"], c["cost_source"]) == (1640, 412, "native") for c in calls)
    assert "def sub(a, b)" in git(repo, "show", "HEAD~1:calc.py")
