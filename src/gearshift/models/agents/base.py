"""What the agent CLIs (codex, claude-code, gemini-cli) share: one call is one run of the program.

A subclass says how to invoke its CLI (``invocation``) and how to read its machine-readable
output (``outcome``). This class runs it where the request's workspace says: read-only for plan
and review (and for a request without a workspace, in an empty scratch directory), editing the
run's checkout for implement. A read-only run that changed the repository anyway is refused: the
CLI's sandbox should have stopped it, and gearshift does not take its word for that.
"""

from __future__ import annotations

import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gearshift.effort import Effort
from gearshift.errors import ProviderError
from gearshift.models.agents.process import Finished, run_program
from gearshift.models.agents.prompt import json_answer
from gearshift.models.base import Billing, Reply, Request, Usage, Workspace
from gearshift.models.config import ProviderSettings

DEFAULT_MODEL = "default"  # the CLI's own choice: gearshift passes no model


@dataclass(frozen=True)
class Invocation:
    """One run of the CLI: its arguments, what goes to its stdin, and variables added to its environment."""

    argv: list[str]
    stdin: str
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What the CLI's output says: the final answer, the tokens, the model, and its own cost figure."""

    text: str
    usage: Usage
    model: str | None = None  # None: as asked
    native_cost_usd: float | None = None
    request_id: str | None = None  # the CLI's session or thread id


class AgentCLI(ABC):
    """A Provider that is an agent CLI; see the module's docstring."""

    name: str
    program: str  # the default command, e.g. "codex"
    tested_with: str  # the CLI and version gearshift is tested with, named when its output cannot be read
    edits_files = True  # implement lets it edit the checkout (gearshift.agent_changes inspects the result)
    billing: Billing | None = None
    efforts: tuple[Effort, ...] = tuple(Effort)

    def __init__(self, config: ProviderSettings, environ: Mapping[str, str]) -> None:
        self.config = config
        self.environ = dict(environ)
        self.calls = 0

    def supported_efforts(self, model: str) -> tuple[Effort, ...]:
        return self.config.efforts or self.efforts

    def context_window(self, model: str) -> int | None:
        return None  # the agent manages its own context

    def supports_tools(self, model: str) -> bool:
        return False  # it reads the repository itself: plan and review ask it single-shot

    @property
    def command(self) -> list[str]:
        import shlex

        return [*shlex.split(self.config.command or self.program), *self.config.extra_args]

    @abstractmethod
    def invocation(self, request: Request, effort: Effort | None, workspace: Workspace, scratch: Path) -> Invocation:
        """The CLI's arguments for ``request``; ``scratch`` is a private directory for files it needs."""

    @abstractmethod
    def outcome(self, finished: Finished, request: Request, scratch: Path) -> Outcome:
        """Read the finished run; raise ProviderError (with the usage it reported) when it failed."""

    def complete(self, request: Request, effort_sent: Effort | None) -> Reply:
        from gearshift import workspace as git_tree

        started = time.monotonic()
        self.calls += 1
        with tempfile.TemporaryDirectory(prefix=f"gearshift-{self.name}-") as scratch_dir:
            scratch = Path(scratch_dir)
            place = request.workspace or Workspace(root=_empty(scratch))
            guard = None if place.writable or request.workspace is None else git_tree.tree_fingerprint(place.root)
            invocation = self.invocation(request, effort_sent, place, scratch)
            finished = run_program(
                invocation.argv,
                cwd=place.root,
                stdin=invocation.stdin,
                env={**self.environ, **invocation.env},
                timeout=self.config.deadline,
                log=self._log_path(place),
                what=f"providers.{self.name}.command",
            )
            if finished.timed_out:
                raise ProviderError(
                    f"{self.name} did not finish within {self.config.deadline:.0f}s (providers.{self.name}.deadline);"
                    " it was stopped",
                    status="timeout",
                )
            outcome = self.outcome(finished, request, scratch)
        if guard is not None and git_tree.tree_fingerprint(place.root) != guard:
            raise ProviderError(
                f"{self.name} changed files in {place.root} during a read-only phase; gearshift refuses its answer."
                " Look at `git status` there, and check the CLI's sandbox settings",
                status="refused",
                usage=outcome.usage,
                native_cost_usd=outcome.native_cost_usd,
            )
        text = json_answer(outcome.text) if request.schema is not None else outcome.text
        return Reply(
            text=text,
            usage=outcome.usage,
            model=outcome.model or request.model,
            effort_sent=effort_sent,
            request_id=outcome.request_id,
            latency_ms=int((time.monotonic() - started) * 1000),
            native_cost_usd=outcome.native_cost_usd,
        )

    def exited(self, finished: Finished, reason: str, request_id: str | None = None) -> ProviderError:
        """The error for a run that failed before it answered, quoting why."""
        return ProviderError(
            f"{self.name} exited with code {finished.exit_code}: {reason or 'no message'}; check"
            f" providers.{self.name} (gearshift is tested with {self.tested_with})",
            request_id=request_id,
        )

    def unreadable(self, what: str, request_id: str | None = None) -> ProviderError:
        """The error for output that is not this CLI's: ``what`` it printed instead."""
        return ProviderError(
            f"{self.name} {what}; is providers.{self.name}.command the CLI gearshift is tested with"
            f" ({self.tested_with})?",
            status="malformed",
            request_id=request_id,
        )

    def _log_path(self, place: Workspace) -> Path | None:
        """Where the raw event stream of this call is kept: beside the run, one file per call."""
        if place.log_dir is None:
            return None
        place.log_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        return place.log_dir / f"{stamp}-{self.name}-{self.calls:03d}.jsonl"


def _empty(scratch: Path) -> Path:
    """An empty directory to run in when the request names no repository (a plain `gearshift ask`)."""
    home = scratch / "workdir"
    home.mkdir()
    return home


def model_argument(request: Request) -> str | None:
    """The model to pass to the CLI: None for the CLI's own choice."""
    return None if request.model in ("", DEFAULT_MODEL) else request.model
