"""OpenAI's Responses API through the official SDK: effort as ``reasoning.effort``."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import openai

from gearshift.effort import Effort, openai_model_efforts
from gearshift.errors import ProviderError, UsageError
from gearshift.models._sdk_http import Deadline, openai_client, translate_error
from gearshift.models.base import Billing, Reply, Request, ToolCall, ToolSpec, Usage, tool_arguments
from gearshift.models.config import ProviderSettings
from gearshift.pricing import window_for
from gearshift.trust import KeyPolicy

DEFAULT_URL = "https://api.openai.com/v1"


class OpenAIResponses:
    name = "openai"

    def __init__(self, settings: ProviderSettings, environ: Mapping[str, str], policy: KeyPolicy | None = None) -> None:
        self._settings = settings
        self._key_env = settings.api_key_env or "OPENAI_API_KEY"
        self.base_url = settings.base_url or environ.get("OPENAI_BASE_URL") or DEFAULT_URL
        (policy or KeyPolicy()).check(
            provider=self.name, url=self.base_url, key_env=self._key_env, official=DEFAULT_URL
        )
        api_key = environ.get(self._key_env)
        if not api_key:
            raise UsageError(
                f"no API key for provider openai: set {self._key_env}, or pick another provider with --provider"
            )
        self.billing = Billing(provider_id="openai") if self.base_url == DEFAULT_URL else Billing(api_url=self.base_url)
        self._deadline = Deadline(openai)
        self._client = openai_client(settings, api_key, self.base_url, self._deadline)

    def supported_efforts(self, model: str) -> tuple[Effort, ...]:
        return self._settings.efforts or openai_model_efforts(model)

    def context_window(self, model: str) -> int | None:
        return window_for(model, self.billing)

    def supports_tools(self, model: str) -> bool:
        return True

    def complete(self, request: Request, effort_sent: Effort | None) -> Reply:
        params: dict[str, Any] = {
            "model": request.model,
            "instructions": request.instructions,
            "input": _input(request),
            "store": False,
        }
        if request.tools:
            params["tools"] = [_tool(spec) for spec in request.tools]
            params["tool_choice"] = request.tool_choice
        if effort_sent is not None:
            params["reasoning"] = {"effort": effort_sent.value}
        if request.schema is not None:
            params["text"] = {
                "format": {
                    "type": "json_schema",
                    "name": request.schema.name,
                    "schema": request.schema.schema,
                    "strict": True,
                }
            }
        if request.max_output_tokens:
            params["max_output_tokens"] = request.max_output_tokens
        started = time.monotonic()
        try:
            with self._deadline.window(self._settings.deadline):
                response = self._client.responses.create(**params)
        except (openai.OpenAIError, ValueError) as exc:  # ValueError: a body that is not JSON
            raise translate_error(
                exc, sdk=openai, provider=self.name, url=self.base_url, key_env=self._key_env, model=request.model
            ) from exc
        latency_ms = int((time.monotonic() - started) * 1000)
        try:
            return self._reply(response, request, effort_sent, latency_ms)
        except (AttributeError, TypeError) as exc:  # JSON, but not a Responses object
            raise ProviderError(f"openai: malformed reply from {self.base_url}: {exc}", status="malformed") from exc

    def _reply(self, response: Any, request: Request, effort_sent: Effort | None, latency_ms: int) -> Reply:
        usage = _usage(response.usage)
        request_id = getattr(response, "_request_id", None) or response.id
        if response.status == "incomplete":
            reason = getattr(response.incomplete_details, "reason", None) or "unknown reason"
            raise ProviderError(
                f"openai: the reply stopped before it was complete ({reason}); raise max_output_tokens or simplify",
                status="incomplete",
                request_id=request_id,
                usage=usage,
            )
        refusal = _refusal(response)
        if refusal:
            raise ProviderError(f"openai: the model refused: {refusal}", status="refused", usage=usage)
        output = response.output or []
        calls = tuple(
            ToolCall(item.call_id, item.name, tool_arguments(item.arguments))
            for item in output
            if getattr(item, "type", None) == "function_call"
        )
        return Reply(
            text=response.output_text,
            usage=usage,
            model=response.model or request.model,
            effort_sent=effort_sent,
            request_id=request_id,
            latency_ms=latency_ms,
            tool_calls=calls,
            echo=_echo(output) if calls else (),
        )


def _tool(spec: ToolSpec) -> dict[str, Any]:
    # not strict: strict mode wants every argument required, and the read tools have optional ones
    return {
        "type": "function",
        "name": spec.name,
        "description": spec.description,
        "parameters": spec.parameters,
        "strict": False,
    }


def _input(request: Request) -> str | list[dict[str, Any]]:
    """The input as a string when there are no earlier rounds (as always before tools); else the
    conversation as items: the first input, then each round's output items and the results."""
    if not request.turns:
        return request.input
    items: list[dict[str, Any]] = [{"role": "user", "content": request.input}]
    for turn in request.turns:
        if turn.echo:
            items.extend(turn.echo)
        else:
            if turn.text:
                items.append({"role": "assistant", "content": turn.text})
            items.extend(_call_item(call) for call in turn.calls)
        items.extend(
            {"type": "function_call_output", "call_id": result.call_id, "output": result.content}
            for result in turn.results
        )
        if turn.note:
            items.append({"role": "user", "content": turn.note})
    return items


