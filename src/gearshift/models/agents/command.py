"""The ``command`` provider: any program as a model, the prompt on its stdin and the reply on its stdout.

``providers.command.command`` is the program line (``my-llm --json``), split like a shell would
split words but run without one, unless ``providers.command.shell = true`` (then ``/bin/sh -c``).
A line with shell syntax (``;``, ``|``, ``$(...)``...) and no shell to read it is refused, as the
test command is: run without a shell, it would reach the program as stray arguments.

The program gets the whole prompt on stdin (instructions, input and, for a structured phase, the
JSON schema and how to answer) and these variables; they are not named ``GEARSHIFT_*`` because
gearshift reads every such variable as a setting, and a program that runs gearshift itself would
then fail on them:

- ``GS_CALL_MODEL``: the model asked for; unset for ``default`` (the program's own choice);
- ``GS_CALL_EFFORT``: the effort level, one of none, minimal, low, medium, high, xhigh;
- ``GS_CALL_SCHEMA``: for a structured call, the path of a file holding the JSON schema;
- ``GS_CALL_USAGE_FILE``: where the program may write its usage (see below).

Its stdout is the reply; for a structured call, one JSON object (bare or in one fenced block).
Usage: a last stdout line that is a JSON object of usage keys (``input_tokens``, ``output_tokens``,
and optionally ``cached_tokens``, ``reasoning_tokens``, ``cost_usd``, ``model``; or the same inside
``{"usage": {...}}``) is taken off the reply; else the same object in the usage file; else the
tokens are counted offline, as estimates. A ``cost_usd`` the program gives is the call's cost.
"""

from __future__ import annotations

import json
import shlex
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gearshift.context.tokens import counter_for, uses_o200k
from gearshift.effort import Effort
from gearshift.errors import ProviderError, UsageError
from gearshift.models.agents.process import Finished, run_program
from gearshift.models.agents.prompt import json_answer, render_prompt
from gearshift.models.base import Billing, Reply, Request, Usage, Workspace
from gearshift.models.config import ProviderSettings
from gearshift.shell_syntax import shell_syntax

ENV_MODEL = "GS_CALL_MODEL"
ENV_EFFORT = "GS_CALL_EFFORT"
ENV_SCHEMA = "GS_CALL_SCHEMA"
ENV_USAGE_FILE = "GS_CALL_USAGE_FILE"
_ENV_PREFIX = "GS_CALL_"  # the caller's own values of these never reach the program: each call sets its own

_TOKEN_KEYS = ("input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens")
_FLAT_KEYS = {*_TOKEN_KEYS, "total_tokens", "cost_usd", "model"}
_WRAPPED_KEYS = {"usage", "cost_usd", "model"}
# a model we cannot see is counted in o200k_base, the vocabulary of the models people most often paste into
_STAND_IN_MODEL = "gpt-5"


@dataclass(frozen=True)
class Reported:
    """What a program said of its own call: the tokens, what it cost, and the model that answered."""

    usage: Usage
    cost_usd: float | None = None
    model: str | None = None


class CommandProvider:
    """A Provider that runs a program per call; see the module's docstring."""

    name = "command"
    billing: Billing | None = None  # priced only by the program's own cost_usd or the user's price table
    edits_files = False  # it answers with text; implement asks it for edit blocks, as it asks an API model

    def __init__(self, config: ProviderSettings, environ: Mapping[str, str]) -> None:
        self.config = config
        self.environ = {key: value for key, value in environ.items() if not key.startswith(_ENV_PREFIX)}
        self.argv = command_line(config)  # a missing or unrunnable command fails before any call
        self.calls = 0

    def supported_efforts(self, model: str) -> tuple[Effort, ...]:
        return self.config.efforts or tuple(Effort)  # every level: the program reads it from GS_CALL_EFFORT

    def context_window(self, model: str) -> int | None:
        return None

    def supports_tools(self, model: str) -> bool:
        return False

    def complete(self, request: Request, effort_sent: Effort | None) -> Reply:
        started = time.monotonic()
        self.calls += 1
        cwd = request.workspace.root if request.workspace is not None else Path.cwd()
        prompt = render_prompt(request, schema_in_prompt=True, read_only=False)
        with tempfile.TemporaryDirectory(prefix="gearshift-command-") as scratch_dir:
            scratch = Path(scratch_dir)
            usage_file = self._usage_file(cwd, scratch)
            usage_file.unlink(missing_ok=True)  # a file left by an earlier call must not be counted again
            finished = run_program(
                self.argv,
                cwd=cwd,
                stdin=prompt,
                env={**self.environ, **self._variables(request, effort_sent, scratch, usage_file)},
                timeout=self.config.deadline,
                log=self._log_path(request.workspace),
                what="providers.command.command",
            )
            text, reported = split_usage(finished.stdout)
            if reported is None:
                reported = read_usage_file(usage_file)
        self._check(finished, reported)
        if not text.strip():
            raise ProviderError(
                f"{self._program} printed no reply on stdout; it must write the model's answer there",
                usage=reported.usage if reported else None,
                native_cost_usd=reported.cost_usd if reported else None,
            )
        estimated = reported is None
        reported = reported or Reported(offline_usage(prompt, text, request.model))
        return Reply(
            text=json_answer(text) if request.schema is not None else text,
            usage=reported.usage,
            model=reported.model or request.model,
            effort_sent=effort_sent,
            latency_ms=int((time.monotonic() - started) * 1000),
            native_cost_usd=reported.cost_usd,
            usage_estimated=estimated,
        )

    @property
    def _program(self) -> str:
        return f"the command {self.config.command!r}"

    def _check(self, finished: Finished, reported: Reported | None) -> None:
        """Raise ProviderError for a run that timed out or failed, quoting what the program said last."""
        if finished.timed_out:
            raise ProviderError(
                f"{self._program} did not finish within {self.config.deadline:.0f}s (providers.command.deadline);"
                " it was stopped",
                status="timeout",
            )
        if finished.exit_code == 0:
            return
        code = finished.exit_code or 0
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        said = finished.last_error_line()
        raise ProviderError(
            f"{self._program} {how}" + (f": {said}" if said else " and wrote nothing on stderr"),
            usage=reported.usage if reported else None,
            native_cost_usd=reported.cost_usd if reported else None,
        )

    def _usage_file(self, cwd: Path, scratch: Path) -> Path:
        if not self.config.usage_file:
            return scratch / "usage.json"
        path = Path(self.config.usage_file).expanduser()
        return path if path.is_absolute() else cwd / path

    def _variables(self, request: Request, effort: Effort | None, scratch: Path, usage_file: Path) -> dict[str, str]:
        variables = {ENV_USAGE_FILE: str(usage_file)}
        if request.model not in ("", "default"):
            variables[ENV_MODEL] = request.model
        if effort is not None:
            variables[ENV_EFFORT] = effort.value
        if request.schema is not None:
            schema_file = scratch / f"{request.schema.name}.schema.json"
            schema_file.write_text(json.dumps(request.schema.schema, indent=1), encoding="utf-8")
            variables[ENV_SCHEMA] = str(schema_file)
        return variables

    def _log_path(self, workspace: Workspace | None) -> Path | None:
        """The program's stdout, kept with the run as it came (usage line and all), one file per call."""
        if workspace is None or workspace.log_dir is None:
            return None
        workspace.log_dir.mkdir(parents=True, exist_ok=True)
        return workspace.log_dir / f"{time.strftime('%Y%m%dT%H%M%S')}-command-{self.calls:03d}.txt"


