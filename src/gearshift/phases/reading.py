"""The bounded read loop of the phases that think: the model reads the repository, then answers.

Each round is one gateway call, so one ledger row under the phase. A round whose reply asks for
reads gets them run (gearshift.tools) and goes on with the results appended as a turn; a reply
without calls is the answer. The loop stops offering reads after ``context.tool_rounds`` calls or
``context.read_tokens`` tokens read, whichever comes first: its last call keeps the tools declared
(the turns name them) but bars them, and tells the model to answer now. A provider that takes no
tools is asked single-shot, as before tools, and the user is told once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from gearshift.context.tokens import CHARS_PER_TOKEN, estimate_tokens
from gearshift.errors import ProviderError
from gearshift.gateway import CallSite
from gearshift.models.base import (
    Provider,
    Request,
    ToolCall,
    ToolResult,
    Turn,
    Workspace,
    edits_files,
    supports_tools,
)
from gearshift.phases import PhaseContext
from gearshift.settings import Settings
from gearshift.tools import listing, run_tool

Parsed = TypeVar("Parsed")
# Builds the phase's request: with the read tools (and instructions that say what they are for), or without.
Build = Callable[[bool], Request]

NO_MORE_READS = "No more reads: answer now, from what you have read."
BUDGET_SPENT = "not read: the read budget of this phase is spent"
CUT = "\n[cut here: the read budget of this phase is spent]"
# A read budget is what the model may see of the code on top of its prompt; every round sends the
# reads before it again, so an eighth of the window, within bounds, leaves room for the prompt,
# the reasoning and the answer and keeps the resent input affordable.
READ_WINDOW_SHARE = 8
MIN_READ_TOKENS, MAX_READ_TOKENS = 4_000, 64_000
UNKNOWN_WINDOW_READ_TOKENS = 8_000

_told: set[str] = set()  # providers the user was told read nothing: once per process


def read_tokens_for_window(window: int | None) -> int:
    if window is None:
        return UNKNOWN_WINDOW_READ_TOKENS
    return max(MIN_READ_TOKENS, min(MAX_READ_TOKENS, window // READ_WINDOW_SHARE))


def read_budget(settings: Settings, provider: Provider, model: str) -> int:
    """context.read_tokens when set, else sized for the model's window (the provider's word, else the price table's)."""
    if settings.context.read_tokens is not None:
        return settings.context.read_tokens
    from gearshift.pricing import context_window

    window = provider.context_window(model)
    return read_tokens_for_window(window if window is not None else context_window(model))


def converse(
    ctx: PhaseContext,
    provider: Provider,
    build: Build,
    site: CallSite,
    parse: Callable[[Any], Parsed],
    *,
    root: Path,
) -> Parsed:
    """The phase's answer, parsed: after reading ``root`` through tools where the provider takes them."""
    if edits_files(provider):  # an agent CLI reads the repository itself: run it there, read-only
        log_dir = ctx.runs.directory(site.run_id) / "agent" if site.run_id else None
        in_place = dataclasses.replace(build(True), tools=(), workspace=Workspace(root, log_dir=log_dir))
        return ctx.gateway.call_structured(provider, in_place, site, parse)
    request = build(True)
    if not _can_read(ctx, provider, request.model):
        return ctx.gateway.call_structured(provider, build(False), site, parse)
    try:
        return _read_then_answer(ctx, provider, request, site, parse, root)
    except ProviderError as exc:
        if exc.status != "tools_unsupported":
            raise
        _tell_once(ctx, provider, request.model, exc.message)
        return ctx.gateway.call_structured(provider, build(False), site, parse)


def _can_read(ctx: PhaseContext, provider: Provider, model: str) -> bool:
    if ctx.settings.context.tool_rounds < 2:  # one call leaves no round to read in
        return False
    if supports_tools(provider, model):
        return True
    _tell_once(ctx, provider, model, "it takes no tools")
    return False


def _tell_once(ctx: PhaseContext, provider: Provider, model: str, why: str) -> None:
    if provider.name not in _told:
        _told.add(provider.name)
        ctx.say(f"{provider.name} {model}: {why}; plan and review go on without reading the repository")


def _read_then_answer(
    ctx: PhaseContext, provider: Provider, request: Request, site: CallSite, parse: Callable[[Any], Parsed], root: Path
) -> Parsed:
    rounds = ctx.settings.context.tool_rounds
    limit = read_budget(ctx.settings, provider, request.model)
    listed: list[str] | None = None  # listed once, at the first read
    turns: list[Turn] = []
    spent = 0
    for number in range(1, rounds):
        current = dataclasses.replace(request, turns=tuple(turns), tool_choice="auto")
        reply = ctx.gateway.call(provider, current, site, parse=parse)
        if not reply.tool_calls:
            parsed: Parsed = reply.parsed
            return parsed
        listed = listing(root) if listed is None else listed
        results, spent = _answer(root, reply.tool_calls, listed, limit, spent)
        ctx.say(f"{site.phase} reads: " + ", ".join(_label(call) for call in reply.tool_calls))
        last = number + 1 == rounds or spent >= limit
        turns.append(Turn(reply.tool_calls, results, reply.text, reply.echo, NO_MORE_READS if last else ""))
        if last:
            break
    final = dataclasses.replace(request, turns=tuple(turns), tool_choice="none")
    return ctx.gateway.call_structured(provider, final, site, parse)


def _answer(
    root: Path, calls: Sequence[ToolCall], listed: Sequence[str], limit: int, spent: int
) -> tuple[tuple[ToolResult, ...], int]:
    """Each call's result, cut so that the tokens read never pass ``limit``; and the tokens read since."""
    results: list[ToolResult] = []
    for call in calls:
        room = limit - spent
        if room <= 0:
            results.append(ToolResult(call.id, BUDGET_SPENT))
            continue
        content = run_tool(root, call, listed)
        if estimate_tokens(content) <= room:
            spent += estimate_tokens(content)
        else:  # what fits of it, and the budget is spent
            keep = int((room - 1) * CHARS_PER_TOKEN) - len(CUT)
            content, spent = (content[:keep] + CUT if keep > 0 else BUDGET_SPENT), limit
        results.append(ToolResult(call.id, content))
    return tuple(results), spent


def _label(call: ToolCall) -> str:
    shown = " ".join(str(value) for value in call.arguments.values())
    return f"{call.name} {shown[:60]}".strip()
