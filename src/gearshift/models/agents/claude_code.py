"""The ``claude-code`` provider: Anthropic's Claude Code (``claude -p``) as a model, checked with 2.1.328.

One call is one ``claude --print --output-format json`` run, the prompt on stdin, in the request's
workspace. What it is run with, and why:

- ``--permission-mode plan`` for plan and review (Claude Code's read-only mode; ``Edit``, ``Write`` and
  ``NotebookEdit`` are also taken out with ``--disallowed-tools``), ``acceptEdits`` for implement: it
  edits files in its directory, and anything else that would ask (a shell command outside its
  read-only set, a file elsewhere) is refused, since ``--permission-prompts none`` leaves nobody to
  ask. Never ``bypassPermissions``.
- ``--setting-sources user``: the user's own settings (their login, apiKeyHelper, env) apply; the
  repository's ``.claude/settings*.json`` (its permission rules and hooks) do not change the run.
  ``--strict-mcp-config`` with no ``--mcp-config``: no MCP servers are started.
- ``--no-session-persistence``: each call is one-off; nothing to resume is left in ~/.claude.
- ``--effort LEVEL`` (low, medium, high, xhigh); Claude Code lowers it to what the model takes (xhigh
  is sent as high to a model without it, and no effort at all to one without effort control).
- ``--max-turns`` and ``--max-budget-usd`` from ``providers.claude-code.max_turns`` / ``max_budget_usd``.
- ``--json-schema``: Claude Code gives the model a ``StructuredOutput`` tool with the schema, checks
  the answer against it and returns it as ``structured_output``.

Its stdout is one result object: ``result`` (the answer text), ``structured_output``, ``is_error``
and ``subtype`` (``success``, ``error_max_turns``, ``error_max_budget_usd``,
``error_during_execution``...; an API failure is ``is_error`` with ``api_error_status`` and the error
in ``result``), ``errors``, ``session_id``, ``usage`` (Messages API counts: input, cache read, cache
creation, output, ``output_tokens_details.thinking_tokens``), ``modelUsage`` (the same per model, for
every model the run called: the tokens are read from there) and ``total_cost_usd``, Claude Code's own
figure for the call, which the ledger keeps as its cost.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gearshift.effort import Effort
from gearshift.errors import ProviderError, UsageError
from gearshift.models.agents.base import AgentCLI, Invocation, Outcome, model_argument
from gearshift.models.agents.process import Finished
from gearshift.models.agents.prompt import render_prompt
from gearshift.models.base import Billing, Request, Usage, Workspace
from gearshift.models.config import ProviderSettings

READ_ONLY_MODE = "plan"
EDIT_MODE = "acceptEdits"
WRITING_TOOLS = "Edit,Write,NotebookEdit"

# Arguments that would widen what the agent may do (permissions, directories, settings that carry
# permission rules or hooks, programs it starts), or run it elsewhere. extra_args may come from a
# repository's own settings, so these are refused rather than trusted.
_REFUSED_FLAGS = {
    "--dangerously-skip-permissions",
    "--allow-dangerously-skip-permissions",
    "--permission-mode",
    "--permission-prompt-tool",
    "--permission-prompts",
    "--allowedTools",
    "--allowed-tools",
    "--add-dir",
    "--settings",
    "--setting-sources",
    "--mcp-config",
    "--plugin-dir",
    "--plugin-url",
    "--agents",
    "--worktree",
    "-w",
    "--bg",
    "--background",
    "--cloud",
    "--remote-control",
}
# gearshift's levels below low are sent as low: Claude Code's scale starts there
_EFFORT_WORDS = {Effort.NONE: "low", Effort.MINIMAL: "low"}
# subtypes that mean the run reached a bound gearshift set, and the setting that raises it
_BOUNDS = {"error_max_turns": "max_turns", "error_max_budget_usd": "max_budget_usd"}


class ClaudeCode(AgentCLI):
    """``claude -p`` as a provider; see the module's docstring."""

    name = "claude-code"
    program = "claude"
    tested_with = "Claude Code 2.1.328"
    billing = Billing(provider_id="anthropic")
    efforts = (Effort.LOW, Effort.MEDIUM, Effort.HIGH, Effort.XHIGH)
    reports_cost = True  # total_cost_usd on every result: a cost budget holds without a price table

    def __init__(self, config: ProviderSettings, environ: Mapping[str, str]) -> None:
        super().__init__(config, environ)
        for setting, value in (("base_url", config.base_url), ("api_key_env", config.api_key_env)):
            if value is not None:
                raise UsageError(
                    f"Claude Code takes its endpoint and key from its own settings or environment"
                    f" (ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY, its login): remove providers.claude-code.{setting}"
                )
        # a launcher before claude (npx -y ...) has short flags of its own: in the command, only long ones count
        launcher = [arg for arg in shlex.split(config.command or "")[1:] if arg.startswith("--")]
        for setting, args in (("command", launcher), ("extra_args", config.extra_args)):
            refused = refused_argument(args)
            if refused:
                raise UsageError(
                    f"providers.claude-code.{setting} has {refused!r}, which would widen what Claude Code may do"
                    " or where; gearshift sets its permissions itself: remove it"
                )

    def invocation(self, request: Request, effort: Effort | None, workspace: Workspace, scratch: Path) -> Invocation:
        read_only = not workspace.writable
        argv = [*shlex.split(self.config.command or self.program), "--print", "--output-format", "json"]
        argv += ["--permission-mode", READ_ONLY_MODE if read_only else EDIT_MODE, "--permission-prompts", "none"]
        if read_only:
            argv += ["--disallowed-tools", WRITING_TOOLS]
        argv += ["--setting-sources", "user", "--strict-mcp-config", "--no-session-persistence"]
        model = model_argument(request)
        if model is not None:
            argv += ["--model", model]
        if effort is not None:
            argv += ["--effort", _EFFORT_WORDS.get(effort, effort.value)]
        if self.config.max_turns is not None:
            argv += ["--max-turns", str(self.config.max_turns)]
        if self.config.max_budget_usd is not None:
            argv += ["--max-budget-usd", f"{self.config.max_budget_usd:g}"]
        if request.schema is not None:
            argv += ["--json-schema", json.dumps(request.schema.schema)]
        argv += self.config.extra_args
        prompt = render_prompt(request, schema_in_prompt=False, read_only=read_only)
        return Invocation(argv=argv, stdin=prompt)

    def outcome(self, finished: Finished, request: Request, scratch: Path) -> Outcome:
        result = result_object(finished.stdout)
        if result is None:
            if finished.exit_code != 0:
                raise self.exited(finished, finished.last_error_line())
            seen = " ".join(finished.stdout.split())[:120]
            raise self.unreadable(f"printed no result object ({seen or 'no output'!r})")
        usage = read_usage(result)
        cost = _number(result.get("total_cost_usd"))
        session = result.get("session_id") if isinstance(result.get("session_id"), str) else None
        if result.get("is_error") is True or result.get("subtype") != "success":
            raise _failure(result, usage, cost, session)
        structured = result.get("structured_output")
        if structured is not None:
            text = json.dumps(structured)
        elif isinstance(result.get("result"), str):
            text = result["result"]
        else:
            raise ProviderError(
                f"claude-code's result object (session {session}) has no result text",
                status="malformed",
                request_id=session,
                usage=usage,
                native_cost_usd=cost,
            )
        return Outcome(
            text=text, usage=usage, model=main_model(result.get("modelUsage")), native_cost_usd=cost, request_id=session
        )


