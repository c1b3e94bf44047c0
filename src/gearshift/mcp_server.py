"""The MCP server: gearshift's router, map, planner and reviewer as tools for an editor's agent.

A thin shell, like the CLI: each tool is a library call on the repository the server was started in,
with the settings loaded as the CLI loads them, and every model call goes through the gateway into
the ledger. Results are typed (pydantic models), so clients get an output schema and structured
content. A gearshift error ends the call as a tool error of one line; the server goes on serving.

    gearshift mcp              # stdio, for Claude Code, Codex, Cursor
    gearshift mcp --http 8765  # streamable HTTP on http://127.0.0.1:8765/mcp

Imported only by ``gearshift mcp``: it needs the ``mcp`` package (``pip install 'gearshift[mcp]'``).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from gearshift import __version__
from gearshift.effort import Effort
from gearshift.errors import GearshiftError, UsageError
from gearshift.ledger import Ledger
from gearshift.mcp_results import (
    MapResult,
    PhaseEffort,
    PlanResult,
    ReviewResult,
    RouteResult,
    RunsResult,
    RunSummary,
    StatsResult,
    usage_of,
)
from gearshift.models import Provider
from gearshift.settings import LoadedSettings, load_settings
from gearshift.workflow import Workflow

log = logging.getLogger("gearshift.mcp")

INSTRUCTIONS = """\
gearshift plans and reviews coding work with a reasoning model at the effort each phase needs, and
records every model call (tokens, cost) in its ledger. Before a change of some size: `plan` it (a
high-effort plan, saved as a run). Do the work yourself. Then `review` the working tree against that
run's plan (give its run_id) or against the task, before committing. `route` says which effort each
phase would get and why; `map` shows the files that matter for a task; `runs` and `stats` show what
was done and what it cost."""

EFFORTS = ", ".join(effort.value for effort in Effort)
MAX_TASK_CHARS = 64_000  # as the CLI's read_task: a task is a request, not a document
Task = Annotated[str, Field(description="The task, in words, as you would give it to a colleague.")]


# --- the tools ----------------------------------------------------------------------------------


class GearshiftTools:
    """The tools, as plain methods on one repository; the server registers them by name."""

    def __init__(
        self,
        root: Path,
        *,
        ledger_path: Path | None = None,
        providers: Provider | dict[str, Provider] | None = None,
    ) -> None:
        self.root = root
        self.ledger_path = ledger_path
        self.providers = providers  # a library user's own models; default: as the settings say

    def route(self, task: Task) -> RouteResult:
        """The task's type and the effort of each phase (plan, implement, fix, review), with the rule
        behind every choice, and what a gearshift run would do under the current settings. No model
        call unless the settings ask for the model classifier."""
        from gearshift.gateway import Gateway
        from gearshift.models import make_provider
        from gearshift.triage import route_task, run_summary, strategy_source

        with _one_line():
            loaded = self._settings()
            settings = loaded.settings
            with self._ledger() as ledger:
                gateway = Gateway(ledger, prices=settings.pricing, keep_text=settings.ledger.keep_text)
                classify = None
                if settings.routing.classifier == "model":
                    classify = make_provider(settings.for_phase("classify").provider, settings)
                decided, phases = route_task(_task(task), self.root, settings, gateway=gateway, provider=classify)
            where = strategy_source(loaded.source_of("strategy"), self.root)
            route = decided.to_json()
            return RouteResult(
                task=task,
                task_type=route["task_type"],
                phases={name: PhaseEffort(**chosen) for name, chosen in route["phases"].items()},
                efforts={name: chosen.effort.value for name, chosen in phases.items()},
                strategy=settings.strategy,
                strategy_set=where,
                summary=run_summary(decided, phases, settings.strategy, where),
                facts=route["facts"],
            )

    def map(
        self,
        task: Task,
        tokens: Annotated[
            int | None,
            Field(
                description="Token budget of the map, 1 or more (default: context.map_tokens, else sized for"
                " the plan model).",
                json_schema_extra={"minimum": 1},
            ),
        ] = None,
    ) -> MapResult:
        """What the planner sees of the repository: files ranked by relevance to the task, each with its
        key symbols, within a token budget. No model call."""
        from gearshift.context.budget import map_budget
        from gearshift.context.repomap import build_map
        from gearshift.paths import cache_dir

        with _one_line():
            if tokens is not None and tokens < 1:
                raise UsageError(f"tokens must be 1 or more, not {tokens}")
            settings = self._settings().settings
            found = build_map(
                self.root,
                _task(task),
                cache_path=cache_dir(self.root) / "index.db",
                budget=tokens or map_budget(settings),
                model=settings.for_phase("plan").model,
            )
            return MapResult.model_validate({**found.to_json(), "text": found.render()})

    def plan(
        self,
        task: Task,
        effort: Annotated[
            str | None,
            Field(
                description=f"Effort of the plan phase: one of {EFFORTS} (default: the route's, high for most"
                " implementation work).",
                json_schema_extra={"enum": [*(e.value for e in Effort), None]},
            ),
        ] = None,
    ) -> PlanResult:
        """Plan the task at the plan effort: the repository map and read tools in, a structured plan out
        (steps with the files each changes and reads, acceptance criteria, risks, testing strategy).
        Saved as a gearshift run whose id `review` takes; the checkout is left as it is (a dirty tree
        is fine: a later `gearshift implement RUN` works in a worktree of its own)."""
        from gearshift.workflow import RunOptions

        with _one_line(), self._workflow() as workflow:
            efforts = {"plan": Effort.parse(effort)} if effort else {}
            run_id = workflow.plan(_task(task), RunOptions(worktree=True, efforts=efforts))
            result = workflow.result(run_id)
            if result.plan is None:  # plan() returns only once plan.json is saved
                raise GearshiftError(f"run {run_id} has no plan after planning; see gearshift show {run_id}")
            path = workflow.runs.plan_markdown_path(run_id)
            usage = usage_of(result.phases.values())
            return PlanResult(
                run_id=run_id,
                task=result.task,
                effort=workflow.get_run(run_id).effort("plan").value,
                plan=result.plan,
                markdown=path.read_text(encoding="utf-8"),
                plan_path=str(path),
                usage=usage,
                cost_usd=usage.cost_usd,
                next=f"implement the plan, then call review with task_or_run={run_id!r}",
            )

    def review(
        self,
        task_or_run: Annotated[
            str,
            Field(
                description="A run id (or a unique part of one, as `runs` shows it) to review against that run's"
                " plan; anything else is a task, in words, to review against."
            ),
        ],
        base: Annotated[
            str,
            Field(description="The commit the change is measured from; HEAD reviews the uncommitted change."),
        ] = "HEAD",
        effort: Annotated[
            str | None,
            Field(
                description=f"Effort of the review: one of {EFFORTS} (default: the run's, else the route's).",
                json_schema_extra={"enum": [*(e.value for e in Effort), None]},
            ),
        ] = None,
    ) -> ReviewResult:
        """Review the working tree's change since base (untracked new files included) against a run's plan
        or a task: step by step done, partial, missing or deviated, and the issues found, each with a
        severity. The test command runs first when one is configured. Nothing is committed or saved."""
        from gearshift.tree_review import review_working_tree

        with _one_line(), self._workflow() as workflow:
            found = review_working_tree(
                workflow, _task(task_or_run), base=base, effort=Effort.parse(effort) if effort else None
            )
            usage = usage_of([found.usage])
            return ReviewResult(
                run_id=found.run_id,
                task=found.task,
                base=found.base,
                base_commit=found.base_commit,
                effort=found.effort.value,
                effort_reason=found.effort_reason,
                files=list(found.files),
                review=found.review,
                markdown=found.markdown,
                usage=usage,
                cost_usd=usage.cost_usd,
            )

    def runs(
        self,
        limit: Annotated[int, Field(description="How many runs, newest first.", json_schema_extra={"minimum": 1})] = 20,
    ) -> RunsResult:
        """Runs of this repository, newest first: task, strategy, status, steps done, tokens, cost."""
        from gearshift.report import short_ids

        with _one_line(), self._ledger() as ledger:
            if limit < 1:
                raise UsageError(f"limit must be 1 or more, not {limit}")
            names = short_ids(ledger.find_runs(""))
            rows = ledger.runs(limit=limit)
            return RunsResult(
                runs=[RunSummary.model_validate({**r, "short_id": names.get(r["id"], r["id"])}) for r in rows]
            )

    def stats(
        self,
        run_id: Annotated[
            str | None, Field(description="Only this run's calls (its id, or a unique part of one); default: all.")
        ] = None,
    ) -> StatsResult:
        """Totals of the recorded model calls per phase x effort x model: calls, tokens, cost, time."""
        with _one_line(), self._ledger() as ledger:
            chosen = ledger.resolve_run(run_id) if run_id is not None else None
            return StatsResult.of(chosen, ledger.stats(run_id=chosen))

    # --- what every tool opens ------------------------------------------------------------------

    def _settings(self) -> LoadedSettings:
        # loaded on every call, as each CLI command loads them: an edited config applies at once
        return load_settings(cwd=self.root)

    def _ledger(self) -> Ledger:
        from gearshift.paths import default_db_path

        return Ledger(self.ledger_path or default_db_path(self.root))

    @contextmanager
    def _workflow(self) -> Iterator[Workflow]:
        with Workflow.open(
            self.root,
            settings=self._settings().settings,
            providers=self.providers,
            say=log.info,  # never stdout: on stdio, stdout is the protocol
            ledger_path=self.ledger_path,
        ) as workflow:
            yield workflow


@contextmanager
def _one_line() -> Iterator[None]:
    """A gearshift error ends the call as a tool error of one line: the client's model reads it and
    can correct the call. Anything else is the SDK's to report (a generic error, the traceback logged)."""
    try:
        yield
    except GearshiftError as exc:
        raise ToolError(" ".join(exc.message.split())) from None


