"""What the SDK providers share (openai and anthropic SDKs, built alike): a total deadline, a size
limit, error wording.

The SDK keeps its own retries (the only retry layer). The deadline and the size limit are
enforced from inside the SDK's HTTP client, through its event hooks: every attempt's timeouts
are cut to the time left, and the reply's body is read through a guard that counts its bytes
and hangs up at the deadline. A read timeout starts afresh with every chunk, so a server that
drips a few bytes every second would otherwise hold a call open for as long as it likes. The
guard's stops are raised as the SDK's own errors, which both SDKs pass through without
retrying. Both SDKs name their errors the same way, so one translation serves both.

The header phase is bounded by the read timeout alone (cut to the time left), since the socket
is out of reach until the headers are in; a server that drips its headers is not covered.
"""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import ModuleType
from typing import Any

import httpx2

from gearshift.errors import ProviderError
from gearshift.models.config import ProviderSettings

_RETRYABLE = {408, 409, 429}
MAX_REPLY_BYTES = 8 * 1024 * 1024  # far above any model reply; what a broken server could send is not
_DETAIL_CHARS = 300  # what an error message quotes of a server's words


class DeadlinePassed(Exception):
    """The call's deadline passed (raised as the SDK's own error, see ``_as_sdk_error``)."""


class ReplyTooLarge(Exception):
    """The reply's body passed MAX_REPLY_BYTES (raised as the SDK's own error)."""


class ReplyCutOff(httpx2.RemoteProtocolError):
    """The server hung up in the middle of the body; a transport error, so the SDK may retry it."""


@functools.cache
def _as_sdk_error(kind: type[Exception], sdk: ModuleType) -> type[Exception]:
    """``kind`` as an error of ``sdk``'s own, which its retry loop passes through untouched."""
    root = getattr(sdk, "OpenAIError", None) or sdk.AnthropicError
    return type(kind.__name__, (kind, root), {})


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
        # The size limit counts the bytes the parser gets: a compressed body could grow far past it.
        request.headers["accept-encoding"] = "identity"
        left = self.seconds_left()
        if left is None:
            return
        if left <= 0:
            raise _as_sdk_error(DeadlinePassed, self._sdk)("the call's deadline passed")
        current = request.extensions.get("timeout") or {}
        keys = current.keys() or ("connect", "read", "write", "pool")
        request.extensions["timeout"] = {
            key: left if current.get(key) is None else min(current[key], left) for key in keys
        }

    def on_response(self, response: httpx2.Response) -> None:
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_REPLY_BYTES:
            raise _as_sdk_error(ReplyTooLarge, self._sdk)(f"the reply's body has {int(length):,} bytes")
        left = self.seconds_left()
        response.stream = _GuardedBody(response, None if left is None else time.monotonic() + left, self._sdk)
        # A Retry-After longer than the time left would only sleep into the deadline: stop now.
        if left is None or not (response.status_code in _RETRYABLE or response.status_code >= 500):
            return
        try:
            wait = float(response.headers.get("retry-after", "0"))
        except ValueError:
            return
        if wait >= left:
            response.headers["x-should-retry"] = "false"


class _GuardedBody(httpx2.SyncByteStream):
    """A response body read under the deadline and the size limit.

    At the deadline a timer shuts the socket down, which wakes a read that is waiting for the
    next drop of a drip; the read then fails, and the failure is reported as the deadline.
    """

    def __init__(self, response: httpx2.Response, until: float | None, sdk: ModuleType) -> None:
        assert isinstance(response.stream, httpx2.SyncByteStream)
        self._inner = response.stream
        self._until = until
        self._sdk = sdk
        network = response.extensions.get("network_stream")
        self._socket: socket.socket | None = network.get_extra_info("socket") if network is not None else None
        self._lock = threading.Lock()
        self._reading = False

    def __iter__(self) -> Iterator[bytes]:
        timer = self._arm()
        received = 0
        try:
            for chunk in self._inner:
                received += len(chunk)
                if received > MAX_REPLY_BYTES:
                    raise _as_sdk_error(ReplyTooLarge, self._sdk)(f"the reply's body passed {MAX_REPLY_BYTES:,} bytes")
                if self._expired():
                    raise _as_sdk_error(DeadlinePassed, self._sdk)("the call's deadline passed while reading")
                yield chunk
        except httpx2.TransportError as exc:
            if self._expired():
                raise _as_sdk_error(DeadlinePassed, self._sdk)("the call's deadline passed while reading") from None
            if isinstance(exc, httpx2.TimeoutException):
                raise
            raise ReplyCutOff(f"the server hung up after {received:,} bytes of the body") from exc
        finally:
            with self._lock:
                self._reading = False
            if timer is not None:
                timer.cancel()

    def close(self) -> None:
        self._inner.close()

    def _expired(self) -> bool:
        return self._until is not None and time.monotonic() >= self._until

    def _arm(self) -> threading.Timer | None:
        if self._until is None or self._socket is None:
            return None  # no deadline, or no socket to shut: the checks between chunks still hold
        with self._lock:
            self._reading = True
        timer = threading.Timer(max(self._until - time.monotonic(), 0), self._hang_up)
        timer.daemon = True
        timer.start()
        return timer

    def _hang_up(self) -> None:
        with self._lock:
            if self._reading and self._socket is not None:
                with suppress(OSError):
                    # socket.socket's own shutdown, also for an SSLSocket: the TLS layer is torn
                    # down by the read that fails, not from under it by this thread.
                    socket.socket.shutdown(self._socket, socket.SHUT_RDWR)


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
    if isinstance(exc, DeadlinePassed | sdk.APITimeoutError):
        return ProviderError(
            f"{provider}: no reply from {url} in time; raise providers.{provider}.deadline/timeout or try later",
            status="timeout",
        )
    if isinstance(exc, ReplyTooLarge):
        return ProviderError(
            f"{provider}: the reply from {url} is larger than {MAX_REPLY_BYTES // 2**20} MB and was refused;"
            " check the server (and --base-url)",
            status="too_large",
        )
    if _caused_by(exc, ReplyCutOff):
        return ProviderError(
            f"{provider}: the reply from {url} was cut off: the server closed the connection before the end"
            " of the body; try again, or check the server",
            status="truncated",
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
        return ProviderError(f"{provider}: malformed reply from {url}: {_clip(str(exc))}", status="malformed")
    return ProviderError(f"{provider}: {type(exc).__name__}: {_clip(str(exc))}")


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):  # a cause chain is short; a cycle must not loop forever
        if seen is None:
            return False
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _server_message(exc: Any) -> str:
    # The SDK's message quotes a body that is not JSON as it is: a whole HTML page, or worse.
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return _clip(str(error["message"]))
    return _clip(str(exc.message))


def _clip(text: str) -> str:
    return text if len(text) <= _DETAIL_CHARS else f"{text[:_DETAIL_CHARS]} [... {len(text) - _DETAIL_CHARS:,} more]"
