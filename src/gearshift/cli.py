"""The command line: parse, call the library, render. No logic here that the library lacks.

Heavy modules (pydantic, the SDKs, rich tables) are imported inside the commands that need
them, so that ``gearshift --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gearshift import __version__
from gearshift.errors import GearshiftError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from gearshift.ledger import Ledger
    from gearshift.settings import LoadedSettings

app = typer.Typer(
    name="gearshift",
    help="Plan at high effort, implement at medium, review at high; every model call recorded.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
config_app = typer.Typer(help="Inspect settings.", no_args_is_help=True)
app.add_typer(config_app, name="config")

_state: dict[str, Any] = {"db": None}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gearshift {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="Ledger file to use (default: .gearshift/ledger.db in the repo)."),
    ] = None,
) -> None:
    _state["db"] = db


# --- helpers -----------------------------------------------------------------------------


def _stderr() -> Console:
    from rich.console import Console

    # status lines on a pipe or in a CI log are not wrapped at 80 columns
    return Console(stderr=True, soft_wrap=not sys.stderr.isatty())


def _stdout() -> Console:
    from rich.console import Console

    # a table sent to a pipe or a file is laid out wide, not squeezed into 80 columns
    return Console() if sys.stdout.isatty() else Console(width=200)


def _open_ledger() -> Ledger:
    from gearshift.ledger import Ledger
    from gearshift.paths import default_db_path, find_repo_root

    path = _state["db"] or default_db_path(find_repo_root())
    return Ledger(Path(path))


def _settings(flags: dict[str, Any] | None = None) -> LoadedSettings:
    from gearshift.settings import load_settings

    return load_settings(flags=flags)


@contextmanager
def _spinner(label: str) -> Iterator[None]:
    """A spinner with elapsed time on a terminal; nothing at all on a pipe."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=_stderr(),
        transient=True,
    ) as progress:
        progress.add_task(f"waiting for {label}", total=None)
        yield


def _read_prompt(prompt: str) -> str:
    text = sys.stdin.read() if prompt == "-" else prompt
    if not text.strip():
        raise UsageError("the prompt is empty: pass text, or - to read it from standard input")
    return text


# --- commands ----------------------------------------------------------------------------


