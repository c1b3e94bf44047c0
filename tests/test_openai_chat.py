from __future__ import annotations

from pathlib import Path

import pytest
from fakeapi import FakeAPI, chat_reply, error_reply
from helpers import GREETING_SCHEMA, call, gateway, provider, request, settings_for

from gearshift.effort import Effort
from gearshift.errors import ProviderError, UsageError


def test_usage_comes_from_the_token_details(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(chat_reply("hi", prompt_tokens=900, cached_tokens=300, completion_tokens=80, reasoning_tokens=60))
    gw = gateway(tmp_path)
    reply = call(gw, provider("openai-chat", settings_for("openai-chat", fake_api.url), {}), request(model="qwen3"))
    assert reply.text == "hi"
    assert (reply.usage.input_tokens, reply.usage.cached_tokens) == (900, 300)
    assert (reply.usage.output_tokens, reply.usage.reasoning_tokens) == (80, 60)
    sent = fake_api.seen[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]
    assert sent.body["reasoning_effort"] == "medium"
    row = gw.ledger.calls()[0]
    assert row["cost_usd"] is None  # a local model has no price
    assert row["provider"] == "openai-chat"


def test_servers_without_token_details_still_count(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(chat_reply("x", prompt_tokens=10, completion_tokens=5, details=False))
    reply = call(gateway(tmp_path), provider("openai-chat", settings_for("openai-chat", fake_api.url), {}), request())
    assert (reply.usage.input_tokens, reply.usage.cached_tokens, reply.usage.reasoning_tokens) == (10, 0, 0)


def test_a_custom_base_url_never_receives_the_openai_key(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(chat_reply("a"))
    env = {"OPENAI_API_KEY": "sk-secret-openai"}
    call(gateway(tmp_path), provider("openai-chat", settings_for("openai-chat", fake_api.url), env), request())
    assert "sk-secret-openai" not in str(fake_api.seen[0].headers)


def test_a_key_configured_for_the_server_is_sent(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(chat_reply("a"))
    settings = settings_for("openai-chat", fake_api.url, api_key_env="OPENROUTER_API_KEY")
    call(gateway(tmp_path), provider("openai-chat", settings, {"OPENROUTER_API_KEY": "or-key"}), request())
    assert fake_api.seen[0].headers["authorization"] == "Bearer or-key"


def test_a_configured_key_that_is_missing_is_a_usage_error(fake_api: FakeAPI) -> None:
    with pytest.raises(UsageError, match="OPENROUTER_API_KEY is not set"):
        provider("openai-chat", settings_for("openai-chat", fake_api.url, api_key_env="OPENROUTER_API_KEY"), {})


def test_efforts_map_to_what_compatible_servers_take(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(chat_reply("a"), chat_reply("b"))
    gw = gateway(tmp_path)
    prov = provider("openai-chat", settings_for("openai-chat", fake_api.url), {})
    call(gw, prov, request(effort=Effort.XHIGH))
    call(gw, prov, request(effort=Effort.NONE))
    assert [s.body["reasoning_effort"] for s in fake_api.seen] == ["high", "low"]


def test_a_server_that_rejects_reasoning_effort_is_asked_again_without_it(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(
        error_reply(400, "Unrecognized request argument supplied: reasoning_effort"),
        chat_reply("plain"),
        chat_reply("plain again"),
    )
    gw = gateway(tmp_path)
    prov = provider("openai-chat", settings_for("openai-chat", fake_api.url), {})
    assert call(gw, prov, request(effort=Effort.HIGH)).text == "plain"
    call(gw, prov, request(effort=Effort.HIGH))
    assert ["reasoning_effort" in s.body for s in fake_api.seen] == [True, False, False]
    rows = gw.ledger.calls()
    assert [(r["effort_requested"], r["effort_sent"]) for r in rows] == [("high", None), ("high", None)]


def test_json_schema_goes_in_response_format(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(chat_reply('{"greeting": "hey"}'))
    reply = call(
        gateway(tmp_path),
        provider("openai-chat", settings_for("openai-chat", fake_api.url), {}),
        request(schema=GREETING_SCHEMA),
    )
    assert reply.parsed == {"greeting": "hey"}
    assert fake_api.seen[0].body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "greeting", "schema": GREETING_SCHEMA.schema, "strict": True},
    }


def test_think_blocks_are_not_part_of_the_answer(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(chat_reply("<think>\nlet me see\n</think>\n\nthe answer"))
    reply = call(gateway(tmp_path), provider("openai-chat", settings_for("openai-chat", fake_api.url), {}), request())
    assert reply.text == "the answer"


def test_a_reply_cut_at_the_length_limit_is_an_error(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(chat_reply("half an ans", finish_reason="length", completion_tokens=4096))
    gw = gateway(tmp_path)
    with pytest.raises(ProviderError, match="length limit"):
        call(gw, provider("openai-chat", settings_for("openai-chat", fake_api.url), {}), request())
    assert gw.ledger.calls()[0]["output_tokens"] == 4096


def test_model_not_found(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(error_reply(404, "model 'qwen9' not found"))
    with pytest.raises(ProviderError, match="model 'qwen9' or endpoint not found"):
        call(
            gateway(tmp_path),
            provider("openai-chat", settings_for("openai-chat", fake_api.url), {}),
            request(model="qwen9"),
        )
