"""FunctionProvider through the real gateway and ledger, as a user's test would use it."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import GREETING_SCHEMA, call, gateway, request

from gearshift.ask import AskOptions, ask
from gearshift.effort import Effort
from gearshift.errors import ProviderError
from gearshift.models import Reply, Request, Usage
from gearshift.settings import Settings
from gearshift.testing import FunctionProvider, estimate_usage


def test_a_text_reply_is_recorded_with_estimated_usage_and_no_price(tmp_path: Path) -> None:
    model = FunctionProvider(lambda req: "x" * 400)
    gw = gateway(tmp_path)

    reply = call(gw, model, request("q" * 40, effort=Effort.HIGH))

    assert reply.text == "x" * 400
    # gearshift's one estimate: 3.5 characters a token, rounded down, plus one
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (14, 115)  # (8 + 40) / 3.5 + 1; 400 / 3.5 + 1
    assert reply.effort_sent == Effort.HIGH
    [row] = gw.ledger.calls()
    assert (row["provider"], row["model"], row["status"]) == ("function", "gpt-5.4", "ok")
    assert (row["input_tokens"], row["output_tokens"], row["cost_usd"]) == (14, 115, None)
    assert row["request_id"] == "function-1"
    assert [seen.input for seen in model.requests] == ["q" * 40]


def test_a_dict_answers_a_schema_request_and_the_gateway_parses_it(tmp_path: Path) -> None:
    model = FunctionProvider(lambda req: {"greeting": f"hello from {req.schema.name if req.schema else None}"})

    reply = call(gateway(tmp_path), model, request(schema=GREETING_SCHEMA))

    assert reply.parsed == {"greeting": "hello from greeting"}
    assert reply.text == '{"greeting": "hello from greeting"}'


def test_a_reply_is_passed_through_as_it_is(tmp_path: Path) -> None:
    own = Reply(text="mine", usage=Usage(input_tokens=7, output_tokens=9), model="gpt-x", effort_sent=None)
    gw = gateway(tmp_path)

    reply = call(gw, FunctionProvider(lambda req: own), request())

    assert reply == own
    [row] = gw.ledger.calls()
    assert (row["model"], row["effort_sent"], row["input_tokens"], row["output_tokens"]) == ("gpt-x", None, 7, 9)


def test_usage_can_be_fixed_or_computed(tmp_path: Path) -> None:
    fixed = Usage(input_tokens=1, output_tokens=2, reasoning_tokens=1)
    computed = FunctionProvider(lambda req: "abc", usage=lambda req, text: Usage(output_tokens=len(text)))

    assert call(gateway(tmp_path), FunctionProvider(lambda req: "", usage=fixed), request()).usage == fixed
    assert call(gateway(tmp_path), computed, request()).usage == Usage(output_tokens=3)
    assert estimate_usage(request("12345678"), "") == Usage(input_tokens=5, output_tokens=1)


def test_efforts_map_onto_the_ones_the_function_takes(tmp_path: Path) -> None:
    model = FunctionProvider(lambda req: "", model_efforts=(Effort.LOW, Effort.HIGH))

    reply = call(gateway(tmp_path), model, request(effort=Effort.XHIGH))

    assert reply.effort_sent == Effort.HIGH
    assert model.requests[0].effort == Effort.XHIGH  # the request as asked; the effort sent is the reply's


def test_a_provider_error_reaches_the_caller_as_it_is_and_is_recorded(tmp_path: Path) -> None:
    failure = ProviderError("function: rate limited", status="rate_limited", request_id="r-1")

    def fail(req: Request) -> str:
        raise failure

    gw = gateway(tmp_path)
    with pytest.raises(ProviderError) as caught:
        call(gw, FunctionProvider(fail), request())

    assert caught.value is failure
    [row] = gw.ledger.calls()
    assert (row["status"], row["error"], row["request_id"]) == ("rate_limited", "function: rate limited", "r-1")


def test_anything_else_returned_is_a_type_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="returned a int; return str, dict, Reply or a list of ToolCall"):
        FunctionProvider(lambda req: 3).complete(request(), None)  # type: ignore[arg-type,return-value]


def test_the_docstring_example_asks_through_the_library(tmp_path: Path) -> None:
    model = FunctionProvider(lambda request: f"you said {request.input}")

    reply = ask("hello", Settings(), gateway(tmp_path), AskOptions(provider=model))

    assert reply.text == "you said hello"
    assert model.requests[0].input == "hello"
    assert (model.billing, model.context_window("gpt-5.4")) == (None, None)
