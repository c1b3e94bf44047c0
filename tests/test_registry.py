from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from helpers import call, gateway, request

from gearshift.errors import UsageError
from gearshift.models import make_provider, register_provider, registry
from gearshift.models.transcript import RecordingProvider
from gearshift.settings import Settings
from gearshift.testing import FunctionProvider


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    registry.rediscover()
    yield
    registry.unregister_provider("mine")
    registry.rediscover()


def _counting_entry_points(monkeypatch: pytest.MonkeyPatch, *entries: metadata.EntryPoint) -> list[str | None]:
    reads: list[str | None] = []

    def entry_points(*, group: str | None = None) -> list[metadata.EntryPoint]:
        reads.append(group)
        return list(entries)

    monkeypatch.setattr(registry.metadata, "entry_points", entry_points)
    return reads


def test_built_ins_are_made_without_reading_entry_points(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    reads = _counting_entry_points(monkeypatch)
    settings = Settings.model_validate(
        {"provider": "openai-chat", "phases": {"plan": {"provider": "anthropic"}}, "providers": {"openai": {}}}
    )
    prov = make_provider("openai", settings, environ={"OPENAI_API_KEY": "k"})

    assert prov.name == "openai"
    assert reads == []


def test_entry_points_are_read_once_and_only_for_other_names(monkeypatch: pytest.MonkeyPatch) -> None:
    reads = _counting_entry_points(
        monkeypatch, metadata.EntryPoint(name="far_away", value="nowhere:make", group=registry.ENTRY_POINT_GROUP)
    )
    assert registry.is_known("replay") and reads == []
    assert registry.is_known("far-away")  # an underscore in the entry point's name reads as a hyphen
    assert not registry.is_known("nearby")
    assert registry.provider_names() == (
        *("openai", "openai-chat", "anthropic", "replay"),
        *("codex", "claude-code", "gemini-cli", "command", "manual"),
        "far-away",
    )
    assert reads == [registry.ENTRY_POINT_GROUP]


def factory_needing_a_key(config: dict[str, Any]) -> Any:
    raise UsageError("far: set FAR_KEY")


def test_a_plug_in_factorys_own_usage_error_is_shown_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    _counting_entry_points(
        monkeypatch,
        metadata.EntryPoint(name="far", value=f"{__name__}:factory_needing_a_key", group=registry.ENTRY_POINT_GROUP),
    )
    with pytest.raises(UsageError) as caught:
        make_provider("far", Settings.model_validate({"provider": "far"}))
    assert caught.value.message == "far: set FAR_KEY"


def test_a_registered_provider_gets_its_table_and_can_be_recorded(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []

    def make(config: dict[str, Any]) -> FunctionProvider:
        seen.append(config)
        return FunctionProvider(lambda req: f"{config['greeting']} {req.input}", name="mine")

    register_provider("mine", make)
    settings = Settings.model_validate({"provider": "mine", "providers": {"mine": {"greeting": "ahoy", "n": 2}}})
    transcript = tmp_path / "calls.jsonl"

    prov = make_provider("mine", settings, record_to=transcript)
    reply = call(gateway(tmp_path), prov, request("there"))

    assert seen == [{"greeting": "ahoy", "n": 2}]
    assert isinstance(prov, RecordingProvider)
    assert reply.text == "ahoy there"
    assert json.loads(transcript.read_text())["reply"]["text"] == "ahoy there"


def test_register_provider_refuses_built_in_and_unusable_names() -> None:
    def make(config: dict[str, Any]) -> FunctionProvider:
        return FunctionProvider(lambda req: "")

    with pytest.raises(ValueError, match="'openai' is a built-in provider"):
        register_provider("openai", make)
    with pytest.raises(ValueError, match="lower-case letters"):
        register_provider("My.Provider", make)


def test_an_unknown_name_lists_every_provider_there_is() -> None:
    register_provider("mine", lambda config: FunctionProvider(lambda req: ""))
    with pytest.raises(UsageError, match=r"unknown provider 'gemini': choose one of openai, .*replay, .*mine"):
        make_provider("gemini", Settings())
