"""Cost of a call from the genai-prices table. An unknown price is None, never 0."""

from __future__ import annotations

from gearshift.models.base import Billing, Usage

__all__ = ["Billing", "context_window", "cost_usd", "window_for"]


def cost_usd(model: str, usage: Usage, billing: Billing | None) -> float | None:
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
        if billing.provider_id:
            calculation = calc_price(priced, model, provider_id=billing.provider_id)
        else:
            calculation = calc_price(priced, model, provider_api_url=billing.api_url)
    except (LookupError, ValueError):
        return None
    return float(calculation.total_price)


def context_window(model: str, provider_id: str | None = None) -> int | None:
    """The model's input window from the same maintained table; None where it is not known."""
    from genai_prices import Usage as PricedUsage
    from genai_prices import calc_price

    try:
        return calc_price(PricedUsage(), model, provider_id=provider_id).model.context_window
    except (LookupError, ValueError):
        return None


def window_for(model: str, billing: Billing | None) -> int | None:
    """The window from the provider's own price list where it has one, else by model name alone."""
    return context_window(model, billing.provider_id if billing else None)
