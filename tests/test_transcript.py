from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakeapi import FakeAPI, responses_reply
from helpers import GREETING_SCHEMA, call, gateway, request, settings_for
from hypothesis import given
from hypothesis import strategies as st

from gearshift.effort import Effort
from gearshift.errors import ProviderError, UsageError
from gearshift.models import make_provider
from gearshift.models.transcript import describe_difference
from gearshift.settings import Settings


def _record(fake_api: FakeAPI, tmp_path: Path, path: Path) -> None:
    fake_api.push(
        responses_reply("first", input_tokens=11, output_tokens=3, reasoning_tokens=1),
        responses_reply('{"greeting": "hi"}', input_tokens=22, output_tokens=4),
    )
    prov = make_provider(
        "openai", settings_for("openai", fake_api.url), environ={"OPENAI_API_KEY": "k"}, record_to=path
    )
    gw = gateway(tmp_path / "rec")
    call(gw, prov, request("one", effort=Effort.HIGH))
    call(gw, prov, request("two", schema=GREETING_SCHEMA))


def _replay(path: Path) -> object:
    return make_provider("replay", Settings.model_validate({"providers": {"replay": {"transcript": str(path)}}}))


def test_record_then_replay_gives_the_same_replies(fake_api: FakeAPI, tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    _record(fake_api, tmp_path, path)
    assert len(path.read_text().splitlines()) == 2

    gw = gateway(tmp_path / "play")
    prov = _replay(path)
    first = call(gw, prov, request("one", effort=Effort.HIGH))
    second = call(gw, prov, request("two", schema=GREETING_SCHEMA))

    assert first.text == "first"
    assert first.usage.reasoning_tokens == 1
    assert second.parsed == {"greeting": "hi"}
    rows = gw.ledger.calls()
    assert [r["provider"] for r in rows] == ["replay", "replay"]
    assert [r["input_tokens"] for r in rows] == [22, 11]
    assert all(r["cost_usd"] is None for r in rows)  # replay spends nothing


def test_a_diverging_request_says_which_call_and_where(fake_api: FakeAPI, tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    _record(fake_api, tmp_path, path)
    prov = _replay(path)
    gw = gateway(tmp_path / "play")
    call(gw, prov, request("one"))
    with pytest.raises(ProviderError) as caught:
        call(gw, prov, request("TWO", schema=GREETING_SCHEMA))
    message = caught.value.message
    assert f"call 2 diverges from {path} line 2 in input" in message
    assert "first difference at character 0: recorded 'two', asked 'TWO'" in message
    assert gw.ledger.calls()[0]["status"] == "replay_mismatch"


def test_a_new_process_picks_up_where_the_transcript_matches(fake_api: FakeAPI, tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    _record(fake_api, tmp_path, path)
    gw = gateway(tmp_path / "play")
    call(gw, _replay(path), request("one"))
    later = _replay(path)  # as `gearshift implement` would, in a new process
    assert call(gw, later, request("two", schema=GREETING_SCHEMA)).parsed == {"greeting": "hi"}
    with pytest.raises(ProviderError, match="holds 2 calls and call 3 was asked for"):
        call(gw, later, request("one"))  # only a process's first call may skip ahead
    with pytest.raises(ProviderError, match=f"call 1 diverges from {path} line 1 in input"):
        call(gw, _replay(path), request("neither"))


def test_running_past_the_end_of_a_transcript(fake_api: FakeAPI, tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    _record(fake_api, tmp_path, path)
    prov = _replay(path)
    gw = gateway(tmp_path / "play")
    call(gw, prov, request("one"))
    call(gw, prov, request("two", schema=GREETING_SCHEMA))
    with pytest.raises(ProviderError, match="holds 2 calls and call 3 was asked for"):
        call(gw, prov, request("three"))


def test_a_broken_transcript_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"request": {}, "reply": {"text": "x"}}) + "\n{oops\n")
    with pytest.raises(UsageError, match="t.jsonl line 2 is not JSON"):
        _replay(path)


def test_a_missing_transcript(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read transcript"):
        _replay(tmp_path / "nope.jsonl")


@given(st.text(max_size=40), st.text(max_size=40))
def test_difference_points_at_the_first_differing_character(a: str, b: str) -> None:
    described = describe_difference(a, b)
    index = int(described.split("character ")[1].split(":")[0])
    assert a[:index] == b[:index]
    assert index == min(len(a), len(b)) or a[index] != b[index]
