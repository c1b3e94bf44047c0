"""Anthropic's Messages API through the official SDK: effort as ``output_config.effort``,
with adaptive thinking, and JSON-schema output through ``output_config.format``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import anthropic

from gearshift.effort import Effort
from gearshift.errors import ProviderError, UsageError
from gearshift.models._sdk_http import Deadline, hooks, translate_error
from gearshift.models.base import Billing, Reply, Request, ToolCall, Usage
from gearshift.models.config import ProviderSettings
from gearshift.pricing import window_for
from gearshift.trust import KeyPolicy

DEFAULT_URL = "https://api.anthropic.com"
# The levels every Claude model with effort control takes; a model that takes xhigh or max
# can say so with providers.anthropic.efforts.
EFFORTS = (Effort.LOW, Effort.MEDIUM, Effort.HIGH)
# The API needs a ceiling on output, thinking included; a plan or a review fits well within it.
DEFAULT_MAX_TOKENS = 32_000


class AnthropicMessages:
    name = "anthropic"

    def __init__(self, settings: ProviderSettings, environ: Mapping[str, str], policy: KeyPolicy | None = None) -> None:
        self._settings = settings
        self._key_env = settings.api_key_env or "ANTHROPIC_API_KEY"
        self.base_url = settings.base_url or environ.get("ANTHROPIC_BASE_URL") or DEFAULT_URL
        (policy or KeyPolicy()).check(
            provider=self.name, url=self.base_url, key_env=self._key_env, official=DEFAULT_URL
        )
        api_key = environ.get(self._key_env)
        if not api_key:
            raise UsageError(
                f"no API key for provider anthropic: set {self._key_env}, or pick another provider with --provider"
            )
        official = self.base_url == DEFAULT_URL
        self.billing = Billing(provider_id="anthropic") if official else Billing(api_url=self.base_url)
        self._deadline = Deadline(anthropic)
        self._client = anthropic.Anthropic(
            api_key=api_key,
            base_url=self.base_url,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            http_client=anthropic.DefaultHttpxClient(event_hooks=hooks(self._deadline)),
        )

    def supported_efforts(self, model: str) -> tuple[Effort, ...]:
        return self._settings.efforts or EFFORTS

    def context_window(self, model: str) -> int | None:
        return window_for(model, self.billing)

    def supports_tools(self, model: str) -> bool:
        return True

    def complete(self, request: Request, effort_sent: Effort | None) -> Reply:
        params: dict[str, Any] = {
            "model": request.model,
            "system": request.instructions,
            "messages": _messages(request),
            "max_tokens": request.max_output_tokens or DEFAULT_MAX_TOKENS,
        }
        if request.tools:
            # Kept with tool_choice none too: a request whose turns hold tool_use blocks must declare tools.
            params["tools"] = [
                {"name": spec.name, "description": spec.description, "input_schema": spec.parameters}
                for spec in request.tools
            ]
            params["tool_choice"] = {"type": request.tool_choice}
        output_config: dict[str, Any] = {}
        if effort_sent is not None:
            params["thinking"] = {"type": "adaptive"}
            output_config["effort"] = effort_sent.value
        if request.schema is not None:
            output_config["format"] = {"type": "json_schema", "schema": request.schema.schema}
        if output_config:
            params["output_config"] = output_config
        started = time.monotonic()
        try:
            with self._deadline.window(self._settings.deadline):
                message = self._client.messages.create(**params)
        except (anthropic.AnthropicError, ValueError) as exc:  # ValueError: a body that is not JSON
            raise translate_error(
                exc, sdk=anthropic, provider=self.name, url=self.base_url, key_env=self._key_env, model=request.model
            ) from exc
        latency_ms = int((time.monotonic() - started) * 1000)
        try:
            return self._reply(message, request, effort_sent, latency_ms)
        except (AttributeError, TypeError) as exc:  # JSON, but not a Message
            raise ProviderError(f"anthropic: malformed reply from {self.base_url}: {exc}", status="malformed") from exc

    def _reply(self, message: Any, request: Request, effort_sent: Effort | None, latency_ms: int) -> Reply:
        usage = _usage(message.usage)
        request_id = getattr(message, "_request_id", None) or message.id
        if message.stop_reason == "max_tokens":
            raise ProviderError(
                "anthropic: the reply stopped at max_tokens before it was complete; raise it or simplify",
                status="incomplete",
                request_id=request_id,
                usage=usage,
            )
        if message.stop_reason == "refusal":
            raise ProviderError("anthropic: the model refused the request", status="refused", usage=usage)
        text = "".join(block.text for block in message.content if block.type == "text")
        calls = tuple(
            ToolCall(block.id, block.name, dict(block.input) if isinstance(block.input, dict) else {})
            for block in message.content
            if block.type == "tool_use"
        )
        return Reply(
            text=text,
            usage=usage,
            model=message.model or request.model,
            effort_sent=effort_sent,
            request_id=request_id,
            latency_ms=latency_ms,
            tool_calls=calls,
            echo=_echo(message.content) if calls else (),
        )


def _messages(request: Request) -> list[dict[str, Any]]:
    """The user's input; then, for each earlier round, the assistant's content and a user message
    with one tool_result block per call, and any note as a text block after them."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": request.input}]
    for turn in request.turns:
        content = list(turn.echo) or [
            *([{"type": "text", "text": turn.text}] if turn.text else []),
            *({"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in turn.calls),
        ]
        messages.append({"role": "assistant", "content": content})
        answers: list[dict[str, Any]] = [
            {"type": "tool_result", "tool_use_id": result.call_id, "content": result.content} for result in turn.results
        ]
        if turn.note:
            answers.append({"type": "text", "text": turn.note})
        messages.append({"role": "user", "content": answers})
    return messages


def _echo(blocks: list[Any]) -> tuple[dict[str, Any], ...]:
    """The assistant's content to send back next round. With thinking on, the API refuses a
    tool_use turn without the thinking blocks before it, signatures unchanged."""
    echoed: list[dict[str, Any]] = []
    for block in blocks:
        if block.type == "thinking":
            echoed.append({"type": "thinking", "thinking": block.thinking, "signature": block.signature})
        elif block.type == "redacted_thinking":
            echoed.append({"type": "redacted_thinking", "data": block.data})
        elif block.type == "text" and block.text:  # the API refuses empty text blocks
            echoed.append({"type": "text", "text": block.text})
        elif block.type == "tool_use":
            echoed.append({"type": "tool_use", "id": block.id, "name": block.name, "input": block.input})
    return tuple(echoed)


def _usage(raw: Any) -> Usage:
    # Anthropic counts cache reads and writes apart from input_tokens; gearshift's input includes them.
    cache_read = raw.cache_read_input_tokens or 0
    details = getattr(raw, "output_tokens_details", None)
    return Usage(
        input_tokens=(raw.input_tokens or 0) + cache_read + (raw.cache_creation_input_tokens or 0),
        cached_tokens=cache_read,
        output_tokens=raw.output_tokens or 0,
        reasoning_tokens=getattr(details, "thinking_tokens", 0) or 0,
    )
