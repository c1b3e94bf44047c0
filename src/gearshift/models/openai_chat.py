"""Chat Completions for OpenAI-compatible servers (Ollama, vLLM, LM Studio, OpenRouter, ...).

A custom base URL never receives the OpenAI key: it gets the key named by
``providers.openai-chat.api_key_env`` or a placeholder, since local servers need none. A key goes
only where gearshift.trust allows: never to a URL or variable that only a repository's file chose.
"""

from __future__ import annotations

import json
import re
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

OPENAI_URL = "https://api.openai.com/v1"
# What most compatible servers accept as reasoning_effort (Ollama, vLLM with gpt-oss, ...).
COMPATIBLE_EFFORTS = (Effort.LOW, Effort.MEDIUM, Effort.HIGH)
_THINK = re.compile(r"^\s*<think>.*?</think>\s*", re.DOTALL)


class OpenAIChat:
    name = "openai-chat"

    def __init__(self, settings: ProviderSettings, environ: Mapping[str, str], policy: KeyPolicy | None = None) -> None:
        self._settings = settings
        self.base_url = (settings.base_url or OPENAI_URL).rstrip("/")
        self._is_openai = self.base_url == OPENAI_URL
        self._key_env = settings.api_key_env or ("OPENAI_API_KEY" if self._is_openai else None)
        (policy or KeyPolicy()).check(provider=self.name, url=self.base_url, key_env=self._key_env, official=OPENAI_URL)
        api_key = environ.get(self._key_env, "") if self._key_env else ""
        if self._key_env and not api_key:
            raise UsageError(f"openai-chat: {self._key_env} is not set; set it, or point --base-url at a local server")
        self.billing = Billing(provider_id="openai") if self._is_openai else Billing(api_url=self.base_url)
        self._deadline = Deadline(openai)
        self._client = openai_client(settings, api_key or "not-needed", self.base_url, self._deadline)
        self._server_takes_effort = True

    def supported_efforts(self, model: str) -> tuple[Effort, ...]:
        if self._settings.efforts:
            return self._settings.efforts
        return openai_model_efforts(model) if self._is_openai else COMPATIBLE_EFFORTS

    def context_window(self, model: str) -> int | None:
        return window_for(model, self.billing)

    # Models a server said take no tools (Ollama: "... does not support tools"); set per instance on refusal.
    _no_tools: frozenset[str] = frozenset()

    def supports_tools(self, model: str) -> bool:
        return model not in self._no_tools

    def complete(self, request: Request, effort_sent: Effort | None) -> Reply:
        params: dict[str, Any] = {"model": request.model, "messages": _messages(request)}
        if request.tools:
            params["tools"] = [_tool(spec) for spec in request.tools]
            params["tool_choice"] = request.tool_choice
        if request.schema is not None:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": request.schema.name, "schema": request.schema.schema, "strict": True},
            }
        if request.max_output_tokens:
            params["max_completion_tokens"] = request.max_output_tokens
        if not self._server_takes_effort:
            effort_sent = None
        started = time.monotonic()
        try:
            with self._deadline.window(self._settings.deadline):
                completion = self._create(params, effort_sent)
        except _EffortRejected:
            # The server does not know reasoning_effort: ask again without it, and remember.
            self._server_takes_effort = False
            effort_sent = None
            with self._deadline.window(self._settings.deadline):
                completion = self._create(params, None)
        latency_ms = int((time.monotonic() - started) * 1000)
        try:
            return self._reply(completion, request, effort_sent, latency_ms)
        except (AttributeError, TypeError) as exc:  # JSON, but not a chat completion
            raise ProviderError(
                f"openai-chat: malformed reply from {self.base_url}: {exc}", status="malformed"
            ) from exc

    def _create(self, params: dict[str, Any], effort: Effort | None) -> Any:
        if effort is not None:
            params = params | {"reasoning_effort": effort.value}
        try:
            return self._client.chat.completions.create(**params)
        except openai.BadRequestError as exc:
            if "tools" in params and "tool" in str(exc).lower():
                # Said once, and the phase asks again without tools; the server's words say why.
                self._no_tools = self._no_tools | {params["model"]}
                error = self._error(exc, params["model"])
                error.status = "tools_unsupported"
                raise error from exc
            if effort is not None and "reasoning" in str(exc).lower():
                raise _EffortRejected from exc
            raise self._error(exc, params["model"]) from exc
        except (openai.OpenAIError, ValueError) as exc:  # ValueError: a body that is not JSON
            raise self._error(exc, params["model"]) from exc

    def _error(self, exc: Exception, model: str) -> ProviderError:
        return translate_error(
            exc, sdk=openai, provider=self.name, url=self.base_url, key_env=self._key_env, model=model
        )

    def _reply(self, completion: Any, request: Request, effort_sent: Effort | None, latency_ms: int) -> Reply:
        usage = _usage(getattr(completion, "usage", None))
        request_id = getattr(completion, "_request_id", None) or getattr(completion, "id", None)
        choices = getattr(completion, "choices", None) or []
        if not choices:
            raise ProviderError(
                f"openai-chat: malformed reply from {self.base_url}: no choices",
                status="malformed",
                usage=usage,
            )
        choice = choices[0]
        message = choice.message
        if getattr(message, "refusal", None):
            raise ProviderError(f"openai-chat: the model refused: {message.refusal}", status="refused", usage=usage)
        if choice.finish_reason == "length":
            raise ProviderError(
                "openai-chat: the reply stopped at the length limit before it was complete",
                status="incomplete",
                request_id=request_id,
                usage=usage,
            )
        text = _THINK.sub("", message.content or "", count=1)
        calls = tuple(
            ToolCall(call.id, call.function.name, tool_arguments(call.function.arguments))
            for call in getattr(message, "tool_calls", None) or []
            if getattr(call, "type", None) == "function"
        )
        return Reply(
            text=text,
            usage=usage,
            model=getattr(completion, "model", None) or request.model,
            effort_sent=effort_sent,
            request_id=request_id,
            latency_ms=latency_ms,
            tool_calls=calls,
        )


def _tool(spec: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": spec.name, "description": spec.description, "parameters": spec.parameters},
    }


def _messages(request: Request) -> list[dict[str, Any]]:
    """The system and user messages; then, for each earlier round, the assistant's calls, one
    ``tool`` message per result, and any note as a user message."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": request.instructions},
        {"role": "user", "content": request.input},
    ]
    for turn in request.turns:
        calls = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for call in turn.calls
        ]
        messages.append({"role": "assistant", "content": turn.text or None, "tool_calls": calls})
        messages.extend(
            {"role": "tool", "tool_call_id": result.call_id, "content": result.content} for result in turn.results
        )
        if turn.note:
            messages.append({"role": "user", "content": turn.note})
    return messages


class _EffortRejected(Exception):
    pass


def _usage(raw: Any) -> Usage:
    if raw is None:
        return Usage()
    prompt_details = getattr(raw, "prompt_tokens_details", None)
    completion_details = getattr(raw, "completion_tokens_details", None)
    return Usage(
        input_tokens=raw.prompt_tokens or 0,
        cached_tokens=getattr(prompt_details, "cached_tokens", 0) or 0,
        output_tokens=raw.completion_tokens or 0,
        reasoning_tokens=getattr(completion_details, "reasoning_tokens", 0) or 0,
    )
