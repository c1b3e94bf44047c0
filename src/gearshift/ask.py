"""One call, outside any workflow: ``gearshift ask``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gearshift.effort import Effort
from gearshift.gateway import CallSite, Gateway
from gearshift.models import JsonSchema, Provider, Reply, Request, make_provider
from gearshift.settings import Settings

DEFAULT_INSTRUCTIONS = "You are a precise assistant for software developers. Answer directly and concisely."


@dataclass(frozen=True)
class AskOptions:
    provider: str | Provider | None = None  # a name, or a library user's own provider object
    model: str | None = None
    effort: Effort | None = None
    instructions: str = DEFAULT_INSTRUCTIONS
    schema: JsonSchema | None = None
    record_to: Path | None = None


def ask(
    prompt: str,
    settings: Settings,
    gateway: Gateway,
    options: AskOptions | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Reply:
    opts = options or AskOptions()
    chosen = opts.provider or settings.provider
    if isinstance(chosen, str):
        provider = make_provider(chosen, settings, environ=environ, record_to=opts.record_to)
    else:
        provider = _recorded(chosen, opts.record_to)
    model = opts.model or settings.model_for(chosen if isinstance(chosen, str) else chosen.name)
    request = Request(
        instructions=opts.instructions,
        input=prompt,
        model=model,
        effort=opts.effort or settings.effort,
        schema=opts.schema,
    )
    from gearshift import telemetry

    telemetry.attach(gateway, settings, environ)  # an ask is a call span of its own, when traces are on
    return gateway.call(provider, request, CallSite(phase="ask"))


def _recorded(provider: Provider, record_to: Path | None) -> Provider:
    if record_to is None:
        return provider
    from gearshift.models.transcript import RecordingProvider

    return RecordingProvider(provider, record_to)
