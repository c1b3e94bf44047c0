"""Provider names and tables in the settings: built-ins strict, plug-ins' tables their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gearshift.errors import ConfigError
from gearshift.models import registry
from gearshift.settings import describe, load_settings
from gearshift.testing import FunctionProvider


@pytest.fixture(autouse=True)
def plug_in() -> Iterator[None]:
    registry.register_provider("mine", lambda config: FunctionProvider(lambda req: "", name="mine"))
    yield
    registry.unregister_provider("mine")


def test_a_plug_in_table_takes_any_keys_and_is_its_config(hermetic: Path) -> None:
    path = hermetic / "gearshift.toml"
    path.write_text(
        'provider = "mine"\n[phases.review]\nprovider = "mine"\n'
        '[providers.mine]\ngreeting = "ahoy"\ntimeout = "whenever"\nmodel = "mine-2"\n'
        '[providers.mine.headers]\nx-team = "gears"\n'
    )

    loaded = load_settings(environ={"GEARSHIFT_PROVIDERS__MINE__RETRIES": "7"})
    settings = loaded.settings

    expected: dict[str, Any] = {
        "greeting": "ahoy",
        "timeout": "whenever",  # a key a built-in types, left alone for a plug-in
        "model": "mine-2",
        "headers": {"x-team": "gears"},
        "retries": "7",
    }
    assert settings.provider_config("mine") == expected
    settings.provider_config("mine")["greeting"] = "changed"
    assert settings.provider_config("mine")["greeting"] == "ahoy"  # a factory cannot change the settings
    assert settings.for_phase("review").provider == "mine"
    assert settings.for_phase("plan").model == "mine-2"
    rows = {key: (value, source) for key, value, source in describe(loaded)}
    assert rows["providers.mine.headers.x-team"] == ("gears", str(path))
    assert rows["providers.mine.retries"] == ("7", "env GEARSHIFT_PROVIDERS__MINE__RETRIES")


def test_a_built_in_table_still_refuses_an_unknown_key(hermetic: Path) -> None:
    path = hermetic / "gearshift.toml"
    path.write_text('[providers.mine]\ncolour = "red"\n[providers.openai]\ncolour = "red"\n')

    with pytest.raises(ConfigError) as caught:
        load_settings(environ={})

    message = caught.value.message
    assert message.startswith(f"invalid setting providers.openai.colour ({path}): unknown setting")
    assert "\n" not in message


def test_a_built_in_table_is_given_as_it_was_set(hermetic: Path) -> None:
    (hermetic / "gearshift.toml").write_text('[providers.openai-chat]\nbase_url = "http://localhost:1/v1"\n')

    settings = load_settings(environ={}).settings

    assert settings.provider_config("openai-chat") == {"base_url": "http://localhost:1/v1"}
    assert settings.provider_config("anthropic") == {}
    assert settings.provider_config("mine") == {}


@pytest.mark.parametrize(
    "toml", ['provider = "yours"', '[phases.plan]\nprovider = "yours"', "[providers.yours]\nx = 1"]
)
def test_an_unknown_name_anywhere_lists_the_known_ones(hermetic: Path, toml: str) -> None:
    (hermetic / "gearshift.toml").write_text(toml + "\n")

    with pytest.raises(ConfigError, match="unknown provider 'yours': choose one of openai, openai-chat, anthropic, "):
        load_settings(environ={})
    with pytest.raises(ConfigError, match=r"replay, .*mine"):
        load_settings(environ={})
