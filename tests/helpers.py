from __future__ import annotations

from pathlib import Path
from typing import Any

from gearshift.effort import Effort
from gearshift.gateway import CallSite, Gateway
from gearshift.ledger import Ledger
from gearshift.models import JsonSchema, Request, make_provider
from gearshift.settings import Settings

GREETING_SCHEMA = JsonSchema(
    name="greeting",
    schema={
        "type": "object",
        "properties": {"greeting": {"type": "string"}},
        "required": ["greeting"],
        "additionalProperties": False,
    },
)


def settings_for(provider: str, base_url: str, **provider_options: Any) -> Settings:
    return Settings.model_validate(
        {"provider": provider, "providers": {provider: {"base_url": base_url, **provider_options}}}
    )


def request(text: str = "hi", *, model: str = "gpt-5.4", effort: Effort = Effort.MEDIUM, **kw: Any) -> Request:
    return Request(instructions="be brief", input=text, model=model, effort=effort, **kw)


def gateway(tmp: Path) -> Gateway:
    return Gateway(Ledger(tmp / "ledger.db"))


def provider(name: str, settings: Settings, env: dict[str, str]) -> Any:
    return make_provider(name, settings, environ=env)


def call(gw: Gateway, prov: Any, req: Request, phase: str = "ask") -> Any:
    return gw.call(prov, req, CallSite(phase=phase))
