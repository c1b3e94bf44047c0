"""The one interface every model provider implements, and the data that crosses it.

Providers know nothing of phases, runs or the ledger: they take a Request and give a Reply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from gearshift.effort import Effort
from gearshift.errors import ReplyFormatError


@dataclass(frozen=True)
class JsonSchema:
    """A named JSON schema for structured output (strict: every property required)."""

    name: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call: its name, what it is for, and its arguments as a JSON schema."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    """The model asking for one call; ``id`` pairs it with its result."""

    id: str
    name: str
    arguments: dict[str, Any]  # empty when the model sent arguments that are not a JSON object


@dataclass(frozen=True)
class ToolResult:
    call_id: str
    content: str


@dataclass(frozen=True)
class Turn:
    """One earlier round of a conversation: what the model said and asked for, and the answers it got.

    ``echo`` is the model's part as its provider sent it, for that provider to send back as it came:
    Anthropic refuses a tool-use turn without its signed thinking blocks, and OpenAI's reasoning
    items keep the model's thinking between rounds. Other providers leave it empty. ``note`` is
    said to the model after the results, e.g. that it may read no more.
    """

    calls: tuple[ToolCall, ...]
    results: tuple[ToolResult, ...]
    text: str = ""
    echo: tuple[dict[str, Any], ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Workspace:
    """The directory an agent provider (a CLI that reads and edits files itself) works in.

    API providers ignore it: they see only the request's text. ``writable`` is true only where a
    phase lets the agent edit (implement, fix), and gearshift inspects and may roll back what it
    changed. ``log_dir`` is where the agent's raw event stream is kept, with the run.
    """

    root: Path
    writable: bool = False
    log_dir: Path | None = None


@dataclass(frozen=True)
class Request:
    instructions: str
    input: str
    model: str
    effort: Effort
    schema: JsonSchema | None = None
    max_output_tokens: int | None = None
    tools: tuple[ToolSpec, ...] = ()
    # "none": the tools stay declared (the turns name them) but the model must answer now.
    tool_choice: Literal["auto", "none"] = "auto"
    turns: tuple[Turn, ...] = ()  # the rounds since ``input``: tool calls and their results
    workspace: Workspace | None = None  # for agent providers: where to look (and, if writable, edit)


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    cached_tokens: int = 0  # part of input_tokens served from the provider's cache
    output_tokens: int = 0
    reasoning_tokens: int = 0  # part of output_tokens spent thinking

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class Billing:
    """Who bills a provider's calls: a known provider id, or the URL of the API called.

    It lives here rather than in pricing.py because the Provider protocol names it, and
    pricing.py needs Usage from this module.
    """

    provider_id: str | None = None
    api_url: str | None = None


@dataclass(frozen=True)
class Reply:
    text: str
    usage: Usage
    model: str
    effort_sent: Effort | None  # None when the provider took no effort parameter
    request_id: str | None = None
    latency_ms: int = 0
    parsed: Any = field(default=None, compare=False)  # the object, for a request with a schema
    cost_usd: float | None = None  # set by the gateway from the price table; None if unknown
    tool_calls: tuple[ToolCall, ...] = ()  # the model asks for these before it answers
    echo: tuple[dict[str, Any], ...] = ()  # see Turn.echo
    # what the provider itself says the call cost (an agent CLI's own figure); wins over the price table
    native_cost_usd: float | None = None
    usage_estimated: bool = False  # the tokens were counted here, not reported by whoever answered


class Provider(Protocol):
    """A source of model replies: everything the gateway and the context code ask of one.

    ``name`` is what the ledger records. ``billing`` says whose price list prices the calls;
    None leaves them unpriced (a local model, a replay, a test double).

    A provider that takes tools (``Request.tools``) says so with a method ``supports_tools(model)
    -> bool``; it is optional, so that plug-ins written before tools keep working: a provider
    without it is asked single-shot (see ``supports_tools`` below).
    """

    name: str

    @property
    def billing(self) -> Billing | None: ...

    def supported_efforts(self, model: str) -> tuple[Effort, ...]:
        """The effort levels ``model`` takes here; a request's effort is mapped to the nearest."""
        ...

    def complete(self, request: Request, effort_sent: Effort | None) -> Reply:
        """Make one call; raise ProviderError (or a subclass) when it fails."""
        ...

    def context_window(self, model: str) -> int | None:
        """Input tokens ``model`` takes; None when unknown (gearshift then asks the price table)."""
        ...


# What a provider must have; checked on objects made by plug-in factories, which mypy never sees.
PROVIDER_MEMBERS = ("name", "billing", "supported_efforts", "complete", "context_window")


def reports_cost(provider: Provider) -> bool:
    """Whether ``provider`` says what each call cost (attribute ``reports_cost``, e.g. Claude Code's
    total_cost_usd), so that a cost budget holds for it without a price in the table."""
    return getattr(provider, "reports_cost", False) is True


def edits_files(provider: Provider) -> bool:
    """Whether ``provider`` is an agent that edits the workspace itself (attribute ``edits_files``),
    rather than answering with edit blocks; a provider that does not say answers with text."""
    return getattr(provider, "edits_files", False) is True


def supports_tools(provider: Provider, model: str) -> bool:
    """Whether ``provider`` takes ``Request.tools`` for ``model``; one that does not say takes none."""
    method = getattr(provider, "supports_tools", None)
    return bool(method(model)) if callable(method) else False


def tool_arguments(raw: str | None) -> dict[str, Any]:
    """A call's arguments from the JSON text the OpenAI formats carry; {} when they are not an object,
    so that the tool says which argument it lacks rather than the whole round failing."""
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def parse_structured(text: str, schema: JsonSchema, request_id: str | None = None) -> Any:
    """Parse a structured reply; a reply that is not a JSON object is the model's fault, said plainly."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        snippet = text[:80].replace("\n", " ")
        raise ReplyFormatError(
            f"the model's reply for schema {schema.name!r} is not valid JSON ({exc.msg} at char {exc.pos}):"
            f" {snippet!r}",
            raw_text=text,
            request_id=request_id,
        ) from None
    if not isinstance(value, dict):
        raise ReplyFormatError(
            f"the model's reply for schema {schema.name!r} is a JSON {type(value).__name__}, not an object",
            raw_text=text,
            request_id=request_id,
        )
    return value
