"""The ``codex`` provider: OpenAI's Codex CLI (``codex exec``) as a model, checked with codex-cli 0.169.0.

One call is one ``codex exec --json`` run, the prompt on stdin (``-``), in the request's workspace:
``--sandbox read-only`` for plan and review, ``--sandbox workspace-write`` for implement, never
full access. A structured phase hands codex its JSON schema (``--output-schema``), which codex sends
to the Responses API as a strict ``json_schema`` format: gearshift's schemas are strict already.

What codex is run with, and why:

- ``--ignore-user-config``: ~/.codex/config.toml can widen the sandbox (writable roots, network,
  MCP servers and hooks that run outside it, profiles); the login in CODEX_HOME still works.
  With the user's config unread, a repository's own .codex/config.toml stays unread too (codex
  loads a project's config only for a project trusted in the user's config).
- ``--ignore-rules``: execpolicy rules say which commands may run *outside* the sandbox.
- ``--skip-git-repo-check``: gearshift chooses the directory itself (the run's checkout, or an empty
  one for a question asked outside a run); codex's guard against running in a random one adds nothing.
- ``-c model_reasoning_effort="LEVEL"``: codex passes the level to the API as it is (all of none,
  minimal, low, medium, high, xhigh); which ones a model takes is the model's table's business.
- ``providers.codex.base_url`` becomes a custom model provider (``-c model_providers.gearshift.*``,
  Responses wire format), its key read by codex from ``providers.codex.api_key_env`` (else
  OPENAI_API_KEY); a URL only a repository chose gets the key only if the user trusts it
  (gearshift.trust).

Its output is JSONL events: ``thread.started`` (the thread id), ``item.completed`` items of type
``agent_message`` (the last is the answer; ``--output-last-message`` writes the same text),
``turn.completed`` with ``usage`` (the thread's running total: input, cached input, output and
reasoning output tokens), and ``turn.failed`` / ``error`` (``error`` events also carry passing
"Reconnecting..." notices, so only a failed turn or a failed exit is a failure). Codex reports no
cost: the gateway prices the tokens from the table.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gearshift.effort import Effort, openai_model_efforts
from gearshift.errors import ProviderError, UsageError
from gearshift.models.agents.base import DEFAULT_MODEL, AgentCLI, Invocation, Outcome, model_argument
from gearshift.models.agents.process import Finished
from gearshift.models.agents.prompt import render_prompt
from gearshift.models.base import Billing, Request, Usage, Workspace
from gearshift.models.config import ProviderSettings
from gearshift.trust import KeyPolicy

OFFICIAL_URL = "https://api.openai.com/v1"
PROVIDER_ID = "gearshift"  # the name of the custom model provider made from providers.codex.base_url
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
# Every GPT-5 model codex picks for itself takes these; the others depend on the model it picks.
DEFAULT_MODEL_EFFORTS = (Effort.LOW, Effort.MEDIUM, Effort.HIGH)

# Arguments that would take the run out of the sandbox gearshift chose, or move it elsewhere.
_REFUSED_FLAGS = {
    "--dangerously-bypass-approvals-and-sandbox",
    "--yolo",
    "--dangerously-bypass-hook-trust",
    "--approve-for-me",
    "--full-auto",
    "--add-dir",
    "--trust",
    "--worktree",
    "-s",
    "--sandbox",
    "-a",
    "--ask-for-approval",
    "-p",
    "--profile",
    "-C",
    "--cd",
}
# -c keys that would do the same from a config override
_REFUSED_KEYS = ("sandbox", "approval_policy", "permissions", "default_permissions", "projects", "mcp_servers", "hooks")


class Codex(AgentCLI):
    """``codex exec`` as a provider; see the module's docstring."""

    name = "codex"
    program = "codex"
    tested_with = "codex-cli 0.169.0"
    efforts = tuple(Effort)  # codex sends any of them on as it is

    def __init__(self, config: ProviderSettings, environ: Mapping[str, str], policy: KeyPolicy | None = None) -> None:
        super().__init__(config, environ)
        if config.max_turns is not None or config.max_budget_usd is not None:
            raise UsageError(
                "codex exec has no turn or budget limit: remove providers.codex.max_turns and max_budget_usd;"
                " providers.codex.deadline bounds its run"
            )
        # a launcher before codex (npx -p ...) has short flags of its own: in the command, only long ones count
        launcher = shlex.split(config.command or "")[1:]
        for setting, args, short in (("command", launcher, False), ("extra_args", config.extra_args, True)):
            refused = refused_argument(args, short=short)
            if refused:
                raise UsageError(
                    f"providers.codex.{setting} has {refused!r}, which would change codex's sandbox or working"
                    " directory; gearshift sets those itself: remove it"
                )
        self.base_url = config.base_url.rstrip("/") if config.base_url else None
        self.key_env = config.api_key_env or DEFAULT_KEY_ENV
        if self.base_url is not None:
            (policy or KeyPolicy()).check(
                provider=self.name, url=self.base_url, key_env=self.key_env, official=OFFICIAL_URL
            )
        # the user's own login bills OpenAI; another endpoint is priced by its URL, as for `openai`
        at_openai = self.base_url in (None, OFFICIAL_URL)
        self.billing: Billing | None = Billing(provider_id="openai") if at_openai else Billing(api_url=self.base_url)

    def supported_efforts(self, model: str) -> tuple[Effort, ...]:
        if self.config.efforts:
            return self.config.efforts
        return DEFAULT_MODEL_EFFORTS if model in ("", DEFAULT_MODEL) else openai_model_efforts(model)

    def invocation(self, request: Request, effort: Effort | None, workspace: Workspace, scratch: Path) -> Invocation:
        # extra_args go after `exec`: they are exec's options (global ones such as -c are taken there too)
        argv = [*shlex.split(self.config.command or self.program), "exec", "--json"]
        argv += ["--ignore-user-config", "--ignore-rules", "--skip-git-repo-check"]
        argv += ["--sandbox", "workspace-write" if workspace.writable else "read-only", "-C", str(workspace.root)]
        model = model_argument(request)
        if model is not None:
            argv += ["-m", model]
        if effort is not None:
            argv += ["-c", f"model_reasoning_effort={_toml(effort.value)}"]
        if self.base_url is not None:
            argv += self._provider_overrides(self.base_url)
        if request.schema is not None:
            schema = scratch / "schema.json"
            schema.write_text(json.dumps(request.schema.schema), encoding="utf-8")
            argv += ["--output-schema", str(schema)]
        argv += [*self.config.extra_args, "-"]  # "-": the prompt is read from stdin
        prompt = render_prompt(request, schema_in_prompt=False, read_only=not workspace.writable)
        return Invocation(argv=argv, stdin=prompt)

    def _provider_overrides(self, url: str) -> list[str]:
        table = f"model_providers.{PROVIDER_ID}"
        settings = {"name": PROVIDER_ID, "base_url": url, "wire_api": "responses", "env_key": self.key_env}
        overrides = [f"model_provider={_toml(PROVIDER_ID)}"]
        overrides += [f"{table}.{key}={_toml(value)}" for key, value in settings.items()]
        return [part for override in overrides for part in ("-c", override)]

    def outcome(self, finished: Finished, request: Request, scratch: Path) -> Outcome:
        events = read_events(finished.stdout)
        where = f" (thread {events.thread_id})" if events.thread_id else ""
        if events.failure is not None:
            raise ProviderError(
                f"codex failed{where}: {events.failure}",
                request_id=events.thread_id,
                usage=events.usage,
            )
        if events.usage is None:
            raise self._no_turn(finished, events)
        if events.answer is None:
            raise ProviderError(
                f"codex finished its turn{where} without a final message; see the event stream kept with the run",
                status="malformed",
                request_id=events.thread_id,
                usage=events.usage,
            )
        return Outcome(text=events.answer, usage=events.usage, request_id=events.thread_id)

    def _no_turn(self, finished: Finished, events: Events) -> ProviderError:
        """The error for a run that never completed a turn: a failed start, or output that is not codex's."""
        if finished.exit_code != 0:
            return self.exited(finished, events.last_error or stderr_reason(finished), events.thread_id)
        seen = f"; its output has a line that is not a JSON event: {events.bad_line!r}" if events.bad_line else ""
        return self.unreadable(f"ended without a turn.completed event{seen}", events.thread_id)