@app.command()
def ask(
    prompt: Annotated[str, typer.Argument(help="The prompt, or - to read it from standard input.")],
    effort: Annotated[
        str | None, typer.Option("--effort", "-e", help="none, minimal, low, medium, high or xhigh.")
    ] = None,
    provider: Annotated[str | None, typer.Option(help="openai, openai-chat, anthropic or replay.")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model name (default: gpt-5.4).")] = None,
    base_url: Annotated[str | None, typer.Option(help="Server URL for the provider (e.g. a local server).")] = None,
    instructions: Annotated[str | None, typer.Option(help="System instructions for the model.")] = None,
    schema: Annotated[
        Path | None, typer.Option(help="JSON schema file; the reply must be an object that fits it.")
    ] = None,
    transcript: Annotated[Path | None, typer.Option(help="Transcript for --provider replay.")] = None,
    record: Annotated[Path | None, typer.Option(help="Append this call to a transcript file (JSONL).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reply and its accounting as JSON.")] = False,
) -> None:
    """Ask a model one question at a chosen effort; the call is recorded in the ledger."""
    from gearshift.ask import DEFAULT_INSTRUCTIONS, AskOptions
    from gearshift.ask import ask as ask_model
    from gearshift.effort import Effort
    from gearshift.gateway import Gateway

    text = _read_prompt(prompt)
    flags: dict[str, Any] = {"provider": provider}
    if transcript is not None:
        flags["providers.replay.transcript"] = str(transcript)
    if base_url is not None:
        flags[f"providers.{provider or _settings().settings.provider}.base_url"] = base_url
    loaded = _settings(flags)
    options = AskOptions(
        provider=provider,
        model=model,
        effort=Effort.parse(effort) if effort else None,
        instructions=instructions or DEFAULT_INSTRUCTIONS,
        schema=_load_schema(schema) if schema else None,
        record_to=record,
    )
    with _open_ledger() as ledger:
        reply = ask_model(text, loaded.settings, Gateway(ledger, progress=_spinner), options)
    if as_json:
        from gearshift.report import as_json as dump

        typer.echo(
            dump(
                {
                    "text": reply.text,
                    "parsed": reply.parsed,
                    "model": reply.model,
                    "effort_requested": (options.effort or loaded.settings.effort).value,
                    "effort_sent": reply.effort_sent.value if reply.effort_sent else None,
                    "usage": reply.usage.__dict__,
                    "cost_usd": reply.cost_usd,
                    "latency_ms": reply.latency_ms,
                    "request_id": reply.request_id,
                }
            )
        )
        return
    typer.echo(reply.text)
    if sys.stderr.isatty():
        from gearshift.report import money, seconds, tokens

        usage = reply.usage
        parts = [
            f"{reply.model} @ {reply.effort_sent or 'no effort sent'}",
            f"{tokens(usage.input_tokens)} in ({tokens(usage.cached_tokens)} cached)",
            f"{tokens(usage.output_tokens)} out ({tokens(usage.reasoning_tokens)} reasoning)",
            money(reply.cost_usd),
            seconds(reply.latency_ms),
        ]
        _stderr().print(f"[dim]{' · '.join(parts)}[/dim]")


def _load_schema(path: Path) -> Any:
    import json

    from gearshift.models import JsonSchema

    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read schema {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"schema {path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(schema, dict):
        raise UsageError(f"schema {path} must be a JSON object")
    return JsonSchema(name=str(schema.get("title") or path.stem).replace(" ", "_"), schema=schema)


@config_app.command("show")
def config_show(
    as_json: Annotated[bool, typer.Option("--json", help="Print the settings as JSON.")] = False,
) -> None:
    """Show the resolved settings and where each value came from."""
    from gearshift.settings import describe

    rows = describe(_settings())
    if as_json:
        from gearshift.report import as_json as dump

        typer.echo(dump([{"key": k, "value": v, "source": s} for k, v, s in rows]))
        return
    from rich.table import Table

    table = Table(title="Settings", title_justify="left")
    for column in ("key", "value", "source"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    _stdout().print(table)


@app.command()
def calls(
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as a JSON array.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many calls to show.")] = 20,
    run: Annotated[str | None, typer.Option(help="Only the calls of this run.")] = None,
) -> None:
    """List recorded model calls, newest first."""
    with _open_ledger() as ledger:
        rows = ledger.calls(limit=limit, run_id=run)
    if as_json:
        from gearshift.report import as_json as dump

        typer.echo(dump(rows))
        return
    if not rows:
        _stderr().print('no calls recorded yet; try: gearshift ask "hello"')
        return
    from gearshift.report import calls_table

    _stdout().print(calls_table(rows))


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print the totals as a JSON array.")] = False,
    run: Annotated[str | None, typer.Option(help="Only the calls of this run.")] = None,
) -> None:
    """Totals per phase x effort x model: calls, tokens, cost, time."""
    with _open_ledger() as ledger:
        rows = ledger.stats(run_id=run)
    if as_json:
        from gearshift.report import as_json as dump

        typer.echo(dump(rows))
        return
    if not rows:
        _stderr().print("no calls recorded yet")
        return
    from gearshift.report import stats_table

    _stdout().print(stats_table(rows))


# the workflow's commands live in their own module; importing it registers them on `app`
from gearshift import cli_workflow  # noqa: E402, F401


def main() -> None:
    """Entry point: one clear line for every error a user can cause; a traceback only on request."""
    started = time.monotonic()
    try:
        app()
    except GearshiftError as exc:
        if os.environ.get("GEARSHIFT_DEBUG"):
            import traceback

            traceback.print_exc()
        print(f"gearshift: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print(f"gearshift: interrupted after {time.monotonic() - started:.1f}s", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("GEARSHIFT_DEBUG"):
            raise
        print(
            f"gearshift: internal error: {type(exc).__name__}: {exc} (GEARSHIFT_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        sys.exit(1)
