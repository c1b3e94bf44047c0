"""The codex provider against a fake `codex` on PATH (tests/fake_agents/codex_fake.py), which takes the
`codex exec` arguments as codex-cli 0.169.0 spells them and speaks its --json events."""

from __future__ import annotations

import json
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
from gearshift.models.agents.codex import Codex
from gearshift.models.agents.prompt import READ_ONLY
from gearshift.models.base import Billing, Usage
from gearshift.models.config import ProviderSettings
from gearshift.plan import plan_json_schema
from gearshift.trust import KeyPolicy

THREAD = "01a23c94-8620-7b52-9bca-08649269b0b2"
PLAN_SCHEMA = JsonSchema(name="plan", schema=plan_json_schema())


@pytest.fixture
def fake_codex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`codex` first on PATH; returns the log it appends each run's argv, cwd and stdin to."""
    return install_fake("codex", "codex_fake.py", tmp_path, monkeypatch)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return small_repo(tmp_path)


def codex(**settings: Any) -> Codex:
    import os

    return Codex(ProviderSettings(**settings), dict(os.environ))


def request(**kw: Any) -> Request:
    fields: dict[str, Any] = {"instructions": "Plan the task.", "input": "Add a flag", "model": "gpt-5.4"}
    return Request(**{**fields, "effort": Effort.HIGH, **kw})


