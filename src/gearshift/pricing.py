"""Cost of a call: the user's own price for the model (settings ``[pricing]``), else the genai-prices
table. An unknown price is None, never 0."""

from __future__ import annotations

from typing import Protocol

from gearshift.models.base import Billing, Usage

__all__ = ["Billing", "ModelPrice", "context_window", "cost_usd", "window_for"]

# a known usage, to ask whether a model has a price at all
_PROBE = Usage(input_tokens=1_000, cached_tokens=0, output_tokens=1_000)


class ModelPrice(Protocol):
    """USD per million tokens, as the settings' ``[pricing."MODEL"]`` table gives it."""

    @property
    def input(self) -> float: ...
    @property
    def cached_input(self) -> float | None: ...  # None: cached input costs what input costs
    @property
    def output(self) -> float: ...


def cost_usd(model: str, usage: Usage, billing: Billing | None, price: ModelPrice | None = None) -> float | None:
    """USD for ``usage`` on ``model``: at ``price`` when the user gave one; else from the table, None where
    the provider or model has no known price."""
    if price is not None:
        cached = price.input if price.cached_input is None else price.cached_input
        fresh = usage.input_tokens - usage.cached_tokens
        return (fresh * price.input + usage.cached_tokens * cached + usage.output_tokens * price.output) / 1e6
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


def has_price(model: str, billing: Billing | None, price: ModelPrice | None = None) -> bool:
    """Whether a call to ``model`` through a provider billed as ``billing`` would have a known cost."""
    return cost_usd(model, _PROBE, billing, price) is not None


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
