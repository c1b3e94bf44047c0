"""CLI commands of the workflow: run, plan, implement, review, resume, runs, show, undo."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gearshift.cli import _open_ledger, _settings, _spinner, _stderr, _stdout, app
from gearshift.errors import UsageError

if TYPE_CHECKING:
    from gearshift.ledger import Ledger
    from gearshift.workflow import Workflow

RunArg = Annotated[
    str | None, typer.Argument(metavar="[RUN]", help="Run id or a unique prefix of one (default: the newest run).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]

# Options shared by the commands that call models; each maps to a setting (see `gearshift config show`).
Strategy = Annotated[str | None, typer.Option(help="high-medium-high (default), high, medium or xhigh-medium-high.")]
EffortPlan = Annotated[str | None, typer.Option("--effort-plan", help="Effort of the plan phase.")]
EffortImplement = Annotated[str | None, typer.Option("--effort-implement", help="Effort of each step.")]
EffortReview = Annotated[str | None, typer.Option("--effort-review", help="Effort of the review phase.")]
MaxTokens = Annotated[int | None, typer.Option("--max-tokens", min=1, help="Token budget of the run.")]
MaxUsd = Annotated[float | None, typer.Option("--max-usd", min=0.0, help="Cost budget of the run, in USD.")]
TestCmd = Annotated[str | None, typer.Option("--test-cmd", help="Check run after each step, e.g. 'pytest -q'.")]
Provider = Annotated[str | None, typer.Option(help="openai, openai-chat, anthropic or replay, for every phase.")]
Model = Annotated[str | None, typer.Option("--model", "-m", help="Model for every phase.")]
BaseUrl = Annotated[str | None, typer.Option(help="Server URL for the provider.")]
Transcript = Annotated[Path | None, typer.Option(help="Transcript for --provider replay.")]
Record = Annotated[Path | None, typer.Option(help="Append every call to a transcript file (JSONL).")]


def _flags(**given: Any) -> dict[str, Any]:
    from gearshift.settings import PHASES

    flags: dict[str, Any] = {
        "strategy": given.get("strategy"),
        "phases.plan.effort": given.get("effort_plan"),
        "phases.implement.effort": given.get("effort_implement"),
        "phases.review.effort": given.get("effort_review"),
        "budget.max_tokens": given.get("max_tokens"),
        "budget.max_usd": given.get("max_usd"),
        "checks.test_cmd": given.get("test_cmd"),
    }
    provider = given.get("provider")
    for phase in PHASES:  # a flag is the user's last word: it beats per-phase settings
        flags[f"phases.{phase}.provider"] = provider
        flags[f"phases.{phase}.model"] = given.get("model")
    if given.get("transcript"):
        flags["providers.replay.transcript"] = str(given["transcript"])
    if given.get("base_url"):
        flags[f"providers.{provider or _settings().settings.provider}.base_url"] = given["base_url"]
    return {key: value for key, value in flags.items() if value is not None}


@contextmanager
def _workflow(record: Path | None = None, **given: Any) -> Iterator[Workflow]:
    from gearshift.gateway import Gateway
    from gearshift.workflow import Workflow
    from gearshift.workspace import repo_root

    root = repo_root(Path.cwd())
    loaded = _settings(_flags(**given))
    with _open_ledger() as ledger:
        yield Workflow(root, loaded.settings, ledger, Gateway(ledger, progress=_spinner), record_to=record, say=_say)


def _say(message: str) -> None:
    _stderr().print(f"[dim]gearshift:[/dim] {message}", highlight=False)


def _resolve(ledger: Ledger, run: str | None) -> str:
    if run is None:
        runs = ledger.runs(limit=1)
        if not runs:
            raise UsageError('no runs yet; start one with: gearshift run "your task"')
        return str(runs[0]["id"])
    matches = ledger.find_runs(run)
    if run in matches:
        return run
    if not matches:
        raise UsageError(f"no run matches {run!r}; `gearshift runs` lists them")
    if len(matches) > 1:
        raise UsageError(f"{run!r} matches {len(matches)} runs ({', '.join(matches[:3])}...); give more of the id")
    return matches[0]


def _approve(yes: bool) -> Any:
    def approve(plan_md: str, path: Path) -> bool:
        if yes:
            return True
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            return False
        from rich.markdown import Markdown

        _stdout().print(Markdown(plan_md))
        return typer.confirm(f"Implement this plan? (you can edit {path} first and answer later)", default=False)

    return approve


def _phase_summary(workflow: Workflow, run_id: str) -> None:
    from gearshift.report import phase_table

    rows = workflow.ledger.phase_totals(run_id)
    if rows:
        _stdout().print(phase_table(rows, title=f"Run {run_id}: tokens per phase"))


@app.command()
def run(
    task: Annotated[str, typer.Argument(help="What to build or fix, in words.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Implement the plan without asking.")] = False,
    worktree: Annotated[bool, typer.Option(help="Work in a separate git worktree; leave this checkout as is.")] = False,
    test_cmd: TestCmd = None,
    strategy: Strategy = None,
    effort_plan: EffortPlan = None,
    effort_implement: EffortImplement = None,
    effort_review: EffortReview = None,
    max_tokens: MaxTokens = None,
    max_usd: MaxUsd = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
    record: Record = None,
) -> None:
    """Plan at high effort, implement step by step at medium, review at high."""
    from gearshift.workflow import RunOptions

    given = locals()
    with _workflow(**given) as workflow:
        run_id = workflow.run(task, RunOptions(test_cmd=test_cmd, worktree=worktree), _approve(yes))
        if workflow.get_run(run_id)["status"] == "planned" and not yes:
            _say(f"plan only, no terminal to approve it on; continue with: gearshift implement {run_id} (or --yes)")
        _phase_summary(workflow, run_id)
        _finish_note(workflow, run_id)


def _finish_note(workflow: Workflow, run_id: str) -> None:
    run = workflow.get_run(run_id)
    if run["status"] == "done":
        review = workflow.run_dir(run_id) / "review.md"
        _say(f"done: branch {run['branch']}, review in {review}")


@app.command()
def plan(
    task: Annotated[str, typer.Argument(help="What to build or fix, in words.")],
    worktree: Annotated[bool, typer.Option(help="Implement later in a separate git worktree.")] = False,
    test_cmd: TestCmd = None,
    strategy: Strategy = None,
    effort_plan: EffortPlan = None,
    effort_implement: EffortImplement = None,
    effort_review: EffortReview = None,
    max_tokens: MaxTokens = None,
    max_usd: MaxUsd = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
    record: Record = None,
) -> None:
    """Make the plan and stop; edit .gearshift/runs/<id>/plan.md, then `gearshift implement`."""
    from gearshift.workflow import RunOptions

    with _workflow(**locals()) as workflow:
        run_id = workflow.plan(task, RunOptions(test_cmd=test_cmd, worktree=worktree))
        typer.echo(run_id)
        _say(f"next: edit {workflow.run_dir(run_id) / 'plan.md'} if you like, then: gearshift implement {run_id}")


@app.command()
def implement(
    run_arg: RunArg = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
    record: Record = None,
) -> None:
    """Implement a run's (edited) plan, step by step."""
    with _workflow(**locals()) as workflow:
        run_id = _resolve(workflow.ledger, run_arg)
        workflow.implement(run_id)
        _say(f"implemented; next: gearshift review {run_id}")
        _phase_summary(workflow, run_id)