def _task(task: str) -> str:
    if not task.strip():
        raise UsageError("the task is empty: say what to build or fix, e.g. 'Add a --json flag to list'")
    if len(task) > MAX_TASK_CHARS:
        raise UsageError(
            f"the task is {len(task) // 1000} KB, more than the {MAX_TASK_CHARS // 1000} KB a task may be;"
            " put the detail in a file in the repository and name it in the task: the planner can read it"
        )
    return task


# --- the server ---------------------------------------------------------------------------------

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
# plan records a run, review may run the test command; neither changes the repository's files
RECORDS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)


def build_server(
    root: Path, *, ledger_path: Path | None = None, providers: Provider | dict[str, Provider] | None = None
) -> MCPServer[Any]:
    """The MCP server for the repository at ``root``, its six tools registered."""
    tools = GearshiftTools(root, ledger_path=ledger_path, providers=providers)
    log.setLevel(logging.INFO)  # what a run says (route, planning at high ...) goes to stderr, as the CLI's does
    server: MCPServer[Any] = MCPServer("gearshift", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")
    server.add_tool(tools.route, annotations=READ_ONLY)
    server.add_tool(tools.map, annotations=READ_ONLY)
    server.add_tool(tools.plan, annotations=RECORDS)
    server.add_tool(tools.review, annotations=RECORDS)
    server.add_tool(tools.runs, annotations=READ_ONLY)
    server.add_tool(tools.stats, annotations=READ_ONLY)
    return server


def serve(
    root: Path,
    *,
    http_port: int | None = None,
    ledger_path: Path | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve until the client goes (stdio) or the process is stopped (HTTP, on 127.0.0.1 only);
    ``announce`` is told where an HTTP server listens, once the port is known to be free."""
    server = build_server(root, ledger_path=ledger_path)
    if http_port is None:
        server.run("stdio")
        return
    _refuse_taken(http_port)
    if announce is not None:
        announce(f"serving {root} on http://127.0.0.1:{http_port}/mcp (Ctrl-C stops it)")
    server.run("streamable-http", host="127.0.0.1", port=http_port)


def _refuse_taken(port: int) -> None:
    """A port in use is said in one line now, rather than in the HTTP server's log after it started."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise UsageError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror}; choose another --http PORT") from None
