"""What the SDK providers share (openai and anthropic SDKs, built alike): a total deadline, error wording.

The SDK keeps its own retries (the only retry layer). The deadline is enforced from inside
the SDK's HTTP client: every attempt's timeout is cut to the time left, and once none is
left the hook raises the SDK's APITimeoutError, which the SDK passes through without retrying.
Both SDKs name their errors the same way, so one translation serves both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import httpx2

from gearshift.errors import ProviderError
from gearshift.models.config import ProviderSettings

_RETRYABLE = {408, 409, 429}


class Deadline:
    """A per-thread deadline, read by the HTTP client's hooks."""

    def __init__(self, sdk: ModuleType) -> None:
        self._sdk = sdk
        self._local = threading.local()

    @contextmanager
    def window(self, seconds: float) -> Iterator[None]:
        self._local.until = time.monotonic() + seconds
        try:
            yield
        finally:
            self._local.until = None

    def seconds_left(self) -> float | None:
        until = getattr(self._local, "until", None)
        return None if until is None else until - time.monotonic()

    def on_request(self, request: httpx2.Request) -> None:
        left = self.seconds_left()
        if left is None:
            return
        if left <= 0:
            raise self._sdk.APITimeoutError(request=request)
        current = request.extensions.get("timeout") or {}
        keys = current.keys() or ("connect", "read", "write", "pool")
        request.extensions["timeout"] = {
            key: left if current.get(key) is None else min(current[key], left) for key in keys
        }

    def on_response(self, response: httpx2.Response) -> None:
        # A Retry-After longer than the time left would only sleep into the deadline: stop now.
        left = self.seconds_left()
        if left is None or not (response.status_code in _RETRYABLE or response.status_code >= 500):
            return
        try:
            wait = float(response.headers.get("retry-after", "0"))
        except ValueError:
            return
        if wait >= left:
            response.headers["x-should-retry"] = "false"


def hooks(deadline: Deadline) -> dict[str, list[Any]]:
    """The HTTP client's event hooks that enforce ``deadline``."""
    return {"request": [deadline.on_request], "response": [deadline.on_response]}


def openai_client(settings: ProviderSettings, api_key: str, base_url: str | None, deadline: Deadline) -> Any:
    import openai

    return openai.OpenAI(
        api_key=api_key,
        base_url=base_url,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
        http_client=openai.DefaultHttpx2Client(event_hooks=hooks(deadline)),
    )


def translate_error(
    exc: Exception, *, sdk: ModuleType, provider: str, url: str, key_env: str | None, model: str
) -> ProviderError:
    """One line that says what failed and what to do about it."""
    request_id = getattr(exc, "request_id", None)
    if isinstance(exc, sdk.APITimeoutError):
        return ProviderError(
            f"{provider}: no reply from {url} in time; raise providers.{provider}.deadline/timeout or try later",
            status="timeout",
        )
    if isinstance(exc, sdk.APIConnectionError):
        return ProviderError(
            f"{provider}: cannot connect to {url}; is the server running? check --base-url",
            status="connection_error",
        )
    if isinstance(exc, sdk.AuthenticationError):
        fix = f"check {key_env}" if key_env else f"set providers.{provider}.api_key_env"
        return ProviderError(f"{provider}: {url} rejected the API key (401); {fix}", status="auth_error")
    if isinstance(exc, sdk.PermissionDeniedError):
        return ProviderError(f"{provider}: {url} denied access (403) to model {model!r}", status="auth_error")
    if isinstance(exc, sdk.NotFoundError):
        return ProviderError(
            f"{provider}: model {model!r} or endpoint not found at {url} (404); check --model and --base-url",
            status="not_found",
            request_id=request_id,
        )
    if isinstance(exc, sdk.RateLimitError):
        return ProviderError(
            f"{provider}: rate limited by {url} (429) after retries; wait and try again",
            status="rate_limited",
            request_id=request_id,
        )
    if isinstance(exc, sdk.APIStatusError):
        detail = _server_message(exc)
        return ProviderError(
            f"{provider}: {url} answered {exc.status_code}: {detail}",
            status=f"http_{exc.status_code}",
            request_id=request_id,
        )
    if isinstance(exc, sdk.APIResponseValidationError | ValueError):
        return ProviderError(f"{provider}: malformed reply from {url}: {exc}", status="malformed")
    return ProviderError(f"{provider}: {type(exc).__name__}: {exc}")


def _server_message(exc: Any) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return str(exc.message)