@app.command()
def review(
    run_arg: RunArg = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
    record: Record = None,
) -> None:
    """Review a run's result against its plan."""
    with _workflow(**locals()) as workflow:
        run_id = _resolve(workflow.ledger, run_arg)
        workflow.review(run_id)
        typer.echo((workflow.run_dir(run_id) / "review.md").read_text(encoding="utf-8"))
        _phase_summary(workflow, run_id)


@app.command()
def resume(
    run_arg: RunArg = None,
    max_tokens: MaxTokens = None,
    max_usd: MaxUsd = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
    record: Record = None,
) -> None:
    """Continue an interrupted run where it stopped (a larger budget may be given)."""
    with _workflow(**locals()) as workflow:
        run_id = _resolve(workflow.ledger, run_arg)
        if max_tokens is not None or max_usd is not None:
            current = workflow.get_run(run_id)
            workflow.ledger.update_run(
                run_id,
                max_tokens=max_tokens if max_tokens is not None else current["max_tokens"],
                max_usd=max_usd if max_usd is not None else current["max_usd"],
            )
        workflow.resume(run_id)
        _phase_summary(workflow, run_id)
        _finish_note(workflow, run_id)


@app.command()
def runs(as_json: JsonOpt = False, limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 20) -> None:
    """List runs: task, strategy, status, steps done, tokens, cost."""
    with _open_ledger() as ledger:
        rows = ledger.runs(limit=limit)
    if as_json:
        from gearshift.report import as_json as dump

        keys = (
            "id",
            "task",
            "strategy",
            "status",
            "steps_done",
            "steps_total",
            "tokens",
            "cost_usd",
            "branch",
            "base_commit",
            "created_at",
            "message",
        )
        typer.echo(dump([{k: row[k] for k in keys} for row in rows]))
        return
    if not rows:
        _stderr().print('no runs yet; start one with: gearshift run "your task"')
        return
    from gearshift.report import runs_table

    _stdout().print(runs_table(rows))


