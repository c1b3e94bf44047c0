"""The reasoning-effort scale and how a requested level maps onto what a provider supports."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from gearshift.errors import UsageError


class Effort(StrEnum):
    """Reasoning effort, ordered from least to most thinking."""

    NONE = "none"
    MINIMAL = "minimal"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    XHIGH = "xhigh"

    @classmethod
    def _missing_(cls, value: object) -> Effort | None:
        # "HIGH" or "x-high" in an environment variable, a config file or a flag: one reading everywhere
        if isinstance(value, str):
            return _LOOKUP.get(normalise_effort(value))
        return None

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    @classmethod
    def parse(cls, text: str) -> Effort:
        """Read an effort a person typed; tolerant of case, surrounding space, '-' and '_'."""
        effort = _LOOKUP.get(normalise_effort(text))
        if effort is not None:
            return effort
        choices = ", ".join(e.value for e in cls)
        raise UsageError(f"unknown effort {text!r}: choose one of {choices}")


_ORDER = list(Effort)
_LOOKUP = {effort.value: effort for effort in Effort}


def normalise_effort(text: str) -> str:
    """The one spelling rule for efforts: " X-High ", "x_high" and "xhigh" all read as "xhigh"."""
    return text.strip().lower().replace("-", "").replace("_", "")


def nearest_supported(requested: Effort, supported: Iterable[Effort]) -> Effort:
    """The supported level closest to ``requested``.

    On a tie the higher level wins: a user who asked for more thinking than a model offers
    should not silently get less than the nearest alternative above it.
    """
    levels = sorted(set(supported), key=lambda e: e.rank)
    if not levels:
        raise ValueError("a provider must support at least one effort level")
    return min(levels, key=lambda e: (abs(e.rank - requested.rank), -e.rank))


# Levels each OpenAI model family accepts as reasoning.effort, most specific prefix first.
# GPT-5 added "minimal"; 5.1 replaced it with "none"; 5.2 and later add "xhigh".
OPENAI_MODEL_EFFORTS: list[tuple[str, tuple[Effort, ...]]] = [
    ("gpt-5.1", (Effort.NONE, Effort.LOW, Effort.MEDIUM, Effort.HIGH)),
    ("gpt-5-", (Effort.MINIMAL, Effort.LOW, Effort.MEDIUM, Effort.HIGH)),
    ("gpt-5.", (Effort.NONE, Effort.LOW, Effort.MEDIUM, Effort.HIGH, Effort.XHIGH)),
    ("gpt-5", (Effort.MINIMAL, Effort.LOW, Effort.MEDIUM, Effort.HIGH)),
    ("o1", (Effort.LOW, Effort.MEDIUM, Effort.HIGH)),
    ("o3", (Effort.LOW, Effort.MEDIUM, Effort.HIGH)),
    ("o4", (Effort.LOW, Effort.MEDIUM, Effort.HIGH)),
]


def openai_model_efforts(model: str) -> tuple[Effort, ...]:
    """Efforts the Responses API takes for ``model``; unknown models are sent what was asked."""
    name = model.lower().split("/")[-1]
    for prefix, levels in OPENAI_MODEL_EFFORTS:
        if name.startswith(prefix):
            return levels
    return tuple(Effort)