def command_line(config: ProviderSettings) -> list[str]:
    """The argv that runs ``providers.command.command``; UsageError, with the fix, when it cannot run as written."""
    command = (config.command or "").strip()
    if not command:
        raise UsageError(
            "the command provider needs a program: set providers.command.command (e.g. 'my-llm --json'),"
            " GEARSHIFT_PROVIDERS__COMMAND__COMMAND, or pass --command"
        )
    if config.shell:
        return ["/bin/sh", "-c", " ".join([command, *map(shlex.quote, config.extra_args)])]
    try:
        words = shlex.split(command)
    except ValueError as exc:  # "No closing quotation"
        raise UsageError(f"providers.command.command {command!r} does not parse ({exc}); check its quotes") from None
    found = shell_syntax(command)
    if found is not None:
        raise UsageError(
            f"providers.command.command {command!r} uses shell syntax ({found}), but providers.command.shell is"
            " false, so no shell would run it; set providers.command.shell = true"
            " (or GEARSHIFT_PROVIDERS__COMMAND__SHELL=true), or put it in a script"
        )
    return [*words, *config.extra_args]


def split_usage(stdout: str) -> tuple[str, Reported | None]:
    """The reply and the usage the program reported on its last non-empty line, if that line is a usage object."""
    lines = stdout.splitlines()
    last = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip()), None)
    if last is None:
        return "", None
    try:
        value = json.loads(lines[last])
    except json.JSONDecodeError:
        return stdout.rstrip(), None
    reported = usage_object(value, "on the last line of its output")
    if reported is None:  # e.g. a one-line JSON answer: it is the reply, not usage
        return stdout.rstrip(), None
    return "\n".join(lines[:last]).rstrip(), reported


def read_usage_file(path: Path) -> Reported | None:
    """The usage the program wrote to ``path``; None when it wrote none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProviderError(f"cannot read the usage file {path}: {exc}") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProviderError(f"the usage file {path} is not JSON ({exc.msg} at char {exc.pos})") from None
    reported = usage_object(value, f"in {path}")
    if reported is None:
        raise ProviderError(
            f"the usage file {path} holds no usage object; write e.g."
            ' {"input_tokens": 1200, "output_tokens": 300} there'
        )
    return reported


def usage_object(value: Any, where: str) -> Reported | None:
    """``value`` read as a usage object, flat or as ``{"usage": {...}}``; None when it is not shaped as one.

    Only the usage keys may be there, so that a JSON answer is never taken for usage. ProviderError when
    it is shaped as one but a figure is not a count.
    """
    if not isinstance(value, dict):
        return None
    outer = value
    if isinstance(value.get("usage"), dict) and set(value) <= _WRAPPED_KEYS:
        value = {**value["usage"], **{k: v for k, v in outer.items() if k != "usage"}}
    if not (set(value) <= _FLAT_KEYS and {"input_tokens", "output_tokens"} & set(value)):
        return None
    counts = {key: value.get(key, 0) for key in _TOKEN_KEYS}
    for key, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ProviderError(f"the usage {where} has {key}={count!r}; token counts must be whole numbers >= 0")
    cost = value.get("cost_usd")
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, int | float) or cost < 0):
        raise ProviderError(f"the usage {where} has cost_usd={cost!r}; it must be a number of US dollars >= 0")
    model = value.get("model")
    return Reported(
        Usage(**counts),
        cost_usd=float(cost) if cost is not None else None,
        model=model if isinstance(model, str) and model else None,
    )


def offline_usage(prompt: str, reply: str, model: str) -> Usage:
    """Tokens counted here, without the provider: o200k_base where it is to be had, else the characters rule.

    Either way an estimate of what the model that answered counted: the ledger marks it usage_source "estimated".
    """
    counter = counter_for(model if uses_o200k(model) else _STAND_IN_MODEL)
    return Usage(input_tokens=counter.count(prompt), output_tokens=counter.count(reply))