@app.command()
def show(run_arg: RunArg = None, as_json: JsonOpt = False) -> None:
    """A run: its plan, its steps with status and effort, its review, its tokens per phase."""
    from gearshift.paths import find_repo_root, state_dir

    with _open_ledger() as ledger:
        run_id = _resolve(ledger, run_arg)
        run_row = ledger.get_run(run_id) or {}
        steps = ledger.steps(run_id)
        phases = ledger.phase_totals(run_id)
    directory = state_dir(Path(run_row["repo_root"]) if run_row else find_repo_root()) / "runs" / run_id
    plan_data = _read_json(directory / "plan.json")
    review_data = _read_json(directory / "review.json")
    route_data = _read_json(directory / "route.json")
    findings = _read_json(directory / "antipatterns.json")
    if as_json:
        from gearshift.report import as_json as dump

        typer.echo(
            dump(
                {
                    "run": run_row,
                    "steps": steps,
                    "plan": plan_data,
                    "review": review_data,
                    "phases": phases,
                    "route": route_data,
                    "antipatterns": findings,
                }
            )
        )
        return
    from gearshift.report import findings_text, phase_table, route_text, run_panel, steps_table

    console = _stdout()
    console.print(run_panel(run_row, plan_data, review_data))
    if route_data:
        console.print(route_text(route_data))
    if steps:
        console.print(steps_table(steps))
    if phases:
        console.print(phase_table(phases))
    if findings is not None:
        console.print(findings_text(findings))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@app.command()
def undo(run_arg: RunArg = None) -> None:
    """Put a run's branch back to its base commit (its commits stay reachable under refs/gearshift/undone/)."""
    with _workflow() as workflow:
        run_id = _resolve(workflow.ledger, run_arg)
        old = workflow.undo(run_id)
        run_row = workflow.get_run(run_id)
        _say(
            f"branch {run_row['branch']} is back at {run_row['base_commit'][:10]}; the undone work is kept at"
            f" refs/gearshift/undone/{run_id} ({old[:10]}): git switch -c restored refs/gearshift/undone/{run_id}"
        )