def test_a_plan_runs_codex_read_only_in_the_checkout_with_the_schema_apart(
    fake_codex: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CODEX_TEXT", "```json\n" + json.dumps(PLAN) + "\n```")
    reply = codex().complete(
        request(schema=PLAN_SCHEMA, workspace=Workspace(root=repo)),
        Effort.HIGH,
    )

    [run] = runs(fake_codex)
    schema_file = run["argv"][run["argv"].index("--output-schema") + 1]
    assert run["argv"] == [
        "exec",
        "--json",
        "--ignore-user-config",
        "--ignore-rules",
        "--skip-git-repo-check",
        "--sandbox",
        "read-only",
        "-C",
        str(repo),
        "-m",
        "gpt-5.4",
        "-c",
        'model_reasoning_effort="high"',
        "--output-schema",
        schema_file,
        "-",
    ]
    assert run["cwd"] == str(repo)
    assert json.loads(run["schema"]) == plan_json_schema()  # as gearshift made it: strict already
    assert not Path(schema_file).exists()  # in the call's scratch directory, gone with it
    # the prompt on stdin: the instructions, the read-only rule, the input; the schema went apart
    assert run["stdin"] == f"Plan the task.\n\n{READ_ONLY}\n\nAdd a flag\n"
    # the last agent message, its fence taken off for the strict parse; the preamble before it is not it
    assert json.loads(reply.text) == PLAN
    assert reply.usage == Usage(input_tokens=1200, cached_tokens=200, output_tokens=300, reasoning_tokens=120)
    assert (reply.request_id, reply.model, reply.effort_sent, reply.native_cost_usd) == (
        THREAD,
        "gpt-5.4",
        Effort.HIGH,
        None,
    )


def test_implement_runs_codex_in_the_workspace_write_sandbox(fake_codex: Path, repo: Path) -> None:
    reply = codex().complete(
        request(instructions="Implement step 1.", workspace=Workspace(root=repo, writable=True)), Effort.MEDIUM
    )
    [run] = runs(fake_codex)
    argv = run["argv"]
    assert argv[argv.index("--sandbox") + 1] == "workspace-write"
    assert "danger-full-access" not in argv and not any(a.startswith("--dangerously") for a in argv)
    assert "--output-schema" not in argv
    assert 'model_reasoning_effort="medium"' in argv
    assert READ_ONLY not in run["stdin"]
    assert reply.text == "hello"


def test_a_question_outside_a_run_goes_to_an_empty_directory_read_only(fake_codex: Path, repo: Path) -> None:
    codex().complete(request(), Effort.LOW)
    [run] = runs(fake_codex)
    assert run["argv"][run["argv"].index("--sandbox") + 1] == "read-only"
    assert Path(run["cwd"]).name == "workdir" and run["cwd"] != str(repo)


@pytest.mark.parametrize(
    ("model", "efforts"),
    [
        ("gpt-5.4", (Effort.NONE, Effort.LOW, Effort.MEDIUM, Effort.HIGH, Effort.XHIGH)),
        ("gpt-5-mini", (Effort.MINIMAL, Effort.LOW, Effort.MEDIUM, Effort.HIGH)),
        ("default", (Effort.LOW, Effort.MEDIUM, Effort.HIGH)),  # codex picks: what every GPT-5 takes
    ],
)
def test_the_efforts_offered_are_the_models(model: str, efforts: tuple[Effort, ...]) -> None:
    assert codex().supported_efforts(model) == efforts
    assert codex(efforts=(Effort.HIGH,)).supported_efforts(model) == (Effort.HIGH,)


@pytest.mark.parametrize("effort", list(Effort))
def test_every_effort_is_sent_by_its_own_name(fake_codex: Path, effort: Effort) -> None:
    codex().complete(request(effort=effort), effort)
    [run] = runs(fake_codex)
    assert f'model_reasoning_effort="{effort.value}"' in run["argv"]


def test_the_gateway_maps_the_effort_and_records_the_tokens(fake_codex: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    reply = Gateway(ledger).call(codex(), request(effort=Effort.MINIMAL), CallSite(phase="ask"))

    [run] = runs(fake_codex)
    assert 'model_reasoning_effort="low"' in run["argv"]  # gpt-5.4 takes none or low; the tie goes up
    [row] = ledger.calls()
    assert (row["provider"], row["effort_requested"], row["effort_sent"], row["status"]) == (
        "codex",
        "minimal",
        "low",
        "ok",
    )
    assert (row["input_tokens"], row["cached_tokens"], row["output_tokens"], row["reasoning_tokens"]) == (
        1200,
        200,
        300,
        120,
    )
    assert row["request_id"] == THREAD
    assert row["cost_source"] != "native"  # codex says no cost: the price table's, or none
    assert reply.cost_usd == row["cost_usd"]


def test_the_default_model_passes_no_model_flag(fake_codex: Path) -> None:
    reply = codex().complete(request(model="default"), Effort.MEDIUM)
    [run] = runs(fake_codex)
    assert "-m" not in run["argv"]
    assert reply.model == "default"


def test_usage_is_the_last_turn_total(fake_codex: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    usage = {"input_tokens": 6000, "cached_input_tokens": 800, "output_tokens": 60, "reasoning_output_tokens": 24}
    monkeypatch.setenv("FAKE_CODEX_USAGE", json.dumps(usage))
    reply = codex().complete(request(), Effort.HIGH)
    assert reply.usage == Usage(input_tokens=6000, cached_tokens=800, output_tokens=60, reasoning_tokens=24)


def test_a_failed_turn_is_a_provider_error_quoting_codex(fake_codex: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_MODE", "failed")
    with pytest.raises(ProviderError) as caught:
        codex().complete(request(), Effort.HIGH)
    error = caught.value
    # the API's JSON error body, as codex quotes it, down to its message; the reconnect notice is not it
    assert error.message == f"codex failed (thread {THREAD}): Invalid schema for response_format 'codex_output_schema'"
    assert (error.status, error.request_id, error.usage) == ("error", THREAD, None)


def test_an_exit_without_events_says_codexs_error_line(fake_codex: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_MODE", "exit")
    with pytest.raises(
        ProviderError, match=r"^codex exited with code 1: Error: No such file or directory \(os error 2\)"
    ):
        codex().complete(request(), Effort.HIGH)


def test_an_argument_codex_does_not_know_is_its_usage_error(fake_codex: Path) -> None:
    # extra_args go after `exec`, as exec's own options: one codex does not take is refused by codex
    with pytest.raises(ProviderError, match=r"codex exited with code 2: error: unrecognized arguments: --bogus"):
        codex(extra_args=("--bogus",)).complete(request(), Effort.HIGH)
    codex(extra_args=("--ephemeral", "-c", "model_verbosity=low")).complete(request(), Effort.HIGH)
    argv = runs(fake_codex)[-1]["argv"]
    assert argv[-4:] == ["--ephemeral", "-c", "model_verbosity=low", "-"]


def test_output_without_a_completed_turn_is_malformed(fake_codex: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_MODE", "garbage")
    with pytest.raises(ProviderError) as caught:
        codex().complete(request(), Effort.HIGH)
    assert caught.value.status == "malformed"
    assert "without a turn.completed event" in caught.value.message
    assert "'Reading prompt from stdin...'" in caught.value.message


def test_a_stray_line_in_a_completed_turn_is_passed_over(fake_codex: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_MODE", "noise")
    assert codex().complete(request(), Effort.HIGH).text == "hello"


def test_a_turn_without_a_final_message_is_malformed(fake_codex: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_MODE", "silent")
    with pytest.raises(ProviderError, match="without a final message") as caught:
        codex().complete(request(), Effort.HIGH)
    assert caught.value.status == "malformed"
    assert caught.value.usage == Usage(input_tokens=1200, cached_tokens=200, output_tokens=300, reasoning_tokens=120)


def test_the_event_stream_is_kept_with_the_run(fake_codex: Path, repo: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    codex().complete(request(workspace=Workspace(root=repo, log_dir=logs)), Effort.HIGH)
    [kept] = logs.iterdir()
    assert kept.name.endswith("-codex-001.jsonl")
    events = [json.loads(line) for line in kept.read_text().splitlines()]
    assert events[0] == {"type": "thread.started", "thread_id": THREAD}
    assert events[-1]["type"] == "turn.completed"


def test_a_base_url_is_a_custom_model_provider(fake_codex: Path) -> None:
    provider = codex(base_url="http://127.0.0.1:9/v1/", api_key_env="MY_KEY")
    provider.complete(request(), Effort.HIGH)
    argv = runs(fake_codex)[0]["argv"]
    overrides = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-c"]
    assert overrides == [
        'model_reasoning_effort="high"',
        'model_provider="gearshift"',
        'model_providers.gearshift.name="gearshift"',
        'model_providers.gearshift.base_url="http://127.0.0.1:9/v1"',
        'model_providers.gearshift.wire_api="responses"',
        'model_providers.gearshift.env_key="MY_KEY"',
    ]
    assert provider.billing == Billing(api_url="http://127.0.0.1:9/v1")
    assert codex().billing == Billing(provider_id="openai")  # the user's own codex login: OpenAI's prices
    assert 'model_providers.gearshift.env_key="OPENAI_API_KEY"' in codex(base_url="http://x/v1")._provider_overrides(
        "http://x/v1"
    )


def test_a_url_only_a_repository_chose_does_not_get_the_key() -> None:
    import os

    policy = KeyPolicy(url_from="gearshift.toml")
    with pytest.raises(UsageError, match="gearshift.toml sets providers.codex.base_url = https://evil.example/v1"):
        Codex(ProviderSettings(base_url="https://evil.example/v1"), dict(os.environ), policy)
    trusted = KeyPolicy(url_from="gearshift.toml", trusted_urls=("https://evil.example/v1",))
    Codex(ProviderSettings(base_url="https://evil.example/v1"), dict(os.environ), trusted)


@pytest.mark.parametrize(
    "args",
    [
        ("--dangerously-bypass-approvals-and-sandbox",),
        ("--sandbox", "danger-full-access"),
        ("-s", "workspace-write"),
        ("--add-dir", "/"),
        ("-c", 'sandbox_mode="danger-full-access"'),
        ("--config=sandbox_workspace_write.network_access=true",),
        ("-capproval_policy=on-request",),
        ("-c", "mcp_servers.x.command=sh"),
        ("--profile", "mine"),
        ("-C", "/elsewhere"),
    ],
)
def test_extra_args_that_leave_the_sandbox_are_refused(args: tuple[str, ...]) -> None:
    with pytest.raises(UsageError, match="providers.codex.extra_args has .* gearshift sets those itself"):
        codex(extra_args=args)


def test_a_command_that_leaves_the_sandbox_is_refused() -> None:
    with pytest.raises(UsageError, match="providers.codex.command has '--dangerously-bypass-approvals-and-sandbox'"):
        codex(command="npx codex --dangerously-bypass-approvals-and-sandbox")
    with pytest.raises(UsageError, match="providers.codex.command has '--config=sandbox_mode=danger-full-access'"):
        codex(command="codex --config=sandbox_mode=danger-full-access")
    # a launcher's own short flags are its business
    assert codex(command="npx -p @openai/codex@0.169.0 codex").command[:3] == ["npx", "-p", "@openai/codex@0.169.0"]


def test_limits_codex_does_not_have_are_refused() -> None:
    with pytest.raises(UsageError, match="codex exec has no turn or budget limit"):
        codex(max_turns=5)
    with pytest.raises(UsageError, match="providers.codex.deadline bounds its run"):
        codex(max_budget_usd=1.0)


def test_a_codex_not_installed_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError, match="codex: program not found on PATH"):
        codex().complete(request(), Effort.HIGH)


def test_a_whole_run_through_the_cli_with_codex(  # type: ignore[no-untyped-def]
    cli, fake_codex: Path, hermetic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """plan (read-only, the plan schema), each step (codex edits the checkout), review (read-only, the
    review schema), ending done, with every call in the ledger with its tokens."""
    repo = make_repo(hermetic / "repo")
    monkeypatch.chdir(repo)
    mul = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"
    steps = {
        "1": {"calc.py": mul},
        "2": {"calc.py": mul + "\n\ndef sub(a, b):\n    return a - b\n"},
        "3": {"README.md": "# calc\n\n- add(a, b)\n- mul(a, b)\n- sub(a, b)\n"},
    }
    script = hermetic / "codex-script.json"
    script.write_text(json.dumps({"plan": PLAN, "review": REVIEW, "steps": steps}))
    monkeypatch.setenv("FAKE_CODEX_SCRIPT", str(script))

    result = cli("run", TASK, "--yes", "--provider", "codex", "--test-cmd", TEST_CMD)
    assert result.exit_code == 0, result.stderr

    [run] = json.loads(cli("runs", "--json").stdout)
    assert (run["status"], run["steps_done"], run["steps_total"]) == ("done", 3, 3)
    seen = runs(fake_codex)
    sandboxes = [r["argv"][r["argv"].index("--sandbox") + 1] for r in seen]
    assert sandboxes == ["read-only", "workspace-write", "workspace-write", "workspace-write", "read-only"]
    assert ["--output-schema" in r["argv"] for r in seen] == [True, False, False, False, True]
    assert 'model_reasoning_effort="high"' in seen[0]["argv"]  # the plan's effort, as the route chose it

    with Ledger(repo / ".gearshift" / "ledger.db") as ledger:
        calls = ledger.calls(run_id=run["id"])
    assert len(calls) == 5
    assert all(c["provider"] == "codex" and c["status"] == "ok" for c in calls)
    assert all((c["input_tokens"], c["output_tokens"]) == (1200, 300) for c in calls)
    assert all(c["request_id"] == THREAD for c in calls)
    assert "def sub(a, b)" in git(repo, "show", "HEAD~1:calc.py")
