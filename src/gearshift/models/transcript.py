"""Transcripts: a JSONL file of model calls, written by ``--record`` and played by ``replay``.

One line per call: {"request": {...what was asked...}, "reply": {...what came back...}}.
Replay checks each request against the recorded one and says exactly where they part. What is
recorded is what the provider was sent: the request as the gateway masked it (gearshift.secrets),
so a transcript holds no secret, and a replayed request, masked alike, still matches.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from gearshift.effort import Effort
from gearshift.errors import ProviderError, UsageError
from gearshift.models.base import Billing, Provider, Reply, Request, ToolCall, Usage, supports_tools
from gearshift.secrets import count_masked

# The fields of a request that must match for a recorded reply to stand in for a real one. The
# tool fields are written only when a request has them, so transcripts from before tools still match.
MATCHED_FIELDS = ("instructions", "input", "schema", "tools", "tool_choice", "turns")


def request_record(provider: str, request: Request) -> dict[str, Any]:
    record: dict[str, Any] = {
        "provider": provider,
        "model": request.model,
        "effort": request.effort.value,
        "instructions": request.instructions,
        "input": request.input,
        "schema": request.schema.name if request.schema else None,
        # the gateway masked the request's secrets before it got here; this says how many
        "secrets_masked": count_masked(request.instructions) + count_masked(request.input),
    }
    if request.tools:
        record["tools"] = [spec.name for spec in request.tools]
        record["tool_choice"] = request.tool_choice
    if request.turns:
        # the results too: a replay reads the repository again and must read what was recorded
        record["turns"] = [
            {
                "text": turn.text,
                "calls": [asdict(call) for call in turn.calls],
                "results": [asdict(result) for result in turn.results],
                "note": turn.note,
            }
            for turn in request.turns
        ]
    return record


def reply_record(reply: Reply) -> dict[str, Any]:
    record: dict[str, Any] = {
        "text": reply.text,
        "model": reply.model,
        "effort_sent": reply.effort_sent.value if reply.effort_sent else None,
        "usage": asdict(reply.usage),
        "request_id": reply.request_id,
        "latency_ms": reply.latency_ms,
    }
    if reply.tool_calls:
        record["tool_calls"] = [asdict(call) for call in reply.tool_calls]
        record["echo"] = list(reply.echo)
    return record


class RecordingProvider:
    """Wraps any provider and appends each successful call to a transcript file."""

    def __init__(self, inner: Provider, path: Path) -> None:
        self._inner = inner
        self._path = path
        self._lock = threading.Lock()
        self.name = inner.name

    @property
    def billing(self) -> Billing | None:
        return self._inner.billing

    def supported_efforts(self, model: str) -> tuple[Effort, ...]:
        return self._inner.supported_efforts(model)

    def context_window(self, model: str) -> int | None:
        return self._inner.context_window(model)

    def supports_tools(self, model: str) -> bool:
        return supports_tools(self._inner, model)

    def complete(self, request: Request, effort_sent: Effort | None) -> Reply:
        reply = self._inner.complete(request, effort_sent)
        line = json.dumps({"request": request_record(self.name, request), "reply": reply_record(reply)})
        with self._lock, self._path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        return reply


class ReplayProvider:
    """Plays a transcript back in order. It spends nothing, so its calls have no price.

    A run may go on in a new process (`plan`, then `implement`; or `resume`): the first call a
    process makes may therefore pick up further down the transcript, at the first recorded call
    it matches exactly. From there on, every call must match the next one.
    """

    name = "replay"
    billing: Billing | None = None

    def __init__(self, path: Path, start: int = 0) -> None:
        self.path = path
        self.entries = load_transcript(path)
        self.position = start
        self._started = False

    def supported_efforts(self, model: str) -> tuple[Effort, ...]:
        return tuple(Effort)

    def context_window(self, model: str) -> int | None:
        return None  # a transcript does not say; the price table, by model name, decides as when recording

    def supports_tools(self, model: str) -> bool:
        """As the recording's provider did: a transcript made without tools is played single-shot."""
        return any(entry["request"].get("tools") for entry in self.entries)

    def complete(self, request: Request, effort_sent: Effort | None) -> Reply:
        number = self.position + 1
        if self.position >= len(self.entries):
            raise ProviderError(
                f"replay: {self.path} holds {len(self.entries)} calls and call {number} was asked for;"
                " record a longer transcript with --record",
                status="replay_mismatch",
            )
        asked = request_record(self.name, request)
        if not self._started:
            self._started = True
            later = (i for i in range(self.position, len(self.entries)) if _matches(self.entries[i], asked))
            self.position = next(later, self.position)
            number = self.position + 1
        recorded = self.entries[self.position]
        for key in MATCHED_FIELDS:
            if recorded["request"].get(key) != asked.get(key):
                raise ProviderError(
                    f"replay: call {number} diverges from {self.path} line {number} in {key}: "
                    + describe_difference(_as_text(recorded["request"].get(key)), _as_text(asked.get(key))),
                    status="replay_mismatch",
                )
        self.position += 1
        raw = recorded["reply"]
        sent = raw.get("effort_sent")
        return Reply(
            text=raw["text"],
            usage=Usage(**raw.get("usage", {})),
            model=raw.get("model") or request.model,
            effort_sent=Effort(sent) if sent else None,
            request_id=raw.get("request_id"),
            tool_calls=tuple(ToolCall(**call) for call in raw.get("tool_calls", [])),
            echo=tuple(raw.get("echo", [])),
        )


def _matches(entry: dict[str, Any], asked: dict[str, Any]) -> bool:
    return all(entry["request"].get(key) == asked.get(key) for key in MATCHED_FIELDS)


def _as_text(value: Any) -> Any:
    """Lists (the turns) as JSON, so that a difference in them is shown where it is."""
    return json.dumps(value, sort_keys=True) if isinstance(value, list) else value


def load_transcript(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"replay: cannot read transcript {path}: {exc.strerror}; check the path") from None
    entries: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"replay: {path} line {number} is not JSON ({exc.msg}); re-record it") from None
        if not isinstance(entry, dict) or "request" not in entry or "text" not in entry.get("reply", {}):
            raise UsageError(f"replay: {path} line {number} lacks a request or a reply text; re-record it")
        entries.append(entry)
    return entries


def describe_difference(recorded: Any, asked: Any) -> str:
    """Where two values part, shown around the first differing character."""
    if not isinstance(recorded, str) or not isinstance(asked, str):
        return f"recorded {recorded!r}, asked {asked!r}"
    index = next(
        (i for i, (a, b) in enumerate(zip(recorded, asked, strict=False)) if a != b),
        min(len(recorded), len(asked)),
    )
    start = max(0, index - 20)
    return (
        f"first difference at character {index}: recorded {recorded[start : index + 30]!r},"
        f" asked {asked[start : index + 30]!r}"
    )
