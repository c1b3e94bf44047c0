from __future__ import annotations

from pathlib import Path

import pytest
from fakeapi import FakeAPI, Scripted, anthropic_error, messages_reply
from helpers import GREETING_SCHEMA, call, gateway, provider, request, settings_for

from gearshift.effort import Effort
from gearshift.errors import ProviderError, UsageError
from gearshift.pricing import Billing
from gearshift.settings import Settings

KEY = {"ANTHROPIC_API_KEY": "sk-ant-test"}


def anthropic(fake_api: FakeAPI, **options: object):  # type: ignore[no-untyped-def]
    # the SDK adds /v1/messages to its base URL
    return provider("anthropic", settings_for("anthropic", fake_api.url.removesuffix("/v1"), **options), KEY)


def claude(text: str = "hi", **kw: object):  # type: ignore[no-untyped-def]
    return request(text, model="claude-opus-5-5", **kw)


def test_a_call_maps_effort_thinking_and_usage(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(
        messages_reply("pong", input_tokens=1000, cache_read_tokens=200, output_tokens=300, thinking_tokens=120)
    )
    gw = gateway(tmp_path)

    reply = call(gw, anthropic(fake_api), claude("ping", effort=Effort.HIGH))

    assert reply.text == "pong"  # the thinking block is not part of the answer
    assert (reply.usage.input_tokens, reply.usage.cached_tokens) == (1200, 200)
    assert (reply.usage.output_tokens, reply.usage.reasoning_tokens) == (300, 120)
    sent = fake_api.seen[0]
    assert sent.path == "/v1/messages"
    assert sent.headers["authorization"] == "Bearer sk-ant-test"  # how this SDK version sends the key
    assert "anthropic-version" in sent.headers
    assert sent.body["output_config"] == {"effort": "high"}
    assert sent.body["thinking"] == {"type": "adaptive"}
    assert sent.body["system"] == "be brief"
    assert sent.body["messages"] == [{"role": "user", "content": "ping"}]
    assert sent.body["max_tokens"] == 32_000
    [row] = gw.ledger.calls()
    assert (row["provider"], row["model"], row["status"]) == ("anthropic", "claude-opus-5-5", "ok")
    assert row["request_id"].startswith("req_")
    assert row["cost_usd"] is None  # a custom base URL: not Anthropic's price list


def test_anthropic_prices_come_from_the_price_table(fake_api: FakeAPI, tmp_path: Path) -> None:
    from genai_prices import Usage, calc_price

    fake_api.push(messages_reply("ok", input_tokens=800, cache_read_tokens=200, output_tokens=500))
    prov = anthropic(fake_api)
    prov.billing = Billing(provider_id="anthropic")  # as it is for the real endpoint
    reply = call(gateway(tmp_path), prov, claude())
    priced = Usage(input_tokens=1000, cache_read_tokens=200, output_tokens=500)
    expected = float(calc_price(priced, "claude-opus-5-5", provider_id="anthropic").total_price)
    assert reply.cost_usd == pytest.approx(expected) and expected > 0


def test_efforts_outside_low_to_high_go_to_the_nearest(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(messages_reply("a"), messages_reply("b"))
    gw = gateway(tmp_path)
    prov = anthropic(fake_api)
    call(gw, prov, claude(effort=Effort.XHIGH))
    call(gw, prov, claude(effort=Effort.NONE))
    assert [s.body["output_config"]["effort"] for s in fake_api.seen] == ["high", "low"]
    assert [(r["effort_requested"], r["effort_sent"]) for r in reversed(gw.ledger.calls())] == [
        ("xhigh", "high"),
        ("none", "low"),
    ]


def test_a_model_that_takes_xhigh_can_say_so(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(messages_reply("a"))
    call(gateway(tmp_path), anthropic(fake_api, efforts="low,medium,high,xhigh"), claude(effort=Effort.XHIGH))
    assert fake_api.seen[0].body["output_config"]["effort"] == "xhigh"


def test_structured_output_goes_in_output_config(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(messages_reply('{"greeting": "hello"}'))
    reply = call(gateway(tmp_path), anthropic(fake_api), claude(schema=GREETING_SCHEMA))
    assert reply.parsed == {"greeting": "hello"}
    assert fake_api.seen[0].body["output_config"]["format"] == {"type": "json_schema", "schema": GREETING_SCHEMA.schema}


def test_overloaded_is_retried_by_the_sdk(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(anthropic_error(529, "overloaded_error", "Overloaded", retry_after="0.05"), messages_reply("done"))
    gw = gateway(tmp_path)
    assert call(gw, anthropic(fake_api), claude()).text == "done"
    assert len(fake_api.seen) == 2
    assert [r["status"] for r in gw.ledger.calls()] == ["ok"]


def test_persistent_429_and_500_are_one_clear_line(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(*[anthropic_error(429, "rate_limit_error", "slow down", retry_after="0.01") for _ in range(2)])
    gw = gateway(tmp_path)
    with pytest.raises(ProviderError, match=r"anthropic: rate limited .*\(429\) after retries"):
        call(gw, anthropic(fake_api, max_retries=1), claude())
    fake_api.push(anthropic_error(500, "api_error", "Internal server error", retry_after="0.01"))
    with pytest.raises(ProviderError, match="answered 500: Internal server error"):
        call(gw, anthropic(fake_api, max_retries=0), claude())
    assert [r["status"] for r in gw.ledger.calls()] == ["http_500", "rate_limited"]


def test_a_hung_server_is_cut_off_at_the_call_deadline(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(*[Scripted(delay=3, body={}) for _ in range(3)])
    with pytest.raises(ProviderError, match="anthropic: no reply from .* in time") as caught:
        call(gateway(tmp_path), anthropic(fake_api, timeout=30, deadline=0.5, max_retries=2), claude())
    assert caught.value.status == "timeout"
    assert len(fake_api.seen) == 1


@pytest.mark.parametrize("body", ["{not json", '{"id": "msg_1", "content": 7}'])
def test_malformed_bodies_are_reported_not_crashed_on(fake_api: FakeAPI, tmp_path: Path, body: str) -> None:
    fake_api.push(Scripted(200, body))
    with pytest.raises(ProviderError, match="anthropic: malformed reply from http://127.0.0.1") as caught:
        call(gateway(tmp_path), anthropic(fake_api, max_retries=0), claude())
    assert caught.value.status == "malformed"


def test_a_reply_cut_at_max_tokens_is_an_error_with_its_usage(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(messages_reply("half", stop_reason="max_tokens", output_tokens=9))
    gw = gateway(tmp_path)
    with pytest.raises(ProviderError, match="stopped at max_tokens"):
        call(gw, anthropic(fake_api), claude(max_output_tokens=9))
    assert fake_api.seen[0].body["max_tokens"] == 9
    assert (gw.ledger.calls()[0]["status"], gw.ledger.calls()[0]["output_tokens"]) == ("incomplete", 9)


def test_a_rejected_key_says_which_variable_to_check(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(anthropic_error(401, "authentication_error", "invalid x-api-key"))
    with pytest.raises(ProviderError, match=r"rejected the API key \(401\); check ANTHROPIC_API_KEY"):
        call(gateway(tmp_path), anthropic(fake_api), claude())


def test_no_key_is_a_usage_error_before_any_request(fake_api: FakeAPI) -> None:
    with pytest.raises(UsageError, match="no API key for provider anthropic: set ANTHROPIC_API_KEY"):
        provider("anthropic", settings_for("anthropic", fake_api.url), {})
    assert fake_api.seen == []


def test_the_anthropic_provider_gets_a_claude_model_unless_one_is_set() -> None:
    assert Settings.model_validate({"provider": "anthropic"}).for_phase("plan").model == "claude-opus-5-5"
    chosen = Settings.model_validate({"provider": "anthropic", "model": "claude-sonnet-5-5"}).for_phase("review")
    assert chosen.model == "claude-sonnet-5-5"
    assert Settings.model_validate({}).for_phase("plan").model == "gpt-5.4"


def test_ask_through_the_cli(cli, fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_api.url.removesuffix("/v1"))
    fake_api.push(messages_reply("A race condition is ...", thinking_tokens=40))
    result = cli("ask", "Explain a race condition", "--provider", "anthropic", "--effort", "high")
    assert result.exit_code == 0, result.stderr
    assert "A race condition is ..." in result.stdout
    assert fake_api.seen[0].body["model"] == "claude-opus-5-5"
