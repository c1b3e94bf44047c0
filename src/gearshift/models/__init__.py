"""Model providers behind one interface, made by name through the registry.

SDK modules are imported only when a provider is made; see models/registry.py for plug-ins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from gearshift.models import registry
from gearshift.models.base import Billing, JsonSchema, Provider, Reply, Request, Usage, Workspace
from gearshift.models.registry import register_provider

if TYPE_CHECKING:
    from gearshift.settings import Settings

__all__ = [
    "Billing",
    "JsonSchema",
    "Provider",
    "Reply",
    "Request",
    "Usage",
    "Workspace",
    "make_provider",
    "register_provider",
]


def make_provider(
    name: str,
    settings: Settings,
    *,
    environ: Mapping[str, str] | None = None,
    record_to: Path | None = None,
) -> Provider:
    """The provider called ``name``; with ``record_to``, every call it makes is appended there."""
    provider = registry.create(name, settings, os.environ if environ is None else environ)
    if record_to is not None:
        from gearshift.models.transcript import RecordingProvider

        provider = RecordingProvider(provider, record_to)
    return provider
