"""One call, outside any workflow: ``gearshift ask``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gearshift.effort import Effort
from gearshift.gateway import CallSite, Gateway
from gearshift.models import JsonSchema, Reply, Request, make_provider
from gearshift.settings import Settings

DEFAULT_INSTRUCTIONS = "You are a precise assistant for software developers. Answer directly and concisely."


@dataclass(frozen=True)
class AskOptions:
    provider: str | None = None
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
    provider_name = opts.provider or settings.provider
    provider = make_provider(provider_name, settings, environ=environ, record_to=opts.record_to)
    model = opts.model or settings.model_for(provider_name)
    request = Request(
        instructions=opts.instructions,
        input=prompt,
        model=model,
        effort=opts.effort or settings.effort,
        schema=opts.schema,
    )
    return gateway.call(provider, request, CallSite(phase="ask"))