def _call_item(call: ToolCall) -> dict[str, Any]:
    return {"type": "function_call", "call_id": call.id, "name": call.name, "arguments": json.dumps(call.arguments)}


def _echo(output: list[Any]) -> tuple[dict[str, Any], ...]:
    """The output items to send back next round, as input items.

    Calls are stored nowhere (store=False), so a reasoning item can come back only with its
    encrypted content, which the API returns by default. An item sent back with its id must come
    with the reasoning item before it, and that one with the item after it; so ids are kept only
    while every reasoning item could be kept, and otherwise the calls go back without ids, which
    is how a conversation without reasoning items looks.
    """
    reasoning = [item for item in output if getattr(item, "type", None) == "reasoning"]
    with_ids = all(getattr(item, "encrypted_content", None) for item in reasoning)
    items: list[dict[str, Any]] = []
    for item in output:
        kind = getattr(item, "type", None)
        if kind == "reasoning" and with_ids:
            summary = [{"type": "summary_text", "text": part.text} for part in item.summary or []]
            items.append(
                {"type": "reasoning", "id": item.id, "summary": summary, "encrypted_content": item.encrypted_content}
            )
        elif kind == "function_call":
            call = {"type": "function_call", "call_id": item.call_id, "name": item.name, "arguments": item.arguments}
            if with_ids and item.id:
                call["id"] = item.id
            items.append(call)
        elif kind == "message":
            text = "".join(part.text for part in item.content or [] if getattr(part, "type", None) == "output_text")
            message: dict[str, Any] = {"role": "assistant", "content": text}
            if with_ids and item.id:
                content = [{"type": "output_text", "text": text, "annotations": []}]
                message = {"type": "message", "id": item.id, "role": "assistant", "status": "completed"}
                message["content"] = content
            if getattr(item, "phase", None):  # newer models want their commentary labelled as they sent it
                message["phase"] = item.phase
            if text or "id" in message:
                items.append(message)
    return tuple(items)


def _usage(raw: Any) -> Usage:
    if raw is None:
        return Usage()
    input_details = getattr(raw, "input_tokens_details", None)
    output_details = getattr(raw, "output_tokens_details", None)
    return Usage(
        input_tokens=raw.input_tokens or 0,
        cached_tokens=getattr(input_details, "cached_tokens", 0) or 0,
        output_tokens=raw.output_tokens or 0,
        reasoning_tokens=getattr(output_details, "reasoning_tokens", 0) or 0,
    )


def _refusal(response: Any) -> str | None:
    for item in response.output or []:
        if getattr(item, "type", None) == "message":
            for part in item.content or []:
                if getattr(part, "type", None) == "refusal":
                    return str(part.refusal)
    return None
