"""Calls with hard bounds, for both SDKs: the deadline holds against a slow drip, a huge reply is
refused and not echoed, a reply cut off mid-body says so."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakeapi import FakeAPI, Scripted, error_reply, messages_reply, responses_reply
from helpers import gateway, provider, request, settings_for

from gearshift.checks import PROMPT_OUTPUT_CHARS, CheckResult
from gearshift.effort import Effort
from gearshift.errors import ProviderError
from gearshift.gateway import CallSite, Gateway
from gearshift.models._sdk_http import MAX_REPLY_BYTES
from gearshift.phases.implement_prompts import (
    QUOTED_PROBLEM_CHARS,
    QUOTED_REPLY_CHARS,
    build_fix_request,
    build_retry_request,
    build_step_request,
)
from gearshift.plan import Plan, Step


@dataclass(frozen=True)
class Sdk:
    name: str
    reply: Callable[[str], Scripted]
    model: str
    key: dict[str, str]

    def provider(self, api: FakeAPI, **options: Any) -> Any:
        # the anthropic SDK adds /v1/messages to its base URL
        url = api.url.removesuffix("/v1") if self.name == "anthropic" else api.url
        return provider(self.name, settings_for(self.name, url, **options), self.key)


SDKS = [
    Sdk("openai", responses_reply, "gpt-5.4", {"OPENAI_API_KEY": "sk-test"}),
    Sdk("anthropic", messages_reply, "claude-opus-5-5", {"ANTHROPIC_API_KEY": "sk-ant-test"}),
]


@pytest.fixture(params=SDKS, ids=lambda sdk: sdk.name)
def sdk(request: pytest.FixtureRequest) -> Sdk:
    chosen: Sdk = request.param
    return chosen


def failing_call(gw: Gateway, sdk: Sdk, api: FakeAPI, **options: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        gw.call(sdk.provider(api, **options), request(model=sdk.model), CallSite(phase="ask"))
    return caught.value


def test_a_slow_drip_is_cut_off_at_the_deadline(fake_api: FakeAPI, tmp_path: Path, sdk: Sdk) -> None:
    # 16 bytes every half second: each read arrives well within the read timeout, and the whole
    # body would take half a minute.
    body = sdk.reply("a reply that takes its time").body
    fake_api.push(Scripted(body=body, drip=(16, 0.5)))
    gw = gateway(tmp_path)
    started = time.monotonic()
    error = failing_call(gw, sdk, fake_api, timeout=30, deadline=1.5, max_retries=2)
    assert time.monotonic() - started < 10  # ended, not dripped to the end
    assert error.status == "timeout"
    assert "in time" in error.message
    assert len(fake_api.seen) == 1
    [row] = gw.ledger.calls()
    assert row["status"] == "timeout"


def test_a_reply_above_the_size_limit_is_refused_and_not_echoed(fake_api: FakeAPI, tmp_path: Path, sdk: Sdk) -> None:
    huge = "garbage " * (MAX_REPLY_BYTES // 8 + 1000)
    fake_api.push(sdk.reply(huge))
    gw = gateway(tmp_path)
    error = failing_call(gw, sdk, fake_api, max_retries=2)
    assert (error.status, len(fake_api.seen)) == ("too_large", 1)
    assert "larger than 8 MB" in error.message
    assert "garbage garbage" not in error.message
    [row] = gw.ledger.calls()
    assert row["status"] == "too_large" and len(row["error"]) < 500


def test_a_huge_body_without_a_length_is_refused_while_read(fake_api: FakeAPI, tmp_path: Path, sdk: Sdk) -> None:
    # No content-length to refuse it by: the bytes are counted as they come.
    fake_api.push(Scripted(body="{" + "x" * (MAX_REPLY_BYTES + 1000), no_length=True))
    error = failing_call(gateway(tmp_path), sdk, fake_api, max_retries=0)
    assert error.status == "too_large"
    assert "xxxx" not in error.message


def test_a_reply_cut_off_mid_body_says_so(fake_api: FakeAPI, tmp_path: Path, sdk: Sdk) -> None:
    fake_api.push(Scripted(body=sdk.reply("cut short").body, cut_after=100))
    error = failing_call(gateway(tmp_path), sdk, fake_api, max_retries=0)
    assert error.status == "truncated"
    assert "cut off" in error.message
    assert "cannot connect" not in error.message


def test_a_huge_error_message_is_quoted_in_part(fake_api: FakeAPI, tmp_path: Path, sdk: Sdk) -> None:
    fake_api.push(error_reply(502, "gateway trouble: " + "a stack trace line\n" * 50_000))
    gw = gateway(tmp_path)
    error = failing_call(gw, sdk, fake_api, max_retries=0)
    assert error.status == "http_502"
    assert "gateway trouble: a stack trace line" in error.message
    assert len(error.message) < 1000
    assert len(gw.ledger.calls()[0]["error"]) < 1000


def test_a_reply_within_the_limits_still_arrives(fake_api: FakeAPI, tmp_path: Path, sdk: Sdk) -> None:
    # a slow but punctual server, and a deadline with room to spare
    fake_api.push(Scripted(body=sdk.reply("worth the wait").body, drip=(400, 0.05)))
    gw = gateway(tmp_path)
    reply = gw.call(sdk.provider(fake_api, deadline=30), request(model=sdk.model), CallSite(phase="ask"))
    assert reply.text == "worth the wait"
    assert fake_api.seen[0].headers["accept-encoding"] == "identity"
    [row] = gw.ledger.calls()
    assert row["status"] == "ok"


# --- prompts ---------------------------------------------------------------------------------


def _step() -> tuple[Plan, Step]:
    step = Step(
        id=1,
        title="Add a greeting",
        description="Add greet() to app.py.",
        files=["app.py"],
        acceptance=["greet() returns 'hi'"],
        kind="implementation",
        security_critical=False,
        ambiguities=[],
    )
    plan = Plan(summary="Greet.", architecture_decisions=[], steps=[step], risks=[], testing_strategy=[])
    return plan, step


def test_a_retry_quotes_a_bounded_part_of_a_bad_reply() -> None:
    plan, step = _step()
    original = build_step_request("greet", plan, step, "app.py: (empty)\n", "gpt-5.4", Effort.MEDIUM)
    garbage = "START " + "garbage " * 1_300_000 + " END"  # a 10 MB reply
    problem = "no edit blocks found in: " + garbage
    retry = build_retry_request(original, garbage, problem)
    added = len(retry.input) - len(original.input)
    assert added < QUOTED_REPLY_CHARS + QUOTED_PROBLEM_CHARS + 1_000
    quoted = retry.input[len(original.input) :]
    assert "START garbage" in quoted and "garbage  END" in quoted  # its start and its end
    assert "characters left out" in quoted


def test_a_fix_prompt_quotes_a_bounded_part_of_one_huge_line() -> None:
    plan, step = _step()
    line = "E   AssertionError: " + "x" * 5_000_000 + " (the end of the line)"
    check = CheckResult("pytest -q", False, 1, f"collected 1 item\n{line}\n1 failed in 0.1s\n", 0.1)
    fix = build_fix_request("greet", plan, step, "app.py: (empty)\n", check, "gpt-5.4", Effort.MEDIUM)
    assert len(fix.input) < PROMPT_OUTPUT_CHARS + 5_000
    assert "E   AssertionError: xxx" in fix.input
    assert "1 failed in 0.1s" in fix.input
