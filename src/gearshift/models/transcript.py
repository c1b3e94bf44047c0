"""Transcripts: a JSONL file of model calls, written by ``--record`` and played by ``replay``.

One line per call: {"request": {...what was asked...}, "reply": {...what came back...}}.
Replay checks each request against the recorded one and says exactly where they part. What is
recorded is what the provider was sent: the request as the gateway masked it (gearshift.secrets),
so a transcript holds no secret, and a replayed request, masked alike, still matches.

The ledger keeps every call's text in this same record format, so a ledger plays as a transcript
does (``--transcript .gearshift/ledger.db`` or ``ledger.db#RUN``; see gearshift.models.ledger_replay).
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from gearshift.effort import Effort
from gearshift.errors import ProviderError, UsageError
from gearshift.models.base import Billing, Provider, Reply, Request, ToolCall, Usage, edits_files, supports_tools
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
        self.edits_files = edits_files(inner)  # an agent stays an agent when its calls are recorded

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
    """Plays a transcript (or a ledger's kept calls) back in order. It spends nothing, so its calls
    have no price.

    A run may go on in a new process (`plan`, then `implement`; or `resume`): the first call a
    process makes may therefore pick up further down the transcript, at the first recorded call
    it matches exactly (one recorded at the same effort, if any). From there on, every call must
    match the next one.
    """

    name = "replay"
    billing: Billing | None = None

    def __init__(self, path: Path, start: int = 0) -> None:
        from gearshift.models.ledger_replay import ledger_source

        self.path = path
        self._jsonl = ledger_source(path) is None
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
            more = "record a longer transcript with --record" if self._jsonl else "the recording made no more calls"
            raise ProviderError(
                f"replay: {self.path} holds {len(self.entries)} calls and call {number} was asked for; {more}",
                status="replay_mismatch",
            )
        asked = request_record(self.name, request)
        if not self._started:
            self._started = True
            self.position = _first_match(self.entries, self.position, asked)
            number = self.position + 1
        recorded = self.entries[self.position]
        where = recorded.get("origin") or f"line {number}"
        for key in MATCHED_FIELDS:
            if recorded["request"].get(key) != asked.get(key):
                raise ProviderError(
                    f"replay: call {number} diverges from {self.path} {where} in {key}: "
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


def _first_match(entries: list[dict[str, Any]], start: int, asked: dict[str, Any]) -> int:
    """Where a process's first call picks up: the first recorded call from ``start`` on that it
    matches, one asked at the same effort first (several runs of one task under different
    strategies ask the same first question); ``start`` when none matches, to say where it parts."""
    matching = [i for i in range(start, len(entries)) if _matches(entries[i], asked)]
    same_effort = [i for i in matching if entries[i]["request"].get("effort") == asked.get("effort")]
    return (same_effort or matching or [start])[0]


def _matches(entry: dict[str, Any], asked: dict[str, Any]) -> bool:
    return all(entry["request"].get(key) == asked.get(key) for key in MATCHED_FIELDS)


def _as_text(value: Any) -> Any:
    """Lists (the turns) as JSON, so that a difference in them is shown where it is."""
    return json.dumps(value, sort_keys=True) if isinstance(value, list) else value


def load_transcript(path: Path) -> list[dict[str, Any]]:
    """The entries of a JSONL transcript, or of a ledger's kept calls (``ledger.db`` or ``ledger.db#RUN``)."""
    from gearshift.models.ledger_replay import ledger_source, load_ledger

    ledger = ledger_source(path)
    if ledger is not None:
        return load_ledger(*ledger)
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


def render_exchange(request: dict[str, Any] | None, reply: dict[str, Any] | None, *, width: int = 72) -> str:
    """A call's kept text for a person at a terminal: the request (instructions, input, each tool
    round: what the model asked for and what it was answered) and the reply, under plain headings.
    The text is shown as it is, never interpreted; None for the request says the text was not kept."""
    if request is None:
        return (
            "(the text of this call was not kept: ledger.keep_text was false when it was made,"
            " or it was made before gearshift kept call text)\n"
        )

    def heading(title: str) -> str:
        return f"── {title} " + "─" * max(3, width - len(title) - 4)

    def body(text: str) -> list[str]:
        return [text.rstrip("\n")] if text.strip() else ["(empty)"]

    masked = request.get("secrets_masked") or 0
    shown_masked = f", {masked} secret value{'s' if masked != 1 else ''} masked" if masked else ""
    about = f"{request.get('provider')} {request.get('model')} @ {request.get('effort')}{shown_masked}"
    lines = [heading(f"request ({about})")]
    extras = []
    if request.get("schema"):
        extras.append(f"reply schema: {request['schema']}")
    if request.get("tools"):
        extras.append(f"tools: {', '.join(request['tools'])} (tool_choice {request.get('tool_choice')})")
    lines += extras
    lines += [heading("instructions"), *body(str(request.get("instructions") or ""))]
    lines += [heading("input"), *body(str(request.get("input") or ""))]
    for number, turn in enumerate(request.get("turns") or [], start=1):
        lines.append(heading(f"round {number}: the model"))
        if turn.get("text"):
            lines.append(str(turn["text"]).rstrip("\n"))
        lines += [_tool_call_line(call) for call in turn.get("calls") or []]
        for result in turn.get("results") or []:
            lines.append(heading(f"round {number}: answer to {result.get('call_id')}"))
            lines += body(str(result.get("content") or ""))
        if turn.get("note"):
            lines += [heading(f"round {number}: note"), str(turn["note"]).rstrip("\n")]
    if reply is None:
        lines += [heading("reply"), "(none: the call failed before a reply came back)"]
    else:
        sent = reply.get("effort_sent") or "no effort sent"
        lines += [heading(f"reply ({reply.get('model')} @ {sent})"), *body(str(reply.get("text") or ""))]
        if reply.get("tool_calls"):
            lines.append(heading("the reply asks for"))
            lines += [_tool_call_line(call) for call in reply["tool_calls"]]
    return "\n".join(lines) + "\n"


def _tool_call_line(call: dict[str, Any]) -> str:
    arguments = json.dumps(call.get("arguments") or {}, ensure_ascii=False)
    return f"{call.get('name')}({arguments})  [{call.get('id')}]"


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
