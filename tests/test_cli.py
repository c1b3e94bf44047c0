from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fakeapi import FakeAPI, chat_reply, error_reply, responses_reply

CONTRACT_KEYS = [
    "id",
    "run_id",
    "phase",
    "step",
    "provider",
    "model",
    "effort_requested",
    "effort_sent",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cost_usd",
    "cost_source",  # native (the provider's own figure), table or none
    "usage_source",  # reported, or estimated (counted offline)
    "latency_ms",
    "request_id",
    "status",
    "error",
    "created_at",
]


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


def test_version_and_help(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("--version")
    assert (result.exit_code, result.stdout.strip()) == (0, "gearshift 0.1.0")
    help_text = cli("--help").stdout
    for command in ("ask", "calls", "stats", "config"):
        assert command in help_text


def test_ask_prints_the_answer_and_records_the_call(cli, fake_api: FakeAPI, key: None, hermetic: Path) -> None:  # type: ignore[no-untyped-def]
    subprocess.run(["git", "init", "-q", str(hermetic)], check=True)
    fake_api.push(responses_reply("A race condition is...", input_tokens=40, output_tokens=20, reasoning_tokens=8))

    result = cli("ask", "Explain what a race condition is", "--effort", "high", "--base-url", fake_api.url)

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "A race condition is...\n"
    assert result.stderr == ""  # not a terminal: no spinner, no footer
    assert fake_api.seen[0].body["reasoning"] == {"effort": "high"}
    # the ledger lives in the repository's .gearshift/, which git never sees
    assert (hermetic / ".gearshift" / "ledger.db").exists()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=hermetic, capture_output=True, text=True)
    assert ".gearshift" not in status.stdout

    rows = json.loads(cli("calls", "--json").stdout)
    assert len(rows) == 1
    assert list(rows[0]) == CONTRACT_KEYS
    row = rows[0]
    assert (row["phase"], row["provider"], row["effort_requested"], row["effort_sent"]) == (
        "ask",
        "openai",
        "high",
        "high",
    )
    assert (row["input_tokens"], row["output_tokens"], row["reasoning_tokens"]) == (40, 20, 8)


def test_stats_group_by_phase_effort_and_model(cli, fake_api: FakeAPI, key: None) -> None:  # type: ignore[no-untyped-def]
    fake_api.push(responses_reply("1", input_tokens=10), responses_reply("2", input_tokens=20), responses_reply("3"))
    for effort in ("high", "high", "low"):
        assert cli("ask", "q", "-e", effort, "--base-url", fake_api.url).exit_code == 0
    stats = json.loads(cli("stats", "--json").stdout)
    by_effort = {s["effort_sent"]: s for s in stats}
    assert by_effort["high"]["calls"] == 2
    assert by_effort["high"]["input_tokens"] == 30
    assert by_effort["low"]["calls"] == 1
    table = cli("stats").stdout
    assert "total" in table
    assert "unknown" in table  # loopback prices are unknown, and said so