@dataclass
class Events:
    """What a ``codex exec --json`` event stream says."""

    thread_id: str | None = None
    answer: str | None = None  # the last agent message
    usage: Usage | None = None  # None until a turn completed
    failure: str | None = None  # a failed turn's message
    last_error: str | None = None  # the last error event that is not a passing notice
    bad_line: str | None = None  # the first line that is not a JSON object


def read_events(stdout: str) -> Events:
    """Read the JSONL events; lines that are not JSON objects are noted, not fatal, as long as a turn completes."""
    found = Events()
    for line in stdout.splitlines():
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            event = None
        if not isinstance(event, dict):
            found.bad_line = found.bad_line or line.strip()[:120]
            continue
        kind = event.get("type")
        if kind == "thread.started" and isinstance(event.get("thread_id"), str):
            found.thread_id = event["thread_id"]
        elif kind == "item.completed":
            item = event.get("item")
            if isinstance(item, dict) and item.get("type") == "agent_message" and isinstance(item.get("text"), str):
                found.answer = item["text"]
        elif kind == "turn.completed":
            # a running total for the thread, not the turn's own: the last one is the call's
            found.usage = _usage(event.get("usage"))
        elif kind == "turn.failed":
            error = event.get("error")
            found.failure = readable(error.get("message") if isinstance(error, dict) else None) or "the turn failed"
        elif kind == "error":
            message = readable(event.get("message"))
            if message and not message.startswith("Reconnecting"):
                found.last_error = message
    return found


