from __future__ import annotations

from pathlib import Path

import pytest
from fakeapi import FakeAPI, Scripted, error_reply, responses_reply
from helpers import GREETING_SCHEMA, call, gateway, provider, request, settings_for

from gearshift.effort import Effort
from gearshift.errors import ProviderError, ReplyFormatError, UsageError
from gearshift.pricing import Billing

KEY = {"OPENAI_API_KEY": "sk-test"}


def test_a_call_maps_effort_usage_and_cost(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(
        responses_reply("pong", input_tokens=1200, cached_tokens=200, output_tokens=300, reasoning_tokens=120)
    )
    gw = gateway(tmp_path)
    prov = provider("openai", settings_for("openai", fake_api.url), KEY)

    reply = call(gw, prov, request("ping", effort=Effort.HIGH))

    assert reply.text == "pong"
    assert (reply.usage.input_tokens, reply.usage.cached_tokens) == (1200, 200)
    assert (reply.usage.output_tokens, reply.usage.reasoning_tokens) == (300, 120)
    sent = fake_api.seen[0]
    assert sent.path == "/v1/responses"
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert sent.body["reasoning"] == {"effort": "high"}
    assert sent.body["instructions"] == "be brief"
    assert sent.body["input"] == "ping"
    assert sent.body["store"] is False
    [row] = gw.ledger.calls()
    assert row["status"] == "ok"
    assert row["effort_requested"] == row["effort_sent"] == "high"
    assert row["model"] == "gpt-5.4-2026-03-05"
    assert row["request_id"].startswith("req_")
    # a custom base URL is not OpenAI's price list: the cost is unknown, not zero
    assert row["cost_usd"] is None


def test_openai_prices_come_from_the_price_table(fake_api: FakeAPI, tmp_path: Path) -> None:
    from gearshift.models.openai_responses import DEFAULT_URL

    fake_api.push(responses_reply("ok", input_tokens=1000, cached_tokens=200, output_tokens=500))
    prov = provider("openai", settings_for("openai", fake_api.url), KEY)
    prov.billing = Billing(provider_id="openai")  # as it is for the real endpoint
    assert prov.base_url != DEFAULT_URL
    gw = gateway(tmp_path)
    reply = call(gw, prov, request())
    from genai_prices import Usage, calc_price

    expected = float(
        calc_price(
            Usage(input_tokens=1000, cache_read_tokens=200, output_tokens=500),
            "gpt-5.4-2026-03-05",
            provider_id="openai",
        ).total_price
    )
    assert reply.cost_usd == pytest.approx(expected)
    assert gw.ledger.calls()[0]["cost_usd"] == pytest.approx(expected)
    assert expected > 0


def test_unsupported_effort_goes_to_the_nearest_and_both_are_recorded(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(responses_reply("a"), responses_reply("b"))
    gw = gateway(tmp_path)
    prov = provider("openai", settings_for("openai", fake_api.url), KEY)
    call(gw, prov, request(model="gpt-5", effort=Effort.NONE))
    call(gw, prov, request(model="gpt-5.1", effort=Effort.XHIGH))
    assert [s.body["reasoning"]["effort"] for s in fake_api.seen] == ["minimal", "high"]
    rows = gw.ledger.calls()
    assert [(r["effort_requested"], r["effort_sent"]) for r in rows] == [
        ("xhigh", "high"),
        ("none", "minimal"),
    ]


def test_structured_output_uses_a_strict_json_schema(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(responses_reply('{"greeting": "hello"}'))
    reply = call(
        gateway(tmp_path),
        provider("openai", settings_for("openai", fake_api.url), KEY),
        request(schema=GREETING_SCHEMA),
    )
    assert reply.parsed == {"greeting": "hello"}
    fmt = fake_api.seen[0].body["text"]["format"]
    assert fmt == {
        "type": "json_schema",
        "name": "greeting",
        "schema": GREETING_SCHEMA.schema,
        "strict": True,
    }


def test_a_reply_that_is_not_json_is_reported_and_its_tokens_still_counted(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(responses_reply("Sure! here it is: {greeting", output_tokens=77))
    gw = gateway(tmp_path)
    with pytest.raises(ReplyFormatError, match="reply for schema 'greeting' is not valid JSON"):
        call(gw, provider("openai", settings_for("openai", fake_api.url), KEY), request(schema=GREETING_SCHEMA))
    [row] = gw.ledger.calls()
    assert (row["status"], row["output_tokens"]) == ("malformed", 77)


def test_429_with_retry_after_is_retried_by_the_sdk(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(error_reply(429, "slow down", retry_after="0.05"), responses_reply("done"))
    gw = gateway(tmp_path)
    reply = call(gw, provider("openai", settings_for("openai", fake_api.url), KEY), request())
    assert reply.text == "done"
    assert len(fake_api.seen) == 2
    # one ledger row: the retries are the SDK's, inside one call
    assert [r["status"] for r in gw.ledger.calls()] == ["ok"]


def test_persistent_429_fails_with_a_clear_line(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(*[error_reply(429, "slow down", retry_after="0.01") for _ in range(3)])
    gw = gateway(tmp_path)
    with pytest.raises(ProviderError, match=r"rate limited .*\(429\) after retries") as caught:
        call(gw, provider("openai", settings_for("openai", fake_api.url, max_retries=2), KEY), request())
    assert caught.value.status == "rate_limited"
    assert len(fake_api.seen) == 3
    assert gw.ledger.calls()[0]["status"] == "rate_limited"


def test_500_is_retried_then_reported(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(error_reply(500, "boom", retry_after="0.01"), error_reply(500, "boom again", retry_after="0.01"))
    gw = gateway(tmp_path)
    with pytest.raises(ProviderError, match="answered 500: boom again"):
        call(gw, provider("openai", settings_for("openai", fake_api.url, max_retries=1), KEY), request())
    assert len(fake_api.seen) == 2
    assert gw.ledger.calls()[0]["status"] == "http_500"


def test_a_hung_server_is_cut_off_at_the_call_deadline(fake_api: FakeAPI, tmp_path: Path) -> None:
    # Each attempt may take 30 s and the SDK may retry twice, but the whole call has 0.5 s:
    # the first attempt is cut to the deadline, and no second attempt is ever sent.
    fake_api.push(Scripted(delay=3, body={}), Scripted(delay=3, body={}), Scripted(delay=3, body={}))
    gw = gateway(tmp_path)
    prov = provider("openai", settings_for("openai", fake_api.url, timeout=30, deadline=0.5, max_retries=2), KEY)
    with pytest.raises(ProviderError, match="no reply from .* in time") as caught:
        call(gw, prov, request())
    assert caught.value.status == "timeout"
    assert len(fake_api.seen) == 1
    assert gw.ledger.calls()[0]["status"] == "timeout"


def test_a_retry_after_past_the_deadline_is_not_waited_for(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(error_reply(429, "come back in a minute", retry_after="60"), responses_reply("never"))
    gw = gateway(tmp_path)
    prov = provider("openai", settings_for("openai", fake_api.url, deadline=5, max_retries=2), KEY)
    with pytest.raises(ProviderError, match="429"):
        call(gw, prov, request())
    assert len(fake_api.seen) == 1


@pytest.mark.parametrize("body", ["{not json", '{"id": "resp_1", "output": 7}'])
def test_malformed_bodies_are_reported_not_crashed_on(fake_api: FakeAPI, tmp_path: Path, body: str) -> None:
    fake_api.push(Scripted(200, body))
    gw = gateway(tmp_path)
    with pytest.raises(ProviderError, match="malformed reply from http://127.0.0.1") as caught:
        call(gw, provider("openai", settings_for("openai", fake_api.url, max_retries=0), KEY), request())
    assert caught.value.status == "malformed"
    assert gw.ledger.calls()[0]["status"] == "malformed"


def test_an_incomplete_reply_is_an_error_with_its_usage(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(responses_reply("half", status="incomplete", incomplete_reason="max_output_tokens", output_tokens=9))
    gw = gateway(tmp_path)
    with pytest.raises(ProviderError, match="max_output_tokens"):
        call(gw, provider("openai", settings_for("openai", fake_api.url), KEY), request())
    assert (gw.ledger.calls()[0]["status"], gw.ledger.calls()[0]["output_tokens"]) == ("incomplete", 9)


def test_a_refusal_is_reported(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(responses_reply("", refusal="I can't help with that."))
    with pytest.raises(ProviderError, match="refused: I can't help with that"):
        call(gateway(tmp_path), provider("openai", settings_for("openai", fake_api.url), KEY), request())


def test_a_rejected_key_says_which_variable_to_check(fake_api: FakeAPI, tmp_path: Path) -> None:
    fake_api.push(error_reply(401, "Incorrect API key provided"))
    with pytest.raises(ProviderError, match="rejected the API key \\(401\\); check OPENAI_API_KEY"):
        call(gateway(tmp_path), provider("openai", settings_for("openai", fake_api.url), KEY), request())


def test_no_key_is_a_usage_error_before_any_request(fake_api: FakeAPI) -> None:
    with pytest.raises(UsageError, match="no API key for provider openai: set OPENAI_API_KEY"):
        provider("openai", settings_for("openai", fake_api.url), {})
    assert fake_api.seen == []


def test_openai_base_url_from_the_environment_is_honoured(fake_api: FakeAPI, tmp_path: Path) -> None:
    from gearshift.settings import Settings

    fake_api.push(responses_reply("via env"))
    prov = provider("openai", Settings(), {"OPENAI_API_KEY": "sk-env", "OPENAI_BASE_URL": fake_api.url})
    assert call(gateway(tmp_path), prov, request()).text == "via env"


def test_a_server_that_is_down_is_one_clear_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    prov = provider("openai", settings_for("openai", f"http://127.0.0.1:{port}/v1", max_retries=0), KEY)
    with pytest.raises(ProviderError, match=f"cannot connect to http://127.0.0.1:{port}/v1; is the server running"):
        call(gateway(tmp_path), prov, request())