def test_ask_json_and_stdin(cli, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    fake_api.push(chat_reply("local answer", prompt_tokens=7, completion_tokens=3))
    result = cli(
        "ask",
        "-",
        "--provider",
        "openai-chat",
        "--base-url",
        fake_api.url,
        "--model",
        "qwen3",
        "--json",
        stdin="from stdin",
    )
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["text"] == "local answer"
    assert payload["usage"]["input_tokens"] == 7
    assert payload["effort_requested"] == "medium"
    assert payload["cost_usd"] is None
    assert fake_api.seen[0].body["messages"][1]["content"] == "from stdin"
    assert fake_api.seen[0].body["model"] == "qwen3"


def test_record_and_replay_through_the_cli(cli, fake_api: FakeAPI, key: None, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    transcript = tmp_path / "t.jsonl"
    fake_api.push(responses_reply("recorded answer"))
    assert cli("ask", "q?", "--base-url", fake_api.url, "--record", str(transcript)).exit_code == 0
    result = cli("ask", "q?", "--provider", "replay", "--transcript", str(transcript))
    assert (result.exit_code, result.stdout) == (0, "recorded answer\n")
    assert len(fake_api.seen) == 1


def test_db_flag_chooses_the_ledger(cli, fake_api: FakeAPI, key: None, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake_api.push(responses_reply("x"))
    db = tmp_path / "elsewhere.db"
    assert cli("--db", str(db), "ask", "q", "--base-url", fake_api.url).exit_code == 0
    assert db.exists()
    assert len(json.loads(cli("--db", str(db), "calls", "--json").stdout)) == 1
    assert json.loads(cli("calls", "--json").stdout) == []


def test_outside_a_repository_the_ledger_goes_to_gearshift_home(cli, fake_api: FakeAPI, key: None) -> None:  # type: ignore[no-untyped-def]
    import os

    fake_api.push(responses_reply("x"))
    assert cli("ask", "q", "--base-url", fake_api.url).exit_code == 0
    assert (Path(os.environ["GEARSHIFT_HOME"]) / "ledger.db").exists()


def test_config_show_names_sources(cli, hermetic: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    (hermetic / "gearshift.toml").write_text('strategy = "medium"\n')
    monkeypatch.setenv("GEARSHIFT_MODEL", "gpt-5.2")
    rows = {r["key"]: r for r in json.loads(cli("config", "show", "--json").stdout)}
    assert rows["strategy"]["source"] == str(hermetic / "gearshift.toml")
    assert rows["model"] == {"key": "model", "value": "gpt-5.2", "source": "env GEARSHIFT_MODEL"}
    assert rows["resolved.plan"]["value"] == "openai gpt-5.2 @ medium"
    assert "strategy" in cli("config", "show").stdout


@pytest.mark.parametrize(
    ("args", "env", "code", "words"),
    [
        (["ask", "q", "--provider", "gemini"], {}, 2, "unknown provider 'gemini'"),
        (["ask", "q", "--effort", "ultra"], {"OPENAI_API_KEY": "k"}, 2, "unknown effort 'ultra'"),
        (["ask", "q"], {}, 2, "no API key for provider openai: set OPENAI_API_KEY"),
        (["ask", "   "], {}, 2, "the prompt is empty"),
        (["ask", "q", "--provider", "replay"], {}, 2, "replay needs a transcript"),
        (
            ["ask", "q", "--schema", "missing.json"],
            {"OPENAI_API_KEY": "k"},
            2,
            "cannot read schema missing.json",
        ),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(  # type: ignore[no-untyped-def]
    cli, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], code: int, words: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = cli(*args)
    assert result.exit_code == code
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_malformed_config_names_file_and_key(cli, hermetic: Path) -> None:  # type: ignore[no-untyped-def]
    (hermetic / "gearshift.toml").write_text("[phases.review]\neffort = 'loud'\n")
    result = cli("config", "show")
    assert result.exit_code == 2
    assert result.stderr.startswith("gearshift: invalid setting phases.review.effort (")
    assert "gearshift.toml" in result.stderr


def test_failures_exit_1(cli, fake_api: FakeAPI, key: None) -> None:  # type: ignore[no-untyped-def]
    fake_api.push(error_reply(401, "bad key"))
    result = cli("ask", "q", "--base-url", fake_api.url)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"gearshift: openai: {fake_api.url} rejected the API key (401); check OPENAI_API_KEY"
    )
    rows = json.loads(cli("calls", "--json").stdout)
    assert (rows[0]["status"], rows[0]["error"]) == (
        "auth_error",
        result.stderr.strip().removeprefix("gearshift: "),
    )


def _run(args: list[str], env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GEARSHIFT_DEBUG"))}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=60)


def test_help_imports_neither_the_sdks_nor_pydantic() -> None:
    result = _run(["-X", "importtime", "-m", "gearshift", "--help"])
    assert result.returncode == 0
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    heavy = {name for name in imported if name.split(".")[0] in {"openai", "anthropic", "pydantic", "genai_prices"}}
    assert heavy == set()
    assert "gearshift.cli" in imported


def test_a_real_process_fails_without_a_traceback_unless_asked() -> None:
    quiet = _run(["-m", "gearshift", "ask", "q", "--provider", "nope"])
    assert quiet.returncode == 2
    assert quiet.stderr.startswith("gearshift: invalid setting provider (flag): unknown provider 'nope'")
    assert len(quiet.stderr.strip().splitlines()) == 1
    loud = _run(["-m", "gearshift", "ask", "q", "--provider", "nope"], {"GEARSHIFT_DEBUG": "1"})
    assert "Traceback" in loud.stderr


def test_route_and_map_in_a_plain_directory_write_nothing_into_it(cli, hermetic: Path) -> None:  # type: ignore[no-untyped-def]
    (hermetic / "app.py").write_text("def handler(request):\n    return request\n")
    route = cli("route", "Add a handler for uploads", "--json")
    mapped = cli("map", "Add a handler for uploads", "--json")
    assert (route.exit_code, mapped.exit_code) == (0, 0), route.stderr + mapped.stderr
    assert json.loads(route.stdout)["task_type"] == "implementation"
    assert [f["path"] for f in json.loads(mapped.stdout)["files"]] == ["app.py"]
    assert sorted(p.name for p in hermetic.iterdir()) == ["app.py"]  # no .gearshift/ in the user's tree
