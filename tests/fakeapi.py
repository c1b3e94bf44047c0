"""A loopback HTTP server that speaks OpenAI's Responses and Chat Completions and Anthropic's
Messages wire formats.

Tests push scripted replies (or callables that compute one from the request); the real SDK
talks to it over HTTP, so retries, timeouts and parsing are exercised for real. Nothing
leaves 127.0.0.1.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ids = itertools.count(1)


@dataclass
class Seen:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Scripted:
    status: int = 200
    body: Any = None  # a dict is sent as JSON, a str as it is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a hung server: longer than the timeout)
    drip: tuple[int, float] | None = None  # send the body n bytes at a time, s seconds apart (a slow drip)
    cut_after: int | None = None  # announce the whole body, send this many bytes of it, then hang up
    no_length: bool = False  # no content-length: the body ends when the server closes the connection


Script = Scripted | Callable[[Seen], Scripted]
# A tool call a scripted reply makes: the tool's name and its arguments. Ids are made up per reply.
Asked = tuple[str, dict[str, Any]]


class FakeAPI:
    def __init__(self) -> None:
        self.script: deque[Script] = deque()
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def push(self, *items: Script) -> None:
        self.script.extend(items)

    def _next(self, seen: Seen) -> Scripted:
        with self._lock:
            self.seen.append(seen)
            if not self.script:
                return Scripted(500, {"error": {"message": "fake API: script exhausted", "type": "test"}})
            item = self.script.popleft()
        return item(seen) if callable(item) else item

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                reply = api._next(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                data = payload.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    if reply.no_length:
                        self.send_header("connection", "close")
                    else:
                        self.send_header("content-length", str(len(data)))
                    request_id = f"req_{next(_ids)}"
                    self.send_header("x-request-id", request_id)  # OpenAI's name
                    self.send_header("request-id", request_id)  # Anthropic's
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self._write_body(reply, data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            def _write_body(self, reply: Scripted, data: bytes) -> None:
                if reply.no_length or reply.cut_after is not None:
                    self.close_connection = True  # hang up after what is written
                if reply.cut_after is not None:
                    data = data[: reply.cut_after]
                if reply.drip is None:
                    self.wfile.write(data)
                    return
                size, pause = reply.drip
                for start in range(0, len(data), size):
                    self.wfile.write(data[start : start + size])
                    self.wfile.flush()
                    time.sleep(pause)

        return Handler


# --- wire-format builders ------------------------------------------------------------------


def responses_reply(
    text: str,
    *,
    input_tokens: int = 100,
    cached_tokens: int = 0,
    output_tokens: int = 50,
    reasoning_tokens: int = 0,
    model: str = "gpt-5.4-2026-03-05",
    status: str = "completed",
    incomplete_reason: str | None = None,
    refusal: str | None = None,
    tool_calls: Sequence[Asked] = (),
    encrypted_reasoning: str | None = None,
) -> Scripted:
    """A Responses reply; with ``tool_calls``, function_call items (and a message only if ``text``)."""
    content: dict[str, Any] = (
        {"type": "refusal", "refusal": refusal} if refusal else {"type": "output_text", "text": text, "annotations": []}
    )
    output: list[dict[str, Any]] = []
    if reasoning_tokens:
        reasoning: dict[str, Any] = {"type": "reasoning", "id": f"rs_{next(_ids)}", "summary": []}
        if encrypted_reasoning is not None:
            reasoning["encrypted_content"] = encrypted_reasoning
        output.append(reasoning)
    if text or refusal or not tool_calls:
        output.append(
            {
                "type": "message",
                "id": f"msg_{next(_ids)}",
                "status": "completed",
                "role": "assistant",
                "content": [content],
            }
        )
    for name, arguments in tool_calls:
        number = next(_ids)
        output.append(
            {
                "type": "function_call",
                "id": f"fc_{number}",
                "call_id": f"call_{number}",
                "name": name,
                "arguments": json.dumps(arguments),
                "status": "completed",
            }
        )
    return Scripted(
        body={
            "id": f"resp_{next(_ids)}",
            "object": "response",
            "created_at": int(time.time()),
            "status": status,
            "model": model,
            "output": output,
            "error": None,
            "incomplete_details": {"reason": incomplete_reason} if incomplete_reason else None,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": {
                "input_tokens": input_tokens,
                "input_tokens_details": {"cached_tokens": cached_tokens, "cache_write_tokens": 0},
                "output_tokens": output_tokens,
                "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
                "total_tokens": input_tokens + output_tokens,
            },
        }
    )


def chat_reply(
    text: str,
    *,
    prompt_tokens: int = 100,
    cached_tokens: int = 0,
    completion_tokens: int = 50,
    reasoning_tokens: int = 0,
    model: str = "qwen3:8b",
    finish_reason: str = "stop",
    details: bool = True,
    tool_calls: Sequence[Asked] = (),
) -> Scripted:
    """A chat completion; with ``tool_calls``, the message's tool_calls and finish_reason tool_calls."""
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if details:
        usage["prompt_tokens_details"] = {"cached_tokens": cached_tokens}
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if tool_calls:
        message["content"] = text or None
        message["tool_calls"] = [
            {
                "id": f"call_{next(_ids)}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            for name, arguments in tool_calls
        ]
        finish_reason = "tool_calls"
    return Scripted(
        body={
            "id": f"chatcmpl-{next(_ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": usage,
        }
    )


def messages_reply(
    text: str,
    *,
    input_tokens: int = 100,
    cache_read_tokens: int = 0,
    output_tokens: int = 50,
    thinking_tokens: int = 0,
    model: str = "claude-opus-5-5",
    stop_reason: str = "end_turn",
    tool_calls: Sequence[Asked] = (),
) -> Scripted:
    """A Messages reply; with ``tool_calls``, tool_use blocks (and a text block only if ``text``)."""
    content: list[dict[str, Any]] = []
    if thinking_tokens:
        content.append({"type": "thinking", "thinking": "Let me think.", "signature": "sig"})
    if text or not tool_calls:
        content.append({"type": "text", "text": text})
    for name, arguments in tool_calls:
        content.append({"type": "tool_use", "id": f"toolu_{next(_ids)}", "name": name, "input": arguments})
    if tool_calls:
        stop_reason = "tool_use"
    return Scripted(
        body={
            "id": f"msg_{next(_ids)}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": cache_read_tokens,
                "output_tokens": output_tokens,
                "output_tokens_details": {"thinking_tokens": thinking_tokens},
            },
        }
    )


def anthropic_error(status: int, kind: str, message: str, *, retry_after: str | None = None) -> Scripted:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return Scripted(status, {"type": "error", "error": {"type": kind, "message": message}}, headers)


def error_reply(status: int, message: str, *, retry_after: str | None = None) -> Scripted:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return Scripted(status, {"error": {"message": message, "type": "test_error", "code": None}}, headers)
