"""The one place every model call passes through: secret masking, effort mapping, the call, its ledger row.

Phases build requests and read replies; they never talk to a provider or the ledger directly.
Every request is masked here before a provider (or a transcript, which wraps the provider) sees
it: step prompts, fix prompts with check output, the review's diff, the plan's map alike.
A call is recorded whether it succeeds or fails, with whatever tokens it was billed, and (unless
``keep_text`` is off: the ``ledger.keep_text`` setting) with its text as sent, masked, and the
reply's, in the transcript's record format: what ``gearshift calls ID --show`` prints and a
replay from the ledger plays.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

from gearshift.context.tokens import estimate_tokens
from gearshift.effort import Effort, nearest_supported
from gearshift.errors import BudgetReached, ProviderError, ReplyFormatError
from gearshift.ledger import CallRecord, Ledger
from gearshift.models.base import Provider, Reply, Request, Usage, parse_structured
from gearshift.models.transcript import reply_record, request_record
from gearshift.pricing import ModelPrice, cost_usd
from gearshift.secrets import mask

# Shows the user that a call is under way; the CLI passes a spinner, the library nothing.
Progress = Callable[[str], AbstractContextManager[Any]]
# Told how many secret values were masked out of a call's request, when there were any.
OnMasked = Callable[["CallSite", int], None]
# Told of every call once it is in the ledger: its row, and when it started (seconds since the epoch).
CallObserver = Callable[[CallRecord, float], None]
Parsed = TypeVar("Parsed")


@dataclasses.dataclass(frozen=True)
class CallSite:
    """Where in a run a call is made; what the ledger files it under."""

    phase: str
    run_id: str | None = None
    step: int | None = None


@dataclasses.dataclass(frozen=True)
class Budget:
    """Limits on what one run may spend; None means no limit."""

    max_tokens: int | None = None
    max_usd: float | None = None


class Gateway:
    def __init__(
        self,
        ledger: Ledger,
        *,
        progress: Progress | None = None,
        prices: Mapping[str, ModelPrice] | None = None,
        on_masked: OnMasked | None = None,
        keep_text: bool = True,
    ) -> None:
        self.ledger = ledger
        # keep each call's request and reply text in its ledger row (setting ledger.keep_text)
        self.keep_text = keep_text
        self.prices: Mapping[str, ModelPrice] = prices or {}  # the user's own, by model name
        self._progress: Progress = progress or (lambda label: nullcontext())
        self._on_masked = on_masked
        self.budgets: dict[str, Budget] = {}  # run id -> its budget
        self.masked_values = 0  # secret values masked out of requests so far
        # told of each call after its ledger row is written, e.g. telemetry's span for it
        self.observers: list[CallObserver] = []
        self._lock = threading.Lock()

    def check_budget(self, run_id: str | None, upcoming: Request | None = None) -> None:
        """Raise BudgetReached if the run has spent its budget, or would by sending ``upcoming``."""
        upcoming_tokens = estimate_tokens(_sent_text(upcoming)) if upcoming else 0
        budget = self.budgets.get(run_id or "")
        if budget is None or run_id is None:
            return
        tokens, cost = self.ledger.run_spend(run_id)
        if budget.max_tokens is not None and tokens + upcoming_tokens > budget.max_tokens:
            ahead = f" and the next call needs about {upcoming_tokens:,} more" if upcoming_tokens else ""
            raise BudgetReached(f"token budget reached: {tokens:,} of {budget.max_tokens:,} tokens spent{ahead}")
        if budget.max_usd is not None and cost is not None and cost >= budget.max_usd:
            raise BudgetReached(f"cost budget reached: ${cost:.4f} of ${_usd(budget.max_usd)} spent")

    def call_structured(
        self, provider: Provider, request: Request, site: CallSite, parse: Callable[[Any], Parsed]
    ) -> Parsed:
        """A call whose reply must fit ``request.schema``: ``parse`` turns the JSON object into a typed
        value, raising ValueError where it does not fit. A misfit is recorded with status ``error`` and
        raised as ReplyFormatError, like any other reply in the wrong shape."""
        if request.schema is None:
            raise ValueError("call_structured needs a request with a schema")
        reply = self.call(provider, request, site, parse=parse)
        parsed: Parsed = reply.parsed
        return parsed

    def call(
        self, provider: Provider, request: Request, site: CallSite, *, parse: Callable[[Any], Any] | None = None
    ) -> Reply:
        request, masked = self._masked(request, site)
        self.check_budget(site.run_id, request)
        effort_sent = nearest_supported(request.effort, provider.supported_efforts(request.model))
        started, started_at = time.monotonic(), time.time()
        came_back: Reply | None = None  # a reply that came back, even if it then fails to parse
        try:
            shown = f" ({masked} secret values masked)" if masked else ""
            # a provider that talks to the user (manual) gets the terminal to itself: no spinner over it
            quiet = getattr(provider, "interactive", False) is True
            progress = (
                nullcontext() if quiet else self._progress(f"{provider.name} {request.model} @ {effort_sent}{shown}")
            )
            with progress:
                reply = came_back = provider.complete(request, effort_sent)
            # a reply that asks to read, where reading is still allowed, has no answer yet to parse
            asks_to_read = bool(reply.tool_calls and request.tools and request.tool_choice != "none")
            if request.schema is not None and not asks_to_read:
                reply = dataclasses.replace(reply, parsed=_parsed(reply, request, parse))
        except ProviderError as exc:
            self._record(
                provider,
                request,
                site,
                status=exc.status,
                usage=exc.usage if isinstance(exc.usage, Usage) else Usage(),
                model=request.model,
                effort_sent=effort_sent,
                latency_ms=int((time.monotonic() - started) * 1000),
                request_id=exc.request_id,
                error=exc.message,
                reply=came_back,
                native_cost=exc.native_cost_usd,
                started_at=started_at,
            )
            raise
        cost = self._record(
            provider,
            request,
            site,
            status="ok",
            usage=reply.usage,
            model=reply.model,
            effort_sent=reply.effort_sent,
            latency_ms=reply.latency_ms or int((time.monotonic() - started) * 1000),
            request_id=reply.request_id,
            reply=reply,
            native_cost=reply.native_cost_usd,
            started_at=started_at,
        )
        return dataclasses.replace(reply, cost_usd=cost)

    def _masked(self, request: Request, site: CallSite) -> tuple[Request, int]:
        """The request with its secrets masked, and how many there were: its text, and what the tools
        read for it in earlier rounds (a file the tools may open can still hold a key)."""
        instructions, input_ = mask(request.instructions), mask(request.input)
        count = instructions.masked + input_.masked
        turns = []
        for turn in request.turns:
            results = []
            for result in turn.results:
                masked = mask(result.content)
                count += masked.masked
                results.append(dataclasses.replace(result, content=masked.text))
            turns.append(dataclasses.replace(turn, results=tuple(results)))
        if not count:
            return request, 0
        with self._lock:  # calls may come from several threads
            self.masked_values += count
        if self._on_masked is not None:
            self._on_masked(site, count)
        masked_request = dataclasses.replace(
            request, instructions=instructions.text, input=input_.text, turns=tuple(turns)
        )
        return masked_request, count

    def _record(
        self,
        provider: Provider,
        request: Request,
        site: CallSite,
        *,
        status: str,
        usage: Usage,
        model: str,
        effort_sent: Effort | None,
        latency_ms: int,
        request_id: str | None,
        error: str | None = None,
        reply: Reply | None = None,
        native_cost: float | None = None,
        started_at: float = 0.0,
    ) -> float | None:
        """The call's ledger row; ``request`` is the masked one, as the provider got it. The cost is the
        provider's own figure where it gives one (an agent CLI), else the price table's, else none."""
        cost: float | None = native_cost
        if cost is not None:
            source = "native"
        else:
            price = self.prices.get(request.model) or self.prices.get(model)
            cost = cost_usd(model, usage, provider.billing, price)
            source = "none" if cost is None else "table"
        keep = self.keep_text
        record = CallRecord(
            run_id=site.run_id,
            phase=site.phase,
            step=site.step,
            provider=provider.name,
            model=model,
            effort_requested=request.effort.value,
            effort_sent=effort_sent.value if effort_sent else None,
            input_tokens=usage.input_tokens,
            cached_tokens=usage.cached_tokens,
            output_tokens=usage.output_tokens,
            reasoning_tokens=usage.reasoning_tokens,
            cost_usd=cost,
            cost_source=source,
            usage_source="estimated" if reply is not None and reply.usage_estimated else "reported",
            latency_ms=latency_ms,
            request_id=request_id,
            status=status,
            error=error,
            request=request_record(provider.name, request) if keep else None,
            reply=reply_record(reply) if keep and reply is not None else None,
        )
        self.ledger.record_call(record)
        for observer in self.observers:
            observer(record, started_at)
        return cost


def _sent_text(request: Request) -> str:
    """What a request sends, for the look-ahead: its text and what earlier rounds read."""
    read = "".join(result.content for turn in request.turns for result in turn.results)
    return request.instructions + request.input + read


def _usd(amount: float) -> str:
    """A budget as the user wrote it: cents when it is whole cents, else its significant digits."""
    return f"{amount:.2f}" if round(amount, 2) == amount else f"{amount:.4g}"


def _parsed(reply: Reply, request: Request, parse: Callable[[Any], Any] | None) -> Any:
    """The reply's JSON object, typed by ``parse`` when given; any misfit is a ReplyFormatError."""
    assert request.schema is not None
    try:
        value = parse_structured(reply.text, request.schema, reply.request_id)
        return value if parse is None else parse(value)
    except ProviderError as exc:
        exc.usage = reply.usage  # the malformed reply was still billed
        raise
    except ValueError as exc:  # pydantic's ValidationError is one
        raise ReplyFormatError(
            str(exc), raw_text=reply.text, status="error", request_id=reply.request_id, usage=reply.usage
        ) from None