@app.command("route")
def route_command(
    task: Annotated[str | None, typer.Argument(help="The task, in words.")] = None,
    as_json: JsonOpt = False,
    classifier: Annotated[
        str | None,
        typer.Option(
            help="rules (default: rules and learned word weights, no model call) or model (classify phase, low effort)."
        ),
    ] = None,
    batch: Annotated[
        Path | None, typer.Option(help="A file of tasks, one a line (- for standard input); prints JSON lines.")
    ] = None,
    strategy: Strategy = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
) -> None:
    """Show the task type and the effort of each phase, with the rule behind every choice."""
    from gearshift.gateway import Gateway
    from gearshift.models import make_provider
    from gearshift.paths import find_repo_root
    from gearshift.report import as_json as dump
    from gearshift.triage import chosen_phases, classify_with_model, decide_route

    flags = _flags(strategy=strategy, provider=provider, model=model, base_url=base_url, transcript=transcript)
    if classifier is not None:
        if classifier not in ("rules", "model"):
            raise UsageError(f"unknown classifier {classifier!r}: choose rules or model")
        flags["routing.classifier"] = classifier
    settings = _settings(flags).settings
    if (task is None) == (batch is None):
        raise UsageError("give a task, or --batch FILE with one task a line")
    tasks = [task] if task is not None else _read_batch(batch)  # type: ignore[arg-type]
    root = find_repo_root() or Path.cwd()
    with _open_ledger() as ledger:
        gateway = Gateway(ledger, progress=_spinner)
        provider_ = None
        for text in tasks:
            classification = None
            if settings.routing.classifier == "model":
                provider_ = provider_ or make_provider(settings.for_phase("classify").provider, settings)
                classification = classify_with_model(text, settings, gateway, provider_)
            decided = decide_route(text, root, settings, classification=classification)
            if strategy is not None and strategy != "auto":  # what a fixed strategy would do instead
                decided.phases = chosen_phases(decided, settings)
            result = decided.to_json()
            if batch is not None:
                typer.echo(json.dumps({"task": text, **result}))
            elif as_json:
                typer.echo(dump(result))
            else:
                _print_route(text, result)


def _read_batch(path: Path) -> list[str]:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    tasks = [line.strip() for line in text.splitlines() if line.strip()]
    if not tasks:
        raise UsageError(f"{path} holds no tasks (one a line)")
    return tasks


def _print_route(task: str, result: dict[str, Any]) -> None:
    from rich.table import Table

    console = _stdout()
    console.print(
        f"[bold]{task}[/bold]\ntask type: [bold]{result['task_type']}[/bold]  "
        f"({'; '.join(result['facts']['classifier'])})"
    )
    table = Table(show_header=True, title_justify="left")
    table.add_column("phase")
    table.add_column("effort")
    table.add_column("why", overflow="fold")
    for phase, chosen in result["phases"].items():
        table.add_row(phase, chosen["effort"], "\n".join(chosen["reasons"]))
    console.print(table)
    repo = result["facts"].get("repo")
    if repo:
        console.print(
            f"[dim]repository: {repo['code_files']} code files, {repo['lines_of_code']:,} lines,"
            f" {repo['import_edges']} imports between {repo['modules']} modules;"
            f" the task's likely area reaches {repo['area_reach']} modules[/dim]"
        )


@app.command("map")
def map_command(
    task: Annotated[str, typer.Argument(help="The task the map is for.")],
    tokens: Annotated[
        int | None,
        typer.Option(
            "--tokens", min=1, help="Token budget (default: context.map_tokens, else sized for the plan model)."
        ),
    ] = None,
    top: Annotated[int | None, typer.Option("--top", min=1, help="List the K best files, whatever the budget.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """What the planner sees: files ranked by relevance to the task, with their key symbols."""
    import hashlib

    from gearshift.context.budget import map_budget
    from gearshift.context.repomap import build_map
    from gearshift.paths import find_repo_root, gearshift_home, state_dir

    settings = _settings().settings
    repo = find_repo_root()
    root = repo or Path.cwd().resolve()
    if repo is not None:
        cache = state_dir(repo) / "cache" / "index.db"
    else:  # a plain source tree: keep the cache out of it
        cache = gearshift_home() / "cache" / hashlib.sha1(str(root).encode()).hexdigest()[:16] / "index.db"
    result = build_map(
        root,
        task,
        cache_path=cache,
        budget=tokens or map_budget(settings),
        top=top,
        model=settings.for_phase("plan").model,
    )
    if as_json:
        from gearshift.report import as_json as dump

        typer.echo(dump(result.to_json()))
        return
    typer.echo(result.render(), nl=False)
    unit = "tokens" if result.exact_tokens else "tokens (estimated)"
    _stderr().print(f"[dim]{len(result.files)} files, {result.tokens:,} of {result.budget:,} {unit}[/dim]")
