"""The gemini-cli provider against a fake `gemini` on PATH (tests/fake_agents/gemini_fake.py), which takes the
headless options as Gemini CLI 0.61.0 spells them, reads its settings from $GEMINI_CLI_HOME and prints its
`--output-format json` object (its errors on stderr)."""

from __future__ import annotations

import json
import os
import re
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
from gearshift.models.agents.gemini_cli import GeminiCLI
from gearshift.models.agents.prompt import READ_ONLY, schema_section
from gearshift.models.base import Billing, Usage
from gearshift.models.config import ProviderSettings
from gearshift.plan import plan_json_schema
from gearshift.pricing import cost_usd

SESSION = "8b963bdf-7184-4042-bd8d-825330feae93"
PLAN_SCHEMA = JsonSchema(name="plan", schema=plan_json_schema())
# the fake's stats summed over its two models: prompt + tool-use prompt in, candidates + thoughts out
USAGE = Usage(input_tokens=5440, cached_tokens=1000, output_tokens=520, reasoning_tokens=200)


@pytest.fixture
def fake_gemini(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`gemini` first on PATH; returns the log it appends each run's argv, cwd, prompt and settings to."""
    monkeypatch.delenv("GEMINI_CLI_HOME", raising=False)
    return install_fake("gemini", "gemini_fake.py", tmp_path, monkeypatch)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return small_repo(tmp_path)


def gemini(**settings: Any) -> GeminiCLI:
    return GeminiCLI(ProviderSettings(**settings), dict(os.environ))


def request(**kw: Any) -> Request:
    fields: dict[str, Any] = {"instructions": "Plan the task.", "input": "Add a flag", "model": "default"}
    return Request(**{**fields, "effort": Effort.HIGH, **kw})


def thinking(alias: str, **config: Any) -> dict[str, Any]:
    return {"match": {"model": alias}, "modelConfig": {"generateContentConfig": {"thinkingConfig": config}}}


def test_a_plan_runs_gemini_in_plan_mode_in_the_checkout_with_the_schema_in_the_prompt(
    fake_gemini: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_GEMINI_TEXT", "```json\n" + json.dumps(PLAN) + "\n```")
    plan = request(schema=PLAN_SCHEMA, workspace=Workspace(root=repo))
    reply = gemini().complete(plan, Effort.HIGH)

    [run] = runs(fake_gemini)
    assert run["argv"] == ["--output-format", "json", "--approval-mode", "plan", "--skip-trust", "--prompt", ""]
    assert run["cwd"] == str(repo)
    # the prompt on stdin: the instructions, the read-only rule, the input, and the schema (no flag for it)
    assert run["stdin"] == f"Plan the task.\n\n{READ_ONLY}\n\nAdd a flag\n\n{schema_section(plan)}\n"
    # the effort, in the run's own settings: on every chat model (the default model is routed by the CLI)
    assert run["settings"] == {
        "modelConfigs": {
            "customOverrides": [
                thinking("chat-base-3", thinkingLevel="HIGH"),
                thinking("chat-base-2.5", thinkingBudget=24576),
            ]
        }
    }
    assert json.loads(reply.text) == PLAN
    assert reply.usage == USAGE
    assert (reply.request_id, reply.model, reply.effort_sent, reply.native_cost_usd) == (
        SESSION,
        "gemini-3.1-pro-preview-customtools",  # the model that did the work, not the router beside it
        Effort.HIGH,
        None,
    )


def test_implement_lets_gemini_auto_edit_and_nothing_more(fake_gemini: Path, repo: Path) -> None:
    reply = gemini().complete(
        request(instructions="Implement step 1.", workspace=Workspace(root=repo, writable=True)), Effort.LOW
    )
    [run] = runs(fake_gemini)
    argv = run["argv"]
    assert argv[argv.index("--approval-mode") + 1] == "auto_edit"
    assert "yolo" not in argv and "-y" not in argv and "--yolo" not in argv
    assert READ_ONLY not in run["stdin"] and "# Answer format" not in run["stdin"]
    assert reply.text == "hello"


def test_a_question_outside_a_run_goes_to_an_empty_directory_in_plan_mode(fake_gemini: Path, repo: Path) -> None:
    gemini().complete(request(), Effort.LOW)
    [run] = runs(fake_gemini)
    assert run["argv"][run["argv"].index("--approval-mode") + 1] == "plan"
    assert Path(run["cwd"]).name == "workdir" and run["cwd"] != str(repo)


@pytest.mark.parametrize(
    ("model", "effort", "named"),
    [
        # a model asked for by name gets it too: one the CLI's alias table lacks extends neither family alias
        ("gemini-3-flash-preview", Effort.MINIMAL, thinking("gemini-3-flash-preview", thinkingLevel="MINIMAL")),
        ("gemini-2.5-flash", Effort.LOW, thinking("gemini-2.5-flash", thinkingBudget=1024)),
        ("models/gemini-2.5-pro", Effort.MEDIUM, thinking("models/gemini-2.5-pro", thinkingBudget=8192)),
    ],
)
def test_the_effort_goes_to_the_model_asked_for_by_its_thinking_setting(
    fake_gemini: Path, model: str, effort: Effort, named: dict[str, Any]
) -> None:
    gemini().complete(request(model=model), effort)
    [run] = runs(fake_gemini)
    assert run["argv"][run["argv"].index("--model") + 1] == model
    assert run["settings"]["modelConfigs"]["customOverrides"][-1] == named


def test_the_efforts_offered_are_the_models_thinking_setting() -> None:
    assert gemini().supported_efforts("default") == (Effort.LOW, Effort.HIGH)  # every Gemini 3 level takes these
    assert gemini().supported_efforts("gemini-3-pro-preview") == (Effort.LOW, Effort.HIGH)
    assert gemini().supported_efforts("gemini-2.5-pro") == (Effort.LOW, Effort.MEDIUM, Effort.HIGH)  # a budget
    flash = (Effort.MINIMAL, Effort.LOW, Effort.MEDIUM, Effort.HIGH)
    assert gemini(efforts=flash).supported_efforts("gemini-3-flash-preview") == flash


def test_the_users_settings_are_used_and_never_changed(
    fake_gemini: Path, hermetic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Path(os.environ["HOME"])
    (home / ".gemini").mkdir()
    own = """{
  // the user's own, with a comment as the CLI allows
  "security": {"auth": {"selectedType": "gemini-api-key"}},
  "modelConfigs": {"customOverrides": [{"match": {"model": "x"}, "modelConfig": {}}]},
  "model": {"name": "gemini-2.5-pro", "maxSessionTurns": 99},
  "note": "a // in a string is not a comment"
}
"""
    (home / ".gemini" / "settings.json").write_text(own)
    (home / ".gemini" / "oauth_creds.json").write_text("{}")
    (home / ".env").write_text("GEMINI_API_KEY=k\n")

    gemini(max_turns=12).complete(request(), Effort.LOW)

    [run] = runs(fake_gemini)
    assert run["settings"] == {
        "security": {"auth": {"selectedType": "gemini-api-key"}},
        "modelConfigs": {
            "customOverrides": [
                {"match": {"model": "x"}, "modelConfig": {}},  # the user's first: later ones win a tie
                thinking("chat-base-3", thinkingLevel="LOW"),
                thinking("chat-base-2.5", thinkingBudget=1024),
            ]
        },
        "model": {"name": "gemini-2.5-pro", "maxSessionTurns": 12},
        "note": "a // in a string is not a comment",
    }
    # the login and the rest of ~/.gemini are the user's own files, linked; settings.json is the run's copy
    assert run["home"] == {"oauth_creds.json": str(home / ".gemini" / "oauth_creds.json"), "settings.json": None}
    assert (home / ".gemini" / "settings.json").read_text() == own
    assert (home / ".gemini" / "oauth_creds.json").exists() and (home / ".env").exists()
    assert sorted(p.name for p in (home / ".gemini").iterdir()) == ["oauth_creds.json", "settings.json"]


def test_a_gemini_home_of_the_users_own_is_the_one_mirrored(
    fake_gemini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "gemini-home"
    (own / ".gemini").mkdir(parents=True)
    (own / ".gemini" / "settings.json").write_text('{"general": {"vimMode": true}}')
    monkeypatch.setenv("GEMINI_CLI_HOME", str(own))
    gemini().complete(request(), Effort.HIGH)
    [run] = runs(fake_gemini)
    assert run["settings"]["general"] == {"vimMode": True}


def test_settings_gemini_could_not_read_are_a_usage_error(fake_gemini: Path) -> None:
    settings = Path(os.environ["HOME"]) / ".gemini" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{\n  "model": {"name": "x",}\n}\n')
    with pytest.raises(UsageError, match=r"settings.json line 2: not JSON .*; gemini-cli runs with a copy of it: fix"):
        gemini().complete(request(), Effort.HIGH)


def test_the_gateway_records_the_effort_and_the_tokens_priced_from_the_table(fake_gemini: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    reply = Gateway(ledger).call(gemini(), request(model="gemini-2.5-pro", effort=Effort.XHIGH), CallSite(phase="ask"))

    [run] = runs(fake_gemini)
    assert run["settings"]["modelConfigs"]["customOverrides"][-1] == thinking("gemini-2.5-pro", thinkingBudget=24576)
    [row] = ledger.calls()
    assert (row["provider"], row["model"], row["effort_requested"], row["effort_sent"], row["status"]) == (
        "gemini-cli",
        "gemini-2.5-pro",
        "xhigh",
        "high",
        "ok",
    )
    assert (row["input_tokens"], row["cached_tokens"], row["output_tokens"], row["reasoning_tokens"]) == (
        5440,
        1000,
        520,
        200,
    )
    # Gemini CLI says no cost: Google's prices from the table
    assert gemini().billing == Billing(provider_id="google")
    expected = cost_usd("gemini-2.5-pro", USAGE, Billing(provider_id="google"))
    assert expected is not None and (row["cost_usd"], row["cost_source"]) == (pytest.approx(expected), "table")
    assert reply.cost_usd == row["cost_usd"]


@pytest.mark.parametrize(
    ("mode", "message", "status", "usage"),
    [
        (
            "api_error",
            "gemini-cli failed (Error) (session {s}): Resource has been exhausted (e.g. check quota)."
            " (RESOURCE_EXHAUSTED)",
            "rate_limited",
            Usage(),
        ),
        (
            "turn_limit",
            "gemini-cli failed (FatalTurnLimitedError) (session {s}): Reached max session turns for this session."
            " Increase the number of turns by specifying maxSessionTurns in settings.json.;"
            " raise providers.gemini-cli.max_turns if the task needs more",
            "incomplete",
            Usage(),
        ),
        ("auth", "gemini-cli failed (Error) (session {s}): Invalid auth method selected.", "auth_error", Usage()),
        (
            "invalid_stream",
            "gemini-cli failed (INVALID_STREAM) (session {s}): Model stream ended with an empty response.",
            "error",
            USAGE,  # the reply came with its stats
        ),
    ],
)
def test_a_failure_is_a_provider_error_quoting_gemini(
    fake_gemini: Path, monkeypatch: pytest.MonkeyPatch, mode: str, message: str, status: str, usage: Usage
) -> None:
    monkeypatch.setenv("FAKE_GEMINI_MODE", mode)
    with pytest.raises(ProviderError) as caught:
        gemini().complete(request(), Effort.HIGH)
    error = caught.value
    assert error.message == message.format(s=SESSION)
    assert (error.status, error.request_id, error.usage) == (status, SESSION, usage)


def test_an_exit_without_json_says_geminis_error_line(fake_gemini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_GEMINI_MODE", "exit")
    with pytest.raises(
        ProviderError, match=r"^gemini-cli exited with code 1: Error: Cannot find module '@google/gemini-cli-core';"
    ):
        gemini().complete(request(), Effort.HIGH)


def test_an_option_gemini_does_not_know_is_its_own_error(fake_gemini: Path) -> None:
    with pytest.raises(ProviderError, match=r"gemini-cli exited with code 1: Unknown argument: bogus;"):
        gemini(extra_args=("--bogus",)).complete(request(), Effort.HIGH)
    gemini(extra_args=("--sandbox", "-e", "none")).complete(request(), Effort.HIGH)
    assert runs(fake_gemini)[-1]["argv"][-5:] == ["--sandbox", "-e", "none", "--prompt", ""]


def test_output_without_a_json_reply_is_malformed(fake_gemini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_GEMINI_MODE", "garbage")
    with pytest.raises(ProviderError) as caught:
        gemini().complete(request(), Effort.HIGH)
    assert caught.value.status == "malformed"
    assert caught.value.message.startswith("gemini-cli printed no JSON reply ('Loaded cached credentials.')")


def test_the_reply_is_kept_with_the_run(fake_gemini: Path, repo: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    gemini().complete(request(workspace=Workspace(root=repo, log_dir=logs)), Effort.HIGH)
    [kept] = logs.iterdir()
    assert kept.name.endswith("-gemini-cli-001.jsonl")
    assert json.loads(kept.read_text())["session_id"] == SESSION


@pytest.mark.parametrize(
    "args",
    [
        ("--yolo",),
        ("-y",),
        ("--approval-mode", "yolo"),
        ("--approval-mode=auto_edit",),
        ("--policy", "allow-all.toml"),
        ("--include-directories", "/"),
        ("--allowed-tools", "run_shell_command"),
        ("-o", "text"),
        ("--worktree",),
    ],
)
def test_extra_args_that_change_its_approvals_are_refused(args: tuple[str, ...]) -> None:
    with pytest.raises(UsageError, match="providers.gemini-cli.extra_args has .* gearshift sets those itself"):
        gemini(extra_args=args)


def test_a_command_that_changes_its_approvals_is_refused() -> None:
    with pytest.raises(UsageError, match="providers.gemini-cli.command has '--yolo'"):
        gemini(command="npx gemini --yolo")
    assert gemini(command="npx -y @google/gemini-cli@0.61.0").command[:2] == ["npx", "-y"]


def test_a_budget_gemini_does_not_have_is_refused() -> None:
    with pytest.raises(UsageError, match="gemini-cli has no budget limit: remove providers.gemini-cli.max_budget_usd"):
        gemini(max_budget_usd=1.0)


def test_a_gemini_not_installed_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError, match="gemini: program not found on PATH"):
        gemini().complete(request(), Effort.HIGH)


def test_a_whole_run_through_the_cli_with_gemini(  # type: ignore[no-untyped-def]
    cli, fake_gemini: Path, hermetic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """plan (plan mode, the plan schema in the prompt), each step (auto_edit in the checkout), review (plan
    mode), ending done, with every call in the ledger with its tokens."""
    repo = make_repo(hermetic / "repo")
    monkeypatch.chdir(repo)
    mul = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"
    steps = {
        "1": {"calc.py": mul},
        "2": {"calc.py": mul + "\n\ndef sub(a, b):\n    return a - b\n"},
        "3": {"README.md": "# calc\n\n- add(a, b)\n- mul(a, b)\n- sub(a, b)\n"},
    }
    script = hermetic / "gemini-script.json"
    script.write_text(json.dumps({"plan": PLAN, "review": REVIEW, "steps": steps}))
    monkeypatch.setenv("FAKE_GEMINI_SCRIPT", str(script))

    result = cli("run", TASK, "--yes", "--provider", "gemini-cli", "--test-cmd", TEST_CMD)
    assert result.exit_code == 0, result.stderr

    [run] = json.loads(cli("runs", "--json").stdout)
    assert (run["status"], run["steps_done"], run["steps_total"]) == ("done", 3, 3)
    seen = runs(fake_gemini)
    modes = [r["argv"][r["argv"].index("--approval-mode") + 1] for r in seen]
    assert modes == ["plan", "auto_edit", "auto_edit", "auto_edit", "plan"]
    levels = [r["settings"]["modelConfigs"]["customOverrides"][0] for r in seen]
    assert levels[0] == thinking("chat-base-3", thinkingLevel="HIGH")  # the plan's effort, as the route chose it

    with Ledger(repo / ".gearshift" / "ledger.db") as ledger:
        calls = ledger.calls(run_id=run["id"])
    assert len(calls) == 5
    assert all(c["provider"] == "gemini-cli" and c["status"] == "ok" for c in calls)
    assert all((c["input_tokens"], c["output_tokens"]) == (5440, 520) for c in calls)
    assert "def sub(a, b)" in git(repo, "show", "HEAD~1:calc.py")


@pytest.mark.parametrize("planted", [".env", ".gemini/settings.json", ".gemini/.env"])
def test_a_repository_with_its_own_gemini_config_is_refused_unless_trusted(
    fake_gemini: Path, repo: Path, planted: str
) -> None:
    # --skip-trust would load it (MCP servers, tool commands, variables) into a process holding the key
    (repo / planted).parent.mkdir(exist_ok=True)
    (repo / planted).write_text("{}\n")
    with pytest.raises(UsageError, match=rf"the repository has {re.escape(planted)}, .*\.trust_workspace = true"):
        gemini().complete(request(workspace=Workspace(root=repo)), Effort.HIGH)
    assert not fake_gemini.exists()  # nothing ran
    reply = gemini(trust_workspace=True).complete(request(workspace=Workspace(root=repo)), Effort.HIGH)
    assert reply.text and len(runs(fake_gemini)) == 1
