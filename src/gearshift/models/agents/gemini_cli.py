"""The ``gemini-cli`` provider: Google's Gemini CLI (``gemini -p``) as a model, checked with 0.61.0.

One call is one headless ``gemini --output-format json --prompt ""`` run, the prompt on stdin (the
CLI appends ``--prompt`` to what stdin holds), in the request's workspace. What it is run with, and why:

- ``--approval-mode plan`` for plan and review (read-only: its file tools may write only its own plan
  notes under ~/.gemini), ``auto_edit`` for implement (edits are approved; a shell command would need
  a person's approval, so headless the CLI does not offer its shell tool at all). Never ``yolo``.
- ``--skip-trust``: Gemini CLI 0.61.0 turns folder trust on by default, and in a folder it has not
  been told to trust it forces the approval mode back to ``default`` and then refuses to run
  headless. gearshift runs it in the checkout the user asked it to work on (a fresh worktree is a
  new folder every run), so it trusts that folder for this run only; the repository's
  ``.gemini/settings.json`` and ``.env`` are then read, as in any trusted folder.
- Effort, and ``providers.gemini-cli.max_turns``, through a settings file of the run's own: the CLI
  reads its user settings from ``$GEMINI_CLI_HOME/.gemini/settings.json``, so each call gets a home
  in its scratch directory holding the user's own settings (read, never written) plus gearshift's,
  and links to everything else in the real ~/.gemini (the login, trusted folders, memory,
  extensions). System settings files cannot be used: the CLI skips any that is not root's, in
  directories writable by root alone. The thinking level goes in as ``modelConfigs.customOverrides``
  on the model aliases every chat model extends (``chat-base-3``: ``thinkingLevel``;
  ``chat-base-2.5``: ``thinkingBudget``) and on the model asked for by name: a model alias passed
  with ``-m`` would lose its thinking level whenever the CLI routes the default model ("auto") to a
  concrete one. ``max_turns`` becomes ``model.maxSessionTurns``. Gemini CLI has no budget limit.

Its output is one JSON object: ``response`` (the answer), ``session_id``, ``stats.models[NAME].tokens``
(``prompt``, the input with its ``cached`` part; ``candidates``; ``thoughts``, thinking billed as
output; ``tool``, tool-use prompt tokens billed as input; ``total``). A failure is a JSON object
with ``error`` {type, message, code} on stderr and a non-zero exit (53: the turn limit). Gemini CLI
reports no cost: the gateway prices the tokens from the table (provider ``google``).
"""

from __future__ import annotations

import json
import re
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

HOME_VARIABLE = "GEMINI_CLI_HOME"
TURN_LIMIT_EXIT = 53
# Gemini 3 models take a thinking level: low and high on every one of them (flash also takes minimal
# and medium, some pro models medium); more can be declared with providers.gemini-cli.efforts.
LEVEL_EFFORTS = (Effort.LOW, Effort.HIGH)
# Gemini 2.5 models take a thinking budget in tokens; the CLI's own default is 8192.
BUDGET_EFFORTS = (Effort.LOW, Effort.MEDIUM, Effort.HIGH)
_LEVELS = {Effort.NONE: "MINIMAL", Effort.MINIMAL: "MINIMAL", Effort.XHIGH: "HIGH"}
_BUDGETS = {Effort.NONE: 128, Effort.MINIMAL: 512, Effort.LOW: 1024, Effort.MEDIUM: 8192, Effort.HIGH: 24576}
_BUDGET_MAX = 32768
# the aliases Gemini CLI 0.61.0's chat models extend, by the thinking setting they take
_FAMILY_ALIASES = (("chat-base-3", False), ("chat-base-2.5", True))

