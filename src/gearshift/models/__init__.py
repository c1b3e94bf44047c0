"""Model providers behind one interface. SDK modules are imported only when a provider is made."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from gearshift.errors import UsageError
from gearshift.models.base import JsonSchema, Provider, Reply, Request, Usage
from gearshift.settings import PROVIDERS, Settings

__all__ = ["JsonSchema", "Provider", "Reply", "Request", "Usage", "make_provider"]


def make_provider(
    name: str,
    settings: Settings,
    *,
    environ: Mapping[str, str] | None = None,
    record_to: Path | None = None,
) -> Provider:
    env = os.environ if environ is None else environ
    config = settings.provider_settings(name)
    provider: Provider
    if name == "openai":
        from gearshift.models.openai_responses import OpenAIResponses

        provider = OpenAIResponses(config, env)
    elif name == "openai-chat":
        from gearshift.models.openai_chat import OpenAIChat

        provider = OpenAIChat(config, env)
    elif name == "anthropic":
        from gearshift.models.anthropic_messages import AnthropicMessages

        provider = AnthropicMessages(config, env)
    elif name == "replay":
        from gearshift.models.transcript import ReplayProvider

        if not config.transcript:
            raise UsageError("replay needs a transcript: pass --transcript FILE or set providers.replay.transcript")
        provider = ReplayProvider(Path(config.transcript))
    else:
        raise UsageError(f"unknown provider {name!r}: choose one of {', '.join(PROVIDERS)}")
    if record_to is not None:
        from gearshift.models.transcript import RecordingProvider

        provider = RecordingProvider(provider, record_to)
    return provider