def result_object(stdout: str) -> dict[str, Any] | None:
    """The ``"type": "result"`` object of ``--output-format json``: the output's last line that is one."""
    for line in reversed(stdout.splitlines()):
        if not line.strip().startswith("{"):
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and value.get("type") == "result":
            return value
    return None


def _failure(result: dict[str, Any], usage: Usage, cost: float | None, session: str | None) -> ProviderError:
    """A failed run as one line: what Claude Code says, and the setting to change where gearshift set the bound."""
    subtype = str(result.get("subtype") or "error")
    errors = [str(error) for error in result.get("errors") or [] if str(error).strip()]
    said = "; ".join(errors) or (result.get("result") if isinstance(result.get("result"), str) else "") or subtype
    said = " ".join(said.split())[:300]
    status = "error"
    if subtype in _BOUNDS:
        said += f"; raise providers.claude-code.{_BOUNDS[subtype]} if the task needs more"
        status = "incomplete"
    elif isinstance(result.get("api_error_status"), int):
        code = result["api_error_status"]
        status = {401: "auth_error", 403: "auth_error", 404: "not_found", 429: "rate_limited"}.get(code, "error")
    where = f" (session {session})" if session else ""
    return ProviderError(
        f"claude-code failed ({subtype}){where}: {said}",
        status=status,
        request_id=session,
        usage=usage,
        native_cost_usd=cost,
    )


def read_usage(result: dict[str, Any]) -> Usage:
    """The call's tokens, as the Messages API counts them: input is fresh + cache read + cache write, the
    cache read its cached part; output includes thinking.

    ``modelUsage`` (per model, summed here) is what ``total_cost_usd`` is the cost of: every model the run
    called, a small one beside the main one included; and a run stopped at its budget reports its tokens
    there only (its ``usage`` is all zeros). ``usage`` is read when there is no ``modelUsage``.
    """
    models = result.get("modelUsage")
    if isinstance(models, dict) and models:
        entries = [entry for entry in models.values() if isinstance(entry, dict)]
        fresh, read = _sum(entries, "inputTokens"), _sum(entries, "cacheReadInputTokens")
        written, output = _sum(entries, "cacheCreationInputTokens"), _sum(entries, "outputTokens")
        thinking = _sum(entries, "thinkingTokens")
    else:
        data = result.get("usage")
        fresh, read = _count(data, "input_tokens"), _count(data, "cache_read_input_tokens")
        written, output = _count(data, "cache_creation_input_tokens"), _count(data, "output_tokens")
        details = data.get("output_tokens_details") if isinstance(data, dict) else None
        thinking = _count(details, "thinking_tokens")
    return Usage(
        input_tokens=fresh + read + written, cached_tokens=read, output_tokens=output, reasoning_tokens=thinking
    )


def main_model(model_usage: Any) -> str | None:
    """The model that did most of the work: a run may also call a small model (titles, subagents)."""
    if not isinstance(model_usage, dict) or not model_usage:
        return None

    def weight(name: str) -> tuple[float, int]:
        entry = model_usage[name]
        cost = _number(entry.get("costUSD")) if isinstance(entry, dict) else None
        return cost or 0.0, _count(entry, "inputTokens") + _count(entry, "outputTokens")

    return str(max(model_usage, key=weight))


def refused_argument(args: Sequence[str]) -> str | None:
    """The first of ``args`` that would widen Claude Code's permissions or move it; None if none does."""
    for arg in args:
        if arg.split("=", 1)[0] in _REFUSED_FLAGS or arg == "bypassPermissions":
            return arg
    return None


def _count(data: Any, key: str) -> int:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _sum(entries: list[dict[str, Any]], key: str) -> int:
    return sum(_count(entry, key) for entry in entries)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 else None
