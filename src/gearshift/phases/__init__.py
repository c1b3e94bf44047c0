"""The phases of the method, each a module that reads top to bottom: route, plan, implement, review.

Each phase builds its context, calls the model through the gateway, parses the reply, saves its
artifact and returns a typed result. They share one small context object; none of them knows
HTTP, which provider answers, or where the ledger lives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gearshift.gateway import Gateway
from gearshift.models import Provider
from gearshift.runs import RunStore
from gearshift.settings import ModelChoice, Settings

Say = Callable[[str], None]


@dataclass(frozen=True)
class PhaseContext:
    """What every phase works with."""

    root: Path  # the repository the runs belong to
    settings: Settings
    gateway: Gateway
    runs: RunStore
    provider_named: Callable[[str], Provider]  # one instance per name for a whole workflow
    say: Say

    def choice(self, phase: str) -> ModelChoice:
        return self.settings.for_phase(phase)

    def provider(self, phase: str) -> Provider:
        return self.provider_named(self.choice(phase).provider)