# Arguments that would change the approval mode, the directories it may touch, or the output
# gearshift reads; extra_args may come from a repository's settings, so these are refused.
_REFUSED_FLAGS = {
    "-y",
    "--yolo",
    "--approval-mode",
    "--allowed-tools",
    "--policy",
    "--admin-policy",
    "--include-directories",
    "-w",
    "--worktree",
    "-i",
    "--prompt-interactive",
    "-p",
    "--prompt",
    "-o",
    "--output-format",
    "-r",
    "--resume",
    "--session-file",
    "--acp",
    "--experimental-acp",
}
_COMMENT = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.DOTALL)
_OBJECT_START = re.compile(r"(?m)^(?:\[[A-Z]+\] )?(\{)")
# the line of stderr that says why it stopped, among its warnings, a stack trace or the usage after it
_ERROR_LINE = re.compile(r"^(Unknown arguments?:|Error\b|error\b|Fatal)")
AUTH_EXIT = 41  # FatalAuthenticationError's exit code


# what Gemini CLI reads from the folder it runs in, when that folder is trusted
REPOSITORY_CONFIG = (".gemini/settings.json", ".gemini/.env", ".env")


class GeminiCLI(AgentCLI):
    """``gemini -p`` as a provider; see the module's docstring."""

    name = "gemini-cli"
    program = "gemini"
    tested_with = "Gemini CLI 0.61.0"
    billing = Billing(provider_id="google")
    efforts = LEVEL_EFFORTS

    def __init__(self, config: ProviderSettings, environ: Mapping[str, str]) -> None:
        super().__init__(config, environ)
        if config.max_budget_usd is not None:
            raise UsageError(
                "gemini-cli has no budget limit: remove providers.gemini-cli.max_budget_usd;"
                " providers.gemini-cli.deadline and max_turns bound its run"
            )
        # a launcher before gemini (npx -y ...) has short flags of its own: in the command, only long ones count
        launcher = [arg for arg in shlex.split(config.command or "")[1:] if arg.startswith("--")]
        for setting, args in (("command", launcher), ("extra_args", config.extra_args)):
            refused = refused_argument(args)
            if refused:
                raise UsageError(
                    f"providers.gemini-cli.{setting} has {refused!r}, which would change gemini's approval mode,"
                    " directories or output; gearshift sets those itself: remove it"
                )

    def supported_efforts(self, model: str) -> tuple[Effort, ...]:
        if self.config.efforts:
            return self.config.efforts
        return BUDGET_EFFORTS if takes_budget(model) else LEVEL_EFFORTS

    def invocation(self, request: Request, effort: Effort | None, workspace: Workspace, scratch: Path) -> Invocation:
        read_only = not workspace.writable
        self._refuse_untrusted(workspace.root)
        model = model_argument(request)
        ours: dict[str, Any] = {}
        if effort is not None:
            ours["modelConfigs"] = {"customOverrides": thinking_overrides(effort, model)}
        if self.config.max_turns is not None:
            ours["model"] = {"maxSessionTurns": self.config.max_turns}
        home = self._home(scratch, ours)
        argv = [*shlex.split(self.config.command or self.program), "--output-format", "json"]
        argv += ["--approval-mode", "plan" if read_only else "auto_edit", "--skip-trust"]
        if model is not None:
            argv += ["--model", model]
        argv += [*self.config.extra_args, "--prompt", ""]  # headless; the prompt itself is on stdin
        prompt = render_prompt(request, schema_in_prompt=True, read_only=read_only)
        return Invocation(argv=argv, stdin=prompt, env={HOME_VARIABLE: str(home)})

    def _refuse_untrusted(self, root: Path) -> None:
        """--skip-trust makes Gemini CLI load the repository's own settings (MCP servers it starts, tool
        commands) and .env, into a process that holds your key: only where you said you trust them."""
        found = [name for name in REPOSITORY_CONFIG if (root / name).exists()]
        if found and not self.config.trust_workspace:
            raise UsageError(
                f"the repository has {', '.join(found)}, which gemini-cli would load with your key in its"
                " environment (it runs there with --skip-trust); if you trust this repository, set"
                " providers.gemini-cli.trust_workspace = true in your own config"
            )

    def _home(self, scratch: Path, ours: dict[str, Any]) -> Path:
        """A home for this call: the user's settings with ``ours`` merged in, beside links to the rest of
        the real ~/.gemini, so that the login and the user's files are used but never changed."""
        real = Path(self.environ.get(HOME_VARIABLE) or self.environ.get("HOME") or Path.home())
        home = scratch / "gemini-home"
        dot = home / ".gemini"
        dot.mkdir(parents=True)
        settings: dict[str, Any] = {}
        if (real / ".gemini").is_dir():
            for entry in (real / ".gemini").iterdir():
                if entry.name != "settings.json":
                    (dot / entry.name).symlink_to(entry)
            settings = read_settings(real / ".gemini" / "settings.json")
        for name in (".agents", ".env"):  # the CLI looks for these in its home too
            if (real / name).exists():
                (home / name).symlink_to(real / name)
        (dot / "settings.json").write_text(json.dumps(merge_settings(settings, ours), indent=1), encoding="utf-8")
        return home

    def outcome(self, finished: Finished, request: Request, scratch: Path) -> Outcome:
        reply = last_object(finished.stdout)
        failed = reply if reply is not None and "error" in reply else last_object(finished.stderr, key="error")
        usage, model = read_stats(reply.get("stats") if reply else None)
        session = _text((reply or failed or {}).get("session_id"))
        if failed is not None:
            raise _failure(failed.get("error"), finished, usage, session)
        if reply is None:
            if finished.exit_code != 0:
                raise self.exited(finished, exit_reason(finished))
            seen = " ".join(finished.stdout.split())[:120]
            raise self.unreadable(f"printed no JSON reply ({seen or 'no output'!r})")
        text = reply.get("response")
        if not isinstance(text, str):
            raise ProviderError(
                f"gemini-cli's reply (session {session}) has no response text",
                status="malformed",
                request_id=session,
                usage=usage,
            )
        return Outcome(text=text, usage=usage, model=model, request_id=session)


