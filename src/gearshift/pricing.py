"""Cost of a call from the genai-prices table. An unknown price is None, never 0."""

from __future__ import annotations

from collections.abc import Mapping

from gearshift.models.base import Usage


def cost_usd(model: str, usage: Usage, billing: Mapping[str, str] | None) -> float | None:
    """USD for ``usage`` on ``model``; None where the provider or model has no known price."""
    if billing is None:
        return None
    from genai_prices import Usage as PricedUsage
    from genai_prices import calc_price

    priced = PricedUsage(
        input_tokens=usage.input_tokens,
        cache_read_tokens=usage.cached_tokens,
        output_tokens=usage.output_tokens,
    )
    try:
        return float(calc_price(priced, model, **billing).total_price)
    except (LookupError, ValueError):
        return None