def _usage(data: Any) -> Usage:
    def count(key: str) -> int:
        value = data.get(key) if isinstance(data, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0

    return Usage(
        input_tokens=count("input_tokens"),
        cached_tokens=count("cached_input_tokens"),
        output_tokens=count("output_tokens"),
        reasoning_tokens=count("reasoning_output_tokens"),
    )


def readable(message: Any) -> str | None:
    """An error message on one line; an API's JSON error body (as codex quotes it) down to its message."""
    if not isinstance(message, str) or not message.strip():
        return None
    try:
        body = json.loads(message)
    except json.JSONDecodeError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        inner = body["error"].get("message")
        if isinstance(inner, str) and inner.strip():
            message = inner
    return " ".join(message.split())[:300]


_ERROR_LINE = re.compile(r"^(error|Error)\b")


def stderr_reason(finished: Finished) -> str:
    """The line of stderr that says what went wrong: its first ``error: ...`` line (codex ends a usage error
    with a hint and a crash with a backtrace), else its last line."""
    for line in finished.stderr.splitlines():
        if _ERROR_LINE.match(line.strip()):
            return line.strip()[:300]
    return finished.last_error_line()


def refused_argument(args: Sequence[str], *, short: bool = True) -> str | None:
    """The first of ``args`` that would change codex's sandbox, approvals or directory; None if none does.
    Without ``short``, the one-letter flags (-s, -a, -p, -C, -c) are not looked at."""
    for index, arg in enumerate(args):
        flag = arg.split("=", 1)[0]
        if not short and not arg.startswith("--"):
            if arg == "danger-full-access":
                return arg
            continue
        if flag in _REFUSED_FLAGS or arg == "danger-full-access":
            return arg
        if flag in ("-c", "--config"):  # -c KEY=VALUE, --config=KEY=VALUE
            override = arg.split("=", 1)[1] if "=" in arg else (args[index + 1] if index + 1 < len(args) else "")
        elif arg.startswith("-c"):  # -cKEY=VALUE
            override = arg[2:]
        else:
            continue
        if override.split("=", 1)[0].strip().strip("\"'").startswith(_REFUSED_KEYS):
            return arg if override in arg else f"{arg} {override}"
    return None


def _toml(value: str) -> str:
    """A string as a TOML value for ``-c key=value`` (JSON's string escapes are TOML's)."""
    return json.dumps(value)