def takes_budget(model: str) -> bool:
    """Whether ``model`` is of the families that take a thinking budget rather than a level (before Gemini 3)."""
    name = model.lower().rsplit("/", 1)[-1]
    return name.startswith(("gemini-1", "gemini-2"))


def thinking_overrides(effort: Effort, model: str | None) -> list[dict[str, Any]]:
    """The ``modelConfigs.customOverrides`` that set ``effort`` on every chat model, and on ``model`` by name."""

    def override(alias: str, budget: bool) -> dict[str, Any]:
        thinking: dict[str, Any] = (
            {"thinkingBudget": _BUDGETS.get(effort, _BUDGET_MAX)}
            if budget
            else {"thinkingLevel": _LEVELS.get(effort, effort.value.upper())}
        )
        return {"match": {"model": alias}, "modelConfig": {"generateContentConfig": {"thinkingConfig": thinking}}}

    overrides = [override(alias, budget) for alias, budget in _FAMILY_ALIASES]
    if model is not None:  # a model the CLI's alias table does not know extends neither family alias
        overrides.append(override(model, takes_budget(model)))
    return overrides


def read_settings(path: Path) -> dict[str, Any]:
    """The user's settings file as the CLI reads it (JSON with comments); {} when there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror}); gemini-cli runs with a copy of it") from None
    if not text.strip():
        return {}
    try:
        value = json.loads(_COMMENT.sub(lambda match: match.group(1) or "", text))
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path} line {exc.lineno}: not JSON ({exc.msg}); gemini-cli runs with a copy of it: fix it"
        ) from None
    if not isinstance(value, dict):
        raise UsageError(f"{path}: not a JSON object; gemini-cli runs with a copy of it: fix it")
    return value


def merge_settings(user: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """``ours`` over ``user`` as the CLI merges settings layers: objects key by key; the overrides list
    appended to the user's, later entries winning."""
    merged = dict(user)
    for key, value in ours.items():
        current = merged.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged[key] = merge_settings(current, value)
        elif isinstance(value, list) and isinstance(current, list):
            merged[key] = [*current, *value]
        else:
            merged[key] = value
    return merged


