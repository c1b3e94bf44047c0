"""How many tokens the planner's repository map may take: sized for the plan model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gearshift.settings import Settings

if TYPE_CHECKING:
    from gearshift.models.base import Provider

UNKNOWN_WINDOW_TOKENS = 8192  # a model the price table does not know, e.g. most local ones
# A map is a guide, not the code: a thirty-second of the window leaves the plan model room for the
# task, its reasoning and its answer, within bounds that keep small maps useful and large ones cheap.
WINDOW_SHARE = 32
MIN_TOKENS, MAX_TOKENS = 4096, 16_384


def map_tokens_for_window(window: int | None) -> int:
    if window is None:
        return UNKNOWN_WINDOW_TOKENS
    return max(MIN_TOKENS, min(MAX_TOKENS, window // WINDOW_SHARE))


def map_budget(settings: Settings, provider: Provider | None = None) -> int:
    """context.map_tokens when set, else sized for the plan phase's model.

    ``provider`` (the plan phase's) knows its model's window best; without one, or when it does
    not know, the price table is asked by model name alone, e.g. for `gearshift map` without a key.
    """
    if settings.context.map_tokens is not None:
        return settings.context.map_tokens
    from gearshift.context.windows import remembered_window

    model = settings.for_phase("plan").model
    window = provider.context_window(model) if provider is not None else None
    return map_tokens_for_window(window if window is not None else remembered_window(model))
