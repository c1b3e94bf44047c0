"""Where a call's cost comes from: the provider's own figure (an agent CLI's), the price table, or nowhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gearshift.effort import Effort
from gearshift.errors import ProviderError
from gearshift.gateway import CallSite, Gateway
from gearshift.ledger import CallRecord, Ledger
from gearshift.models import Reply, Request, Usage
from gearshift.pricing import ModelPrice
from gearshift.settings import PriceSettings
from gearshift.testing import FunctionProvider

REQUEST = Request(instructions="", input="hi", model="m", effort=Effort.MEDIUM)


def _reply(native: float | None) -> Reply:
    return Reply(text="ok", usage=Usage(1000, 0, 100), model="m", effort_sent=Effort.MEDIUM, native_cost_usd=native)


def _calls(tmp_path: Path, reply: Reply, prices: dict[str, ModelPrice] | None = None) -> list[dict[str, object]]:
    with Ledger(tmp_path / "l.db") as ledger:
        Gateway(ledger, prices=prices).call(FunctionProvider(lambda r: reply), REQUEST, CallSite("ask"))
        return ledger.calls()


def test_the_providers_own_figure_wins_over_the_price_table(tmp_path: Path) -> None:
    [call] = _calls(tmp_path, _reply(0.25), {"m": PriceSettings(input=1.0, output=1.0)})
    assert (call["cost_usd"], call["cost_source"]) == (0.25, "native")


def test_the_price_table_prices_a_call_without_a_figure_of_its_own(tmp_path: Path) -> None:
    [call] = _calls(tmp_path, _reply(None), {"m": PriceSettings(input=1.0, output=10.0)})
    assert call["cost_source"] == "table"
    assert call["cost_usd"] == pytest.approx((1000 * 1.0 + 100 * 10.0) / 1e6)


def test_an_unpriced_call_says_so(tmp_path: Path) -> None:
    [call] = _calls(tmp_path, _reply(None))
    assert (call["cost_usd"], call["cost_source"]) == (None, "none")


def test_tokens_counted_offline_are_marked_as_estimates(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        gateway = Gateway(ledger)
        gateway.call(FunctionProvider(lambda r: "counted here"), REQUEST, CallSite("ask"))  # estimated usage
        gateway.call(FunctionProvider(lambda r: "given", usage=Usage(5, 0, 1)), REQUEST, CallSite("ask"))
        assert [c["usage_source"] for c in reversed(ledger.calls())] == ["estimated", "reported"]


def test_a_provider_that_talks_to_the_user_gets_no_spinner(tmp_path: Path) -> None:
    shown: list[str] = []

    @contextmanager
    def spinner(label: str) -> Iterator[None]:
        shown.append(label)
        yield

    person = FunctionProvider(lambda r: "typed by a person")
    person.interactive = True  # type: ignore[attr-defined]
    with Ledger(tmp_path / "l.db") as ledger:
        gateway = Gateway(ledger, progress=spinner)
        gateway.call(person, REQUEST, CallSite("ask"))
        gateway.call(FunctionProvider(lambda r: "a model"), REQUEST, CallSite("ask"))
    assert len(shown) == 1 and shown[0].startswith("function")


def test_a_failed_call_keeps_the_cost_its_provider_reported(tmp_path: Path) -> None:
    def fail(request: Request) -> str:
        raise ProviderError("agent stopped: budget", usage=Usage(500, 0, 50), native_cost_usd=0.5)

    seen: list[tuple[CallRecord, float]] = []
    with Ledger(tmp_path / "l.db") as ledger:
        gateway = Gateway(ledger)
        gateway.observers.append(lambda record, started: seen.append((record, started)))
        with pytest.raises(ProviderError):
            gateway.call(FunctionProvider(fail), REQUEST, CallSite("ask"))
        [call] = ledger.calls()
    assert (call["status"], call["cost_usd"], call["cost_source"], call["input_tokens"]) == (
        "error",
        0.5,
        "native",
        500,
    )
    # observers hear of the failed call too, with the row the ledger got
    assert [record.cost_source for record, _ in seen] == ["native"] and seen[0][1] > 0