def last_object(text: str, key: str | None = None) -> dict[str, Any] | None:
    """The last JSON object in ``text`` that starts a line (the CLI prints it indented over many lines,
    after other output; on stderr, once more behind ``[ERROR]``), having ``key`` when given."""
    decoder = json.JSONDecoder()
    found: dict[str, Any] | None = None
    for match in _OBJECT_START.finditer(text):
        try:
            value, _ = decoder.raw_decode(text, match.start(1))
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and (key is None or key in value):
            found = value
    return found


def read_stats(stats: Any) -> tuple[Usage, str | None]:
    """The tokens summed over every model the run called, and the model that took most of them."""
    models = stats.get("models") if isinstance(stats, dict) else None
    if not isinstance(models, dict):
        return Usage(), None
    total = Usage()
    main, most = None, -1
    for name, entry in models.items():
        tokens = entry.get("tokens") if isinstance(entry, dict) else None
        prompt, thoughts = _count(tokens, "prompt"), _count(tokens, "thoughts")
        usage = Usage(
            input_tokens=prompt + _count(tokens, "tool"),
            cached_tokens=_count(tokens, "cached"),
            output_tokens=_count(tokens, "candidates") + thoughts,
            reasoning_tokens=thoughts,
        )
        total = Usage(*(a + b for a, b in zip(_fields(total), _fields(usage), strict=True)))
        if usage.total_tokens > most:
            main, most = str(name), usage.total_tokens
    return total, main


def _failure(error: Any, finished: Finished, usage: Usage, session: str | None) -> ProviderError:
    """The CLI's error object as one line, the API's own message taken out of the JSON it is wrapped in."""
    error = error if isinstance(error, dict) else {}
    kind = _text(error.get("type")) or "error"
    message, code = _text(error.get("message")) or finished.last_error_line() or "no message", error.get("code")
    try:
        inner = json.loads(message)
    except json.JSONDecodeError:
        inner = None
    if isinstance(inner, dict) and isinstance(inner.get("error"), dict):
        api = inner["error"]
        message = f"{api.get('message') or message} ({api.get('status') or api.get('code')})"
    message = " ".join(message.split())[:300]
    status = "error"
    if kind == "FatalTurnLimitedError" or finished.exit_code == TURN_LIMIT_EXIT:
        message += "; raise providers.gemini-cli.max_turns if the task needs more"
        status = "incomplete"
    elif code in (401, 403, AUTH_EXIT) or kind == "FatalAuthenticationError":
        status = "auth_error"
    elif code == 429:
        status = "rate_limited"
    where = f" (session {session})" if session else ""
    return ProviderError(
        f"gemini-cli failed ({kind}){where}: {message}", status=status, request_id=session, usage=usage
    )


def exit_reason(finished: Finished) -> str:
    """The line of stderr that says why the CLI stopped (yargs ends a usage error with the whole usage,
    node a crash with a stack trace): its first error line, else its last line."""
    for line in finished.stderr.splitlines():
        if _ERROR_LINE.match(line.strip()):
            return line.strip()[:300]
    return finished.last_error_line()


def refused_argument(args: Sequence[str]) -> str | None:
    """The first of ``args`` that would change gemini's approval mode, directories or output; None if none."""
    for arg in args:
        if arg.split("=", 1)[0] in _REFUSED_FLAGS or arg == "yolo":
            return arg
    return None


def _fields(usage: Usage) -> tuple[int, int, int, int]:
    return usage.input_tokens, usage.cached_tokens, usage.output_tokens, usage.reasoning_tokens


def _count(data: Any, key: str) -> int:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
