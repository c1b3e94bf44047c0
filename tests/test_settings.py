from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gearshift.effort import Effort
from gearshift.errors import ConfigError
from gearshift.settings import PHASES, STRATEGIES, describe, load_settings


def _repo(work: Path) -> Path:
    (work / ".git").mkdir()
    return work


def _user_config(text: str) -> Path:
    import os

    home = Path(os.environ["GEARSHIFT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text)
    return path


def test_defaults_follow_the_seed(hermetic: Path) -> None:
    loaded = load_settings(environ={})
    s = loaded.settings
    assert s.model == "gpt-5.4"
    assert s.strategy == "auto"  # the route decides; where it has no say, the seed's high -> medium -> high
    assert s.for_phase("plan").effort is Effort.HIGH
    assert s.for_phase("implement").effort is Effort.MEDIUM
    assert s.for_phase("fix").effort is Effort.MEDIUM
    assert s.for_phase("review").effort is Effort.HIGH
    assert s.for_phase("classify").effort is Effort.LOW


def test_each_layer_overrides_the_one_before(hermetic: Path) -> None:
    root = _repo(hermetic)
    user = _user_config('model = "from-user"\nstrategy = "medium"\neffort = "low"\n[budget]\nmax_tokens = 5\n')
    (root / "pyproject.toml").write_text('[tool.gearshift]\nmodel = "from-pyproject"\nstrategy = "high"\n')
    (root / "gearshift.toml").write_text('model = "from-gearshift-toml"\n')
    sub = root / "src" / "deep"
    sub.mkdir(parents=True)

    loaded = load_settings(cwd=sub, environ={"GEARSHIFT_STRATEGY": "xhigh-medium-high"}, flags={"effort": "high"})

    assert loaded.settings.model == "from-gearshift-toml"
    assert loaded.source_of("model") == str(root / "gearshift.toml")
    assert loaded.settings.strategy == "xhigh-medium-high"
    assert loaded.source_of("strategy") == "env GEARSHIFT_STRATEGY"
    assert loaded.settings.effort is Effort.HIGH
    assert loaded.source_of("effort") == "flag"
    assert loaded.settings.budget.max_tokens == 5
    assert loaded.source_of("budget.max_tokens") == str(user)
    assert loaded.repo_root == root


def test_phase_settings_beat_the_strategy(hermetic: Path) -> None:
    _repo(hermetic)
    (hermetic / "gearshift.toml").write_text(
        'strategy = "medium"\n[phases.plan]\neffort = "xhigh"\nmodel = "gpt-5.2"\n'
        '[phases.review]\nprovider = "openai-chat"\n[providers.openai-chat]\nmodel = "qwen3"\n'
    )
    s = load_settings(environ={}).settings
    assert s.for_phase("plan").effort is Effort.XHIGH
    assert s.for_phase("plan").model == "gpt-5.2"
    assert s.for_phase("implement").effort is Effort.MEDIUM
    review = s.for_phase("review")
    assert (review.provider, review.model, review.effort) == ("openai-chat", "qwen3", Effort.MEDIUM)


def test_environment_reaches_nested_keys(hermetic: Path) -> None:
    env = {
        "GEARSHIFT_PHASES__IMPLEMENT__EFFORT": "high",
        "GEARSHIFT_PROVIDERS__OPENAI_CHAT__BASE_URL": "http://localhost:11434/v1",
        "GEARSHIFT_PROVIDERS__OPENAI_CHAT__EFFORTS": "low, high",
        "GEARSHIFT_HOME": "/ignored/not/a/setting",
        "GEARSHIFT_DEBUG": "1",
    }
    loaded = load_settings(environ=env)
    s = loaded.settings
    assert s.for_phase("implement").effort is Effort.HIGH
    chat = s.provider_settings("openai-chat")
    assert chat.base_url == "http://localhost:11434/v1"
    assert chat.efforts == (Effort.LOW, Effort.HIGH)
    assert loaded.source_of("providers.openai-chat.base_url") == "env GEARSHIFT_PROVIDERS__OPENAI_CHAT__BASE_URL"


def test_invalid_value_names_the_file_and_the_key(hermetic: Path) -> None:
    _repo(hermetic)
    path = hermetic / "gearshift.toml"
    path.write_text('[phases.plan]\neffort = "hihg"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={})
    message = caught.value.message
    assert "phases.plan.effort" in message
    assert str(path) in message
    assert "'none', 'minimal', 'low', 'medium', 'high' or 'xhigh'" in message


@pytest.mark.parametrize(
    ("toml", "key", "words"),
    [
        ('strategy = "fast"', "strategy", "unknown strategy 'fast'"),
        ('provider = "gemini"', "provider", "unknown provider 'gemini'"),
        ("colour = 3", "colour", "unknown setting"),
        ('[phases.deploy]\neffort = "low"', "phases.deploy", "unknown setting"),
        ("[providers.openai]\ntimeout = -1", "providers.openai.timeout", "greater than 0"),
        ('[budget]\nmax_usd = "lots"', "budget.max_usd", "valid number"),
    ],
)
def test_invalid_settings_are_one_clear_line(hermetic: Path, toml: str, key: str, words: str) -> None:
    user = _user_config(toml + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={})
    message = caught.value.message
    assert f"invalid setting {key}" in message
    assert str(user) in message
    assert words in message
    assert "\n" not in message


def test_broken_toml_names_the_file_and_line(hermetic: Path) -> None:
    user = _user_config('model = "unterminated\n')
    with pytest.raises(ConfigError, match=rf"cannot read {user}.*line 1"):
        load_settings(environ={})


def test_invalid_environment_value_names_the_variable(hermetic: Path) -> None:
    with pytest.raises(ConfigError, match="phases.fix.effort \\(env GEARSHIFT_PHASES__FIX__EFFORT\\)"):
        load_settings(environ={"GEARSHIFT_PHASES__FIX__EFFORT": "max"})


def test_outside_a_repository_the_working_directory_config_counts(hermetic: Path) -> None:
    (hermetic / "gearshift.toml").write_text('model = "here"\n')
    loaded = load_settings(environ={})
    assert loaded.repo_root is None
    assert loaded.settings.model == "here"


def test_describe_shows_sources_and_resolved_phases(hermetic: Path) -> None:
    rows = {key: (value, source) for key, value, source in describe(load_settings(environ={}, flags={"model": "m"}))}
    assert rows["model"] == ("m", "flag")
    assert rows["strategy"] == ("auto", "default")
    assert rows["resolved.plan"] == ("openai m @ high", "strategy auto")


@given(st.sampled_from(list(STRATEGIES)), st.sampled_from(PHASES), st.sampled_from(list(Effort)))
def test_a_phase_override_always_wins_over_any_strategy(strategy: str, phase: str, effort: Effort) -> None:
    env = {"GEARSHIFT_STRATEGY": strategy, f"GEARSHIFT_PHASES__{phase.upper()}__EFFORT": effort.value.upper()}
    settings = load_settings(environ=env, cwd=Path("/")).settings
    assert settings.for_phase(phase).effort is effort
    for other in PHASES:
        if other != phase:
            assert settings.for_phase(other).effort is STRATEGIES[strategy][other]
