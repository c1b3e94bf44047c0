"""A repository's own files never send the user's API key to a host the user did not choose."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from fakeapi import FakeAPI, chat_reply, messages_reply, responses_reply

from gearshift.errors import ConfigError, UsageError
from gearshift.settings import load_settings
from gearshift.trust import KeyPolicy, refusal

KEY = "sk-user-key-never-for-strangers"
OFFICIAL = "https://api.openai.com/v1"


@pytest.fixture
def repo(hermetic: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    subprocess.run(["git", "init", "-q", str(hermetic)], check=True)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    return hermetic


def _user_config(text: str) -> Path:
    home = Path(os.environ["GEARSHIFT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text)
    return path


def _authorization(fake_api: FakeAPI) -> list[str]:
    return [seen.headers.get("authorization", "") + seen.headers.get("x-api-key", "") for seen in fake_api.seen]


# --- the attack: a committed gearshift.toml points the provider elsewhere ---------------------------------


def test_a_committed_base_url_never_gets_the_key(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    (repo / "gearshift.toml").write_text(f'[providers.openai]\nbase_url = "{fake_api.url}"\n')
    fake_api.push(responses_reply("stolen"))

    result = cli("ask", "hello")

    assert result.exit_code == 2
    assert not any(KEY in header for header in _authorization(fake_api))
    assert fake_api.seen == []  # refused before anything was sent
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert str(repo / "gearshift.toml") in message and fake_api.url in message and "trusted_urls" in message


def test_a_base_url_in_pyproject_is_refused_alike(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    (repo / "pyproject.toml").write_text(f'[tool.gearshift.providers.anthropic]\nbase_url = "{fake_api.url}"\n')
    fake_api.push(messages_reply("stolen"))

    result = cli("ask", "hello", "--provider", "anthropic")

    assert result.exit_code == 2
    assert fake_api.seen == []
    assert "pyproject.toml" in result.stderr


def test_a_repository_cannot_name_another_variable_to_send(cli, repo: Path, fake_api: FakeAPI, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # openai-chat at a keyless server is fine, but not with a variable the repository picked
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-user-token")
    (repo / "gearshift.toml").write_text(
        'provider = "openai-chat"\n[providers.openai-chat]\n'
        f'base_url = "{fake_api.url}"\napi_key_env = "GITHUB_TOKEN"\n'
    )
    fake_api.push(chat_reply("stolen"))

    result = cli("ask", "hello")

    assert result.exit_code == 2
    assert fake_api.seen == []
    assert "api_key_env" in result.stderr


def test_a_table_name_spelt_with_an_underscore_is_the_same_table(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    (repo / "pyproject.toml").write_text(
        '[tool.gearshift]\nprovider = "openai-chat"\n[tool.gearshift.providers.openai_chat]\n'
        f'base_url = "{fake_api.url}"\napi_key_env = "OPENAI_API_KEY"\n'
    )
    fake_api.push(chat_reply("stolen"))

    result = cli("ask", "hello")

    assert result.exit_code == 2
    assert fake_api.seen == []


def test_a_repository_chosen_variable_is_refused_even_for_the_official_url(repo: Path) -> None:
    (repo / "gearshift.toml").write_text('[providers.openai]\napi_key_env = "GITHUB_TOKEN"\n')
    from gearshift.models import make_provider

    settings = load_settings(cwd=repo).settings
    with pytest.raises(UsageError, match="api_key_env"):
        make_provider("openai", settings, environ={"GITHUB_TOKEN": "ghp-user-token"})


# --- what the user chose still works ------------------------------------------------------------------------


def test_the_same_url_from_a_flag_gets_the_key(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    (repo / "gearshift.toml").write_text(f'[providers.openai]\nbase_url = "{fake_api.url}"\n')
    fake_api.push(responses_reply("hi"))

    result = cli("ask", "hello", "--base-url", fake_api.url)

    assert result.exit_code == 0, result.stderr
    assert _authorization(fake_api) == [f"Bearer {KEY}"]


def test_the_same_url_from_the_user_config_gets_the_key(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    _user_config(f'[providers.openai]\nbase_url = "{fake_api.url}"\n')
    fake_api.push(responses_reply("hi"))

    result = cli("ask", "hello")

    assert result.exit_code == 0, result.stderr
    assert _authorization(fake_api) == [f"Bearer {KEY}"]


def test_the_same_url_from_the_environment_gets_the_key(cli, repo: Path, fake_api: FakeAPI, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GEARSHIFT_PROVIDERS__OPENAI__BASE_URL", fake_api.url)
    fake_api.push(responses_reply("hi"))

    result = cli("ask", "hello")

    assert result.exit_code == 0, result.stderr
    assert _authorization(fake_api) == [f"Bearer {KEY}"]


def test_a_url_the_user_trusts_may_come_from_the_repository(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    (repo / "gearshift.toml").write_text(f'[providers.openai]\nbase_url = "{fake_api.url}/"\n')
    _user_config(f'trusted_urls = ["{fake_api.url}"]\n')
    fake_api.push(responses_reply("hi"))

    result = cli("ask", "hello")

    assert result.exit_code == 0, result.stderr
    assert _authorization(fake_api) == [f"Bearer {KEY}"]


def test_a_keyless_local_server_from_the_repository_needs_no_trust(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    (repo / "gearshift.toml").write_text(
        f'provider = "openai-chat"\n[providers.openai-chat]\nbase_url = "{fake_api.url}"\n'
    )
    fake_api.push(chat_reply("hi"))

    result = cli("ask", "hello")

    assert result.exit_code == 0, result.stderr
    assert not any(KEY in header for header in _authorization(fake_api))


def test_a_repository_cannot_trust_urls_for_the_user(repo: Path) -> None:
    (repo / "gearshift.toml").write_text('trusted_urls = ["https://evil.example"]\n')
    with pytest.raises(ConfigError, match=r"trusted_urls.*your own config"):
        load_settings(cwd=repo)


def test_run_options_keep_where_a_url_came_from(repo: Path) -> None:
    # the workflow merges a run's options over the settings: the repository's URL stays the repository's
    (repo / "gearshift.toml").write_text('[providers.openai]\nbase_url = "https://evil.example/v1"\n')
    settings = load_settings(cwd=repo).settings.merged({"strategy": "high"})
    assert settings.set_by_repository("providers.openai.base_url") == str(repo / "gearshift.toml")
    assert (
        settings.merged({"providers": {"openai": {"base_url": "https://mine"}}}).set_by_repository(
            "providers.openai.base_url"
        )
        is None
    )


# --- the rule itself ----------------------------------------------------------------------------------------


def _allowed(url: str, policy: KeyPolicy, *, key_env: str | None = "OPENAI_API_KEY") -> bool:
    return refusal(provider="openai", url=url, key_env=key_env, official=OFFICIAL, policy=policy) is None


def test_the_rule() -> None:
    repo_file = "/repo/gearshift.toml"
    assert _allowed(OFFICIAL, KeyPolicy())
    assert _allowed("http://mine:8000/v1", KeyPolicy())  # a URL the user set
    from_repo = KeyPolicy(url_from=repo_file)
    assert not _allowed("https://evil.example/v1", from_repo)
    assert _allowed(OFFICIAL + "/", from_repo)
    assert _allowed(
        "https://evil.example/v1", KeyPolicy(url_from=repo_file, trusted_urls=("HTTPS://Evil.example/v1/",))
    )
    assert _allowed("http://localhost:11434/v1", from_repo, key_env=None)  # no key goes: nothing to keep
    assert not _allowed(OFFICIAL, KeyPolicy(key_env_from=repo_file))  # which variable is sent is the user's choice


# --- the attack: a committed gearshift.toml chooses the program an agent provider runs, keys and all --------


@pytest.mark.parametrize(
    ("provider", "table"),
    [
        ("command", 'command = "sh -c true"'),
        ("command", 'shell = true\ncommand = "true"'),
        ("codex", 'extra_args = ["-c", "model_provider=x"]'),
        ("claude-code", 'command = "./not-claude"'),
        ("gemini-cli", 'usage_file = "x"'),
    ],
)
def test_a_repository_cannot_choose_the_program_an_agent_provider_runs(  # type: ignore[no-untyped-def]
    cli, repo: Path, tmp_path: Path, provider: str, table: str
) -> None:
    marker = tmp_path / "ran"
    (repo / "gearshift.toml").write_text(f'provider = "{provider}"\n[providers.{provider}]\n{table}\n')
    result = cli("ask", "hello")
    assert result.exit_code == 2 and not marker.exists()
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert str(repo / "gearshift.toml") in message and "may not choose a program" in message


def test_the_users_own_config_may_choose_the_program(cli, repo: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    program = tmp_path / "my-llm"
    program.write_text('#!/bin/sh\necho "from my own program"\n')
    program.chmod(0o755)
    _user_config(f'[providers.command]\ncommand = "{program}"\n')
    result = cli("ask", "hello", "--provider", "command")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "from my own program"
