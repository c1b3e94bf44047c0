"""The OpenTelemetry side of telemetry: the tracer provider with its OTLP/HTTP exporter, and a model call's
span made from its ledger row. Imported only when traces are on; it needs ``gearshift[otel]``."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from opentelemetry.util.types import AttributeValue

from gearshift.ledger import CallRecord

# gearshift's provider names as the GenAI conventions' gen_ai.provider.name values; others go as they are
PROVIDER_NAMES = {"openai": "openai", "openai-chat": "openai", "anthropic": "anthropic"}


def make_provider(endpoint: str | None) -> TracerProvider:
    """Batched export over OTLP/HTTP to ``endpoint``, else where the OTEL_EXPORTER_OTLP_* variables say (the
    exporter reads them, headers and timeout included); flushed at exit by the provider's own atexit hook."""
    attributes: dict[str, AttributeValue] = {"service.version": _version()}
    named = os.environ.get("OTEL_SERVICE_NAME") or "service.name=" in os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "")
    if not named:  # the user's own service name wins: Resource.create lets given attributes override it
        attributes["service.name"] = "gearshift"
    provider = TracerProvider(resource=Resource.create(attributes))
    # batched, so that a call never waits for the collector; a run is flushed when the process ends
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return provider


def call_span(tracer: Tracer, record: CallRecord, started: float, *, include_text: bool) -> None:
    """The call's ``chat {model}`` span, timed as the call was (it is made after the call, from the ledger
    row), under whatever span is current: the step's or the phase's."""
    model = str((record.request or {}).get("model") or record.model)  # what was asked for, when kept
    start = int(started * 1e9)
    span = tracer.start_span(
        f"chat {model}", kind=SpanKind.CLIENT, start_time=start, attributes=call_attributes(record, model)
    )
    if include_text:
        span.set_attributes(text_attributes(record))
    if record.status != "ok":
        span.set_attribute("error.type", record.status)
        span.set_status(Status(StatusCode.ERROR, record.error or record.status))
    span.end(end_time=start + (record.latency_ms or 0) * 1_000_000)


def call_attributes(record: CallRecord, model: str) -> dict[str, AttributeValue]:
    """The GenAI semantic conventions' names where they have one, gearshift's own for the rest."""
    attributes: dict[str, AttributeValue | None] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": PROVIDER_NAMES.get(record.provider, record.provider),
        "gen_ai.request.model": model,
        "gen_ai.response.model": record.model if record.status == "ok" else None,
        "gen_ai.request.reasoning.level": record.effort_sent,  # None: the model takes no effort
        "gen_ai.usage.input_tokens": record.input_tokens,  # cached ones included (gearshift's Usage)
        "gen_ai.usage.output_tokens": record.output_tokens,  # reasoning included, likewise
        "gen_ai.usage.cache_read.input_tokens": record.cached_tokens,
        "gen_ai.usage.reasoning.output_tokens": record.reasoning_tokens,
        "gearshift.provider": record.provider,
        "gearshift.effort_requested": record.effort_requested,
        "gearshift.cost_usd": record.cost_usd,
        "gearshift.cost_source": record.cost_source,
        "gearshift.request_id": record.request_id,
        "gearshift.phase": record.phase,
        "gearshift.step": record.step,
        "gearshift.run_id": record.run_id,
    }
    return {key: value for key, value in attributes.items() if value is not None}


def text_attributes(record: CallRecord) -> dict[str, AttributeValue]:
    """The call's text as kept in the ledger (masked, as sent), in the conventions' message shapes, each
    a JSON string; nothing when the ledger keeps no text (``ledger.keep_text = false``)."""
    request, reply = record.request or {}, record.reply
    attributes: dict[str, AttributeValue] = {}
    if request.get("instructions"):
        attributes["gen_ai.system_instructions"] = _json([_text(request["instructions"])])
    if request:
        messages = [{"role": "user", "parts": [_text(request.get("input", ""))]}]
        for turn in request.get("turns") or []:
            messages.append({"role": "assistant", "parts": _said(turn.get("text", ""), turn.get("calls") or [])})
            answers = [
                {"type": "tool_call_response", "id": r["call_id"], "response": r["content"]} for r in turn["results"]
            ]
            messages.append({"role": "tool", "parts": answers})
        attributes["gen_ai.input.messages"] = _json(messages)
    if reply is not None:
        calls = reply.get("tool_calls") or []
        said = {"role": "assistant", "parts": _said(reply.get("text", ""), calls)}
        attributes["gen_ai.output.messages"] = _json([{**said, "finish_reason": "tool_call" if calls else "stop"}])
    return attributes


def _said(text: str, calls: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    asked = [{"type": "tool_call", "id": c["id"], "name": c["name"], "arguments": c["arguments"]} for c in calls]
    return [_text(text), *asked] if text else asked


def _text(content: str) -> dict[str, Any]:
    return {"type": "text", "content": content}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gearshift")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"
