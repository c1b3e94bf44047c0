"""Evidence commands: compare strategies on one task; run and report suites of tasks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gearshift.cli.app import app
from gearshift.cli.common import JsonOpt, load, open_ledger, print_json, stderr, stdout
from gearshift.cli.options import BaseUrl, Model, Provider, TestCmd, Transcript, settings_flags

if TYPE_CHECKING:
    from gearshift.evidence.cell import CellSpec

suite_app = typer.Typer(help="Run suites of tasks under several strategies, and report on them.", no_args_is_help=True)
app.add_typer(suite_app, name="suite")

Strategies = Annotated[
    str, typer.Option("--strategies", "-s", help="Comma-separated strategies: high, medium, high-medium-high, auto...")
]
Repeat = Annotated[int, typer.Option("--repeat", "-r", min=1, help="Runs of each strategy (each task).")]
Jobs = Annotated[int, typer.Option("--jobs", "-j", min=1, help="Cells run at once.")]
Html = Annotated[Path | None, typer.Option("--html", help="Also write the report as one self-contained HTML file.")]


def _strategies(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@app.command()
def compare(
    task: Annotated[str, typer.Argument(metavar="TASK", help="What to build or fix, in words.")],
    strategies: Strategies = "high,medium,high-medium-high",
    test_cmd: TestCmd = None,
    accept_cmd: Annotated[
        str | None, typer.Option("--accept-cmd", help="Judges each run afterwards, in its worktree; no model sees it.")
    ] = None,
    repeat: Repeat = 1,
    jobs: Jobs = 1,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
    json_out: JsonOpt = False,
    html: Html = None,
) -> None:
    """Run one task under several strategies, each a whole run in its own worktree from HEAD.

    Your checkout is never touched; each run keeps its branch (gearshift/RUN) to diff or merge.

    Example: gearshift compare "Add a --json flag" --strategies high,medium,high-medium-high --accept-cmd "pytest -q"
    """
    from gearshift.evidence.compare import CompareOptions
    from gearshift.evidence.compare import compare as run_compare
    from gearshift.workspace import repo_root

    flags = settings_flags(provider=provider, model=model, base_url=base_url, transcript=transcript)
    settings = load(flags).settings
    options = CompareOptions(
        strategies=_strategies(strategies), repeat=repeat, jobs=jobs, test_cmd=test_cmd, accept_cmd=accept_cmd
    )
    root = repo_root(Path.cwd())
    cells = len(options.strategies) * repeat
    with open_ledger() as ledger, _progress(cells, "comparing") as ended:
        comparison = run_compare(root, task, options, settings=settings, ledger=ledger, on_row=ended)
    rows = comparison.results
    if html is not None:
        _write_html(html, rows, f"Comparison {comparison.comparison_id}: {comparison.task}")
    if json_out:
        print_json(comparison.to_json())
        return
    from gearshift.evidence.tables import compare_table

    first_line = comparison.task.splitlines()[0][:60]
    stdout().print(compare_table(rows, title=f"{first_line} (base {comparison.base[:10]})"))
    stderr().print(
        f"[dim]gearshift:[/dim] results in {comparison.directory}; each run's branch: git diff "
        f"{comparison.base[:10]} gearshift/RUN; report: gearshift suite report {comparison.directory}",
        highlight=False,
    )


@suite_app.command("run")
def suite_run(
    tasks: Annotated[Path, typer.Argument(metavar="TASKS.jsonl", help="One task per line, SWE-bench's format.")],
    strategies: Strategies = "high,medium,auto",
    repeat: Repeat = 1,
    jobs: Jobs = 1,
    executor: Annotated[str, typer.Option(help="local (a pool of --jobs processes) or ray.")] = "local",
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="An existing Ray cluster (default: a local one).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output directory (default: suite-TASKS).")] = None,
    test_cmd: TestCmd = None,
    provider: Provider = None,
    model: Model = None,
    base_url: BaseUrl = None,
    transcript: Transcript = None,
) -> None:
    """Run every task under every strategy; the hidden tests judge each run after it ends.

    Started again with the same --out, a killed suite skips the cells it finished.

    Example: gearshift suite run lite.jsonl --strategies high,medium,auto --repeat 3 --jobs 4 --out results/
    """
    from gearshift.evidence.suite import SuiteOptions, plan_suite, run_suite

    flags = settings_flags(provider=provider, model=model, base_url=base_url, transcript=transcript)
    settings = load(flags).settings
    options = SuiteOptions(
        strategies=_strategies(strategies),
        repeat=repeat,
        jobs=jobs,
        executor=executor,
        ray_address=ray_address,
        test_cmd=test_cmd,
    )
    out_dir = out or Path(f"suite-{tasks.stem}")
    plan = plan_suite(tasks, out_dir, options, settings)
    if plan.skipped:
        stderr().print(f"[dim]gearshift:[/dim] {plan.skipped} cells done before; running the other {len(plan.cells)}")
    with _progress(len(plan.cells), "suite") as ended:
        run_suite(plan, out_dir, options, on_row=ended)
    stderr().print(
        f"[dim]gearshift:[/dim] results in {out_dir / 'results.jsonl'}; report: gearshift suite report {out_dir}",
        highlight=False,
    )


@suite_app.command("report")
def suite_report(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="A suite's (or a comparison's) output directory.")],
    baseline: Annotated[
        str | None, typer.Option(help="The strategy the others are paired against (default: the first).")
    ] = None,
    json_out: JsonOpt = False,
    html: Html = None,
) -> None:
    """Resolved rates with 95% intervals, tokens and cost per phase, and each strategy paired against a baseline.

    Example: gearshift suite report results/ --baseline high --html report.html
    """
    from gearshift.errors import UsageError
    from gearshift.evidence.summary import RESULTS_FILE, load_results, summarize

    rows = load_results(directory)
    if not rows:
        raise UsageError(
            f"no results in {directory / RESULTS_FILE}; run `gearshift suite run TASKS --out {directory}` first"
        )
    from gearshift.evidence.recorder import strategy_order

    given = strategy_order(directory)  # the order --strategies gave, not the order cells finished
    summary = summarize(rows, baseline or next((s for s in given if any(r["strategy"] == s for r in rows)), None))
    if html is not None:
        _write_html(html, rows, f"Suite {directory.name}", summary)
    if json_out:
        print_json(summary)
        return
    from gearshift.evidence.tables import paired_table, report_table, tokens_table

    stdout().print(report_table(summary))
    stdout().print(tokens_table(summary))
    if summary.get("paired"):
        stdout().print(paired_table(summary))


def _write_html(path: Path, rows: list[dict[str, Any]], title: str, summary: dict[str, Any] | None = None) -> None:
    from gearshift.evidence.html import render_page
    from gearshift.evidence.summary import summarize
    from gearshift.runs import write_atomic

    write_atomic(
        path, render_page(rows, summary or summarize(rows, rows[0]["strategy"] if rows else None), title=title)
    )
    stderr().print(f"[dim]gearshift:[/dim] report written to {path}", highlight=False)


@contextmanager
def _progress(total: int, label: str) -> Iterator[Any]:
    """A bar with the cells done on a terminal, and one line per finished cell either way."""
    import sys

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = stderr()
    progress = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    bar = progress.add_task(label, total=total)

    def ended(spec: CellSpec, row: dict[str, Any]) -> None:
        progress.advance(bar)
        progress.console.print(_cell_line(spec, row), highlight=False)

    with progress:
        yield ended


def _cell_line(spec: CellSpec, row: dict[str, Any]) -> str:
    verdict = {True: "resolved", False: "not resolved", None: ""}[row.get("resolved")]
    if row.get("resolved") is None and row.get("accepted") is not None:
        verdict = "accepted" if row["accepted"] else "not accepted"
    tokens = f"{row['total_tokens'] / 1000:.1f}K tokens"
    error = f": {row['error']}" if row.get("error") else ""
    return f"  {spec.label}: {row['status']} {verdict} {tokens} {row['seconds']:.0f}s{error}".replace("  ", " ", 1)
