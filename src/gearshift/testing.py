"""A provider that answers with a Python function: gearshift in your tests, without a model or a network.

``FunctionProvider`` is to gearshift what pydantic-ai's ``FunctionModel`` is to pydantic-ai.
Give it a function of the Request; it returns

- a ``str``: the reply text;
- a ``dict``: for a request with a JSON schema, the object the model would have sent (it is
  JSON-encoded here and parsed by the gateway, as a real reply is);
- a ``Reply``: returned as it is, for complete control over usage, model and effort;
- a list of ``ToolCall``: the model asks for these calls (a request with ``tools``); the phase
  runs them and asks again, with the results in ``request.turns[-1].results``.

Usage is an estimate from the text's length unless ``usage`` says otherwise (a ``Usage``, or a
function of the request and the reply text), so token budgets and ``gearshift stats`` have
numbers. Its calls are unpriced (``billing`` is None) and its context window is unknown. It
takes tools unless made with ``tools=False`` (then the phases that read ask single-shot). Every
request it saw is kept in ``.requests``. A ``ProviderError`` the function raises reaches the
caller as it is, so failures can be tested too::

    from gearshift.ask import AskOptions, ask
    from gearshift.testing import FunctionProvider

    model = FunctionProvider(lambda request: f"you said {request.input}")
    reply = ask("hello", settings, gateway, AskOptions(provider=model))
    assert reply.text == "you said hello"
    assert model.requests[0].input == "hello"
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from gearshift.context.tokens import estimate_tokens
from gearshift.effort import Effort
from gearshift.models.base import Billing, Reply, Request, ToolCall, Usage

ReplyFunction = Callable[[Request], str | dict[str, Any] | Reply | Sequence[ToolCall]]
UsageFunction = Callable[[Request, str], Usage]

__all__ = ["FunctionProvider", "ReplyFunction", "ToolCall", "UsageFunction", "estimate_usage"]


def estimate_usage(request: Request, text: str) -> Usage:
    """Tokens estimated from the length of the text, by the rule gearshift uses wherever it cannot count."""
    earlier = "".join(
        turn.text + "".join(str(call.arguments) for call in turn.calls) + "".join(r.content for r in turn.results)
        for turn in request.turns
    )
    return Usage(
        input_tokens=estimate_tokens(request.instructions + request.input + earlier),
        output_tokens=estimate_tokens(text),
    )


class FunctionProvider:
    """A Provider whose replies come from ``fn``; see the module's docstring."""

    billing: Billing | None = None  # unpriced: nobody bills a function

    def __init__(
        self,
        fn: ReplyFunction,
        *,
        name: str = "function",
        model_efforts: Sequence[Effort] = tuple(Effort),
        usage: Usage | UsageFunction | None = None,
        tools: bool = True,
    ) -> None:
        self.fn = fn
        self.name = name
        self.model_efforts = tuple(model_efforts)
        self.usage = usage
        self.tools = tools
        self.requests: list[Request] = []

    def supported_efforts(self, model: str) -> tuple[Effort, ...]:
        return self.model_efforts

    def context_window(self, model: str) -> int | None:
        return None

    def supports_tools(self, model: str) -> bool:
        return self.tools

    def complete(self, request: Request, effort_sent: Effort | None) -> Reply:
        self.requests.append(request)
        answer = self.fn(request)
        if isinstance(answer, Reply):
            return answer
        calls: tuple[ToolCall, ...] = ()
        if isinstance(answer, dict):
            text = json.dumps(answer)
        elif isinstance(answer, str):
            text = answer
        elif isinstance(answer, Sequence) and answer and all(isinstance(call, ToolCall) for call in answer):
            text, calls = "", tuple(call for call in answer if isinstance(call, ToolCall))
        else:
            raise TypeError(
                f"{self.name}: the function returned a {type(answer).__name__};"
                " return str, dict, Reply or a list of ToolCall"
            )
        return Reply(
            text=text,
            usage=self._usage(request, text),
            model=request.model,
            effort_sent=effort_sent,
            request_id=f"{self.name}-{len(self.requests)}",
            tool_calls=calls,
            usage_estimated=not isinstance(self.usage, Usage),  # a usage function is the test's own figure
        )

    def _usage(self, request: Request, text: str) -> Usage:
        if isinstance(self.usage, Usage):
            return self.usage
        return (self.usage or estimate_usage)(request, text)
