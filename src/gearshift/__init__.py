"""gearshift: plan at high effort, implement at medium, review at high; every call accounted for.

The public API is imported lazily so that ``gearshift --help`` never pays for pydantic or
the model SDKs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "AskOptions": "gearshift.ask",
    "ask": "gearshift.ask",
    "Effort": "gearshift.effort",
    "GearshiftError": "gearshift.errors",
    "CallSite": "gearshift.gateway",
    "Gateway": "gearshift.gateway",
    "Ledger": "gearshift.ledger",
    "JsonSchema": "gearshift.models",
    "Reply": "gearshift.models",
    "Request": "gearshift.models",
    "make_provider": "gearshift.models",
    "Settings": "gearshift.settings",
    "load_settings": "gearshift.settings",
}

__all__ = [
    "AskOptions",
    "CallSite",
    "Effort",
    "Gateway",
    "GearshiftError",
    "JsonSchema",
    "Ledger",
    "Reply",
    "Request",
    "Settings",
    "__version__",
    "ask",
    "load_settings",
    "make_provider",
]

if TYPE_CHECKING:
    from gearshift.ask import AskOptions, ask
    from gearshift.effort import Effort
    from gearshift.errors import GearshiftError
    from gearshift.gateway import CallSite, Gateway
    from gearshift.ledger import Ledger
    from gearshift.models import JsonSchema, Reply, Request, make_provider
    from gearshift.settings import Settings, load_settings


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gearshift' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
