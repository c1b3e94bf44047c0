"""OpenTelemetry traces of runs: a span per run, per phase, per step and per model call.

Off unless asked for (the ``[telemetry]`` settings, or the standard ``OTEL_EXPORTER_OTLP_*`` variables; see
gearshift.telemetry.config), and then OpenTelemetry is never imported: off costs nothing. On, it is set up
once per process, by the first Workflow that asks, and every later Workflow traces into it:

    invoke_workflow gearshift            one per run, however many public methods nest (run -> plan -> ...)
      gearshift.phase route | plan | implement | review
        gearshift.step N                 inside the implement phase
          chat MODEL                     one per model call: the gateway's observer (gearshift.telemetry.spans)

Workflow opens the spans with ``run``, ``phase`` and ``step``; ``attach`` puts the call spans on its gateway.
A program that has its own TracerProvider (or a test, with an in-memory exporter) hands it to ``use``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from gearshift.telemetry import config
from gearshift.telemetry.config import TelemetrySettings

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer, TracerProvider

    from gearshift.gateway import Gateway
    from gearshift.ledger import CallRecord
    from gearshift.settings import Settings

__all__ = ["RUN_SPAN", "TelemetrySettings", "attach", "phase", "run", "shutdown", "step", "use"]

RUN_SPAN = "invoke_workflow gearshift"  # the GenAI conventions' "{operation} {name}" for a workflow

_log = logging.getLogger("gearshift.telemetry")


class RunLike(Protocol):
    """What the spans read of a run (gearshift.runs.RunState)."""

    @property
    def id(self) -> str: ...

    @property
    def strategy(self) -> str: ...

    @property
    def efforts(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class _Tracing:
    tracer: Tracer
    provider: TracerProvider
    owned: bool  # made here from the settings, so shut down here; else the program's own


_lock = threading.Lock()
_tracing: _Tracing | None = None
_said: set[str] = set()  # warnings already given: each once per process
# the run's span while one is open in this thread or task, so that nested public methods open no other
_run_span: ContextVar[Span | None] = ContextVar("gearshift_run_span", default=None)


def attach(gateway: Gateway, settings: Settings, environ: Mapping[str, str] | None = None) -> None:
    """Give ``gateway`` a span for each call, when traces are on or these settings (or the environment)
    ask for them; the first ask sets up the exporter. Without the otel extra, one warning line and no
    traces: a run never fails for want of them."""
    tracing = _tracing or _set_up(settings, os.environ if environ is None else environ)
    if tracing is None:
        return
    for key in config.ignored(settings):
        _warn(f"gearshift: ignoring {key}: only your own config or environment may say where traces go and what")
    if not any(isinstance(observer, _CallSpans) for observer in gateway.observers):
        gateway.observers.append(_CallSpans(config.include_text(settings)))


def use(provider: TracerProvider) -> None:
    """Trace into ``provider``, the program's own (or a test's), rather than one made from the settings;
    every Workflow after this traces, whatever its settings say."""
    global _tracing
    with _lock:
        _tracing = _Tracing(provider.get_tracer("gearshift"), provider, owned=False)


def shutdown() -> None:
    """Send the spans still batched and stop tracing; a Workflow made after this sets telemetry up again.
    The end of the process does this by itself: it is for tests and for programs that need it sooner."""
    global _tracing
    with _lock:
        tracing, _tracing = _tracing, None
    if tracing is None:
        return
    ending = getattr(tracing.provider, "shutdown" if tracing.owned else "force_flush", None)
    if callable(ending):  # the API's TracerProvider has neither; the SDK's has both
        ending()


@contextmanager
def run(operation: str) -> Iterator[None]:
    """The run's span around a public method of Workflow (``operation``: run, plan, resume...); inside
    another's, none: a run makes one span, whichever method it started from."""
    tracing = _tracing
    if tracing is None or _run_span.get() is not None:
        yield
        return
    attributes = {
        "gen_ai.operation.name": "invoke_workflow",
        # the name has moved between releases of the GenAI conventions: both, for either kind of backend
        "gen_ai.workflow.name": "gearshift",
        "gen_ai.agent.name": "gearshift",
        "gearshift.operation": operation,
    }
    with tracing.tracer.start_as_current_span(RUN_SPAN, attributes=attributes) as span:
        token = _run_span.set(span)
        try:
            yield
        finally:
            _run_span.reset(token)


@contextmanager
def phase(name: str, state: RunLike) -> Iterator[None]:
    """``gearshift.phase NAME`` under the run's span (opened here when no public method did: ``implement``
    or ``review`` called alone), which learns the run's id here: ``run`` starts before the id exists."""
    tracing = _tracing
    if tracing is None:
        yield
        return
    attributes = {"gearshift.phase": name, "gearshift.strategy": state.strategy, "gearshift.run_id": state.id}
    if name in state.efforts:
        attributes["gearshift.effort"] = str(state.efforts[name])
    with run(name):
        outer = _run_span.get()
        if outer is not None:
            outer.set_attributes({"gearshift.run_id": state.id, "gearshift.strategy": state.strategy})
        with tracing.tracer.start_as_current_span(f"gearshift.phase {name}", attributes=attributes):
            yield


@contextmanager
def step(state: RunLike, number: int) -> Iterator[None]:
    """``gearshift.step N``, inside the implement phase's span; its calls (the step's, its fixes') go under it.
    A step found done already (on resume) gets a short span too."""
    tracing = _tracing
    if tracing is None:
        yield
        return
    attributes: dict[str, str | int] = {
        "gearshift.phase": "implement",
        "gearshift.step": number,
        "gearshift.strategy": state.strategy,
        "gearshift.run_id": state.id,
    }
    with tracing.tracer.start_as_current_span(f"gearshift.step {number}", attributes=attributes):
        yield


class _CallSpans:
    """The gateway's observer: each call, once in the ledger, as a ``chat MODEL`` span under the current one
    (observers run in the calling thread, inside the step's or phase's span)."""

    def __init__(self, include_text: bool) -> None:
        self.include_text = include_text

    def __call__(self, record: CallRecord, started: float) -> None:
        tracing = _tracing  # read now: shutdown() or use() may have come since the gateway was attached
        if tracing is None:
            return
        from gearshift.telemetry import spans

        try:
            spans.call_span(tracing.tracer, record, started, include_text=self.include_text)
        except Exception:  # a span must never fail the call it describes
            _log.debug("no span for a call", exc_info=True)


def _set_up(settings: Settings, environ: Mapping[str, str]) -> _Tracing | None:
    global _tracing
    asked_by = config.wanted(settings, environ)
    if asked_by is None:
        return None
    with _lock:
        if _tracing is not None:
            return _tracing
        try:
            from gearshift.telemetry import spans
        except ImportError as exc:
            _warn(
                f"gearshift: {asked_by} asks for OpenTelemetry traces, which need the otel extra:"
                f" pip install 'gearshift[otel]' ({exc}); going on without traces"
            )
            return None
        provider = spans.make_provider(config.endpoint(settings))
        _tracing = _Tracing(provider.get_tracer("gearshift"), provider, owned=True)
        return _tracing


def _warn(message: str) -> None:
    # through logging, so that a program's own handlers get it; with none, Python prints the bare line
    if message not in _said:
        _said.add(message)
        _log.warning(message)
