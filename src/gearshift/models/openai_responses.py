"""OpenAI's Responses API through the official SDK: effort as ``reasoning.effort``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import openai

from gearshift.effort import Effort, openai_model_efforts
from gearshift.errors import ProviderError, UsageError
from gearshift.models._sdk_http import Deadline, openai_client, translate_error
from gearshift.models.base import Billing, Reply, Request, Usage
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

    def complete(self, request: Request, effort_sent: Effort | None) -> Reply:
        params: dict[str, Any] = {
            "model": request.model,
            "instructions": request.instructions,
            "input": request.input,
            "store": False,
        }
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
        return Reply(
            text=response.output_text,
            usage=usage,
            model=response.model or request.model,
            effort_sent=effort_sent,
            request_id=request_id,
            latency_ms=latency_ms,
        )


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
