"""Commands about single calls and the record: ask, calls, stats, config show."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from gearshift.cli.app import app, config_app
from gearshift.cli.common import load, open_ledger, print_json, run_names, say, spinner, stderr, stdout, width
from gearshift.cli.options import BaseUrl, Command, Record, Transcript, helped
from gearshift.errors import UsageError


def _read_prompt(prompt: str) -> str:
    text = sys.stdin.read() if prompt == "-" else prompt
    if not text.strip():
        raise UsageError("the prompt is empty: pass text, or - to read it from standard input")
    return text


@app.command()
def ask(
    prompt: Annotated[str, typer.Argument(metavar="PROMPT", help="The prompt, or - to read it from standard input.")],
    effort: Annotated[
        str | None,
        typer.Option(
            "--effort",
            "-e",
            metavar="EFFORT",
            help=helped("none, minimal, low, medium, high or xhigh.", "medium", "GEARSHIFT_EFFORT"),
        ),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help=helped(
                "openai, openai-chat, anthropic, codex, claude-code, gemini-cli, command, manual, replay or a plug-in.",
                "openai",
                "GEARSHIFT_PROVIDER",
            ),
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", metavar="MODEL", help=helped("Model name.", "gpt-5.4", "GEARSHIFT_MODEL")),
    ] = None,
    base_url: BaseUrl = None,
    instructions: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT",
            help=helped("System instructions for the model.", "a precise assistant for developers, direct and concise"),
        ),
    ] = None,
    schema: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="JSON schema file; the reply must be an object that fits it."),
    ] = None,
    transcript: Transcript = None,
    command: Command = None,
    record: Record = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reply and its accounting as JSON.")] = False,
) -> None:
    """Ask a model one question at a chosen effort; the call is recorded in the ledger.

    Example: gearshift ask "Explain what a race condition is" --effort high
    """
    from gearshift.ask import DEFAULT_INSTRUCTIONS, AskOptions
    from gearshift.ask import ask as ask_model
    from gearshift.effort import Effort
    from gearshift.gateway import Gateway

    text = _read_prompt(prompt)
    flags: dict[str, Any] = {"provider": provider}
    if transcript is not None:
        flags["providers.replay.transcript"] = str(transcript)
    if command is not None:
        flags["providers.command.command"] = command
    if base_url is not None:
        flags[f"providers.{provider or load().settings.provider}.base_url"] = base_url
    loaded = load(flags)
    options = AskOptions(
        provider=provider,
        model=model,
        effort=Effort.parse(effort) if effort else None,
        instructions=instructions or DEFAULT_INSTRUCTIONS,
        schema=_load_schema(schema) if schema else None,
        record_to=record,
    )
    with open_ledger() as ledger:
        gateway = Gateway(
            ledger,
            progress=spinner,
            prices=loaded.settings.pricing,
            on_masked=lambda site, count: say(f"masked {count} secret value(s) before sending"),
            keep_text=loaded.settings.ledger.keep_text,
        )
        reply = ask_model(text, loaded.settings, gateway, options)
    if as_json:
        print_json(
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
        stderr().print(f"[dim]{' · '.join(parts)}[/dim]")


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
    """Show the resolved settings and where each value came from.

    Example: GEARSHIFT_STRATEGY=high gearshift config show
    """
    from gearshift.settings import describe, show_value

    rows = describe(load())
    if as_json:
        print_json([{"key": k, "value": v, "source": s} for k, v, s in rows])
        return
    from rich.text import Text

    from gearshift.report import Cell, Column, fit

    columns = [Column("key"), Column("value", free=True), Column("source", free=True, least=12)]
    cells: list[list[Cell]] = [[Text(key), Text(show_value(value)), Text(source)] for key, value, source in rows]
    stdout().print(fit("Settings", columns, cells, width()))


@app.command()
def calls(
    call_id: Annotated[
        int | None,
        typer.Argument(metavar="ID", help="One call, by its id (the first column of the list).", show_default=False),
    ] = None,
    show: Annotated[
        bool, typer.Option("--show", help="Print the call's request and reply text, as kept in the ledger (needs ID).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as a JSON array.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, metavar="N", help="How many calls to show.")] = 20,
    run: Annotated[
        str | None, typer.Option(metavar="RUN", help="Only the calls of this run (any unique part of its id).")
    ] = None,
) -> None:
    """List recorded model calls, newest first; with ID, that call; with ID --show, its text.

    Example: gearshift calls --run 6bf7 -n 50
    """
    if show and call_id is None:
        raise UsageError("--show needs a call id: gearshift calls ID --show (`gearshift calls` lists the ids)")
    if call_id is not None:
        _one_call(call_id, show=show, as_json=as_json, run=run)
        return
    with open_ledger() as ledger:
        rows = ledger.calls(limit=limit, run_id=ledger.resolve_run(run) if run else None)
        names = run_names(ledger)
    if as_json:
        print_json(rows)
        return
    if not rows:
        stderr().print('no calls recorded yet; try: gearshift ask "hello"')
        return
    from gearshift.report import calls_table

    stdout().print(calls_table(rows, width(), names))


def _one_call(call_id: int, *, show: bool, as_json: bool, run: str | None) -> None:
    """``calls ID``: the call's row as the list shows it; with ``--show`` its header and its text."""
    from gearshift.ledger import CALL_COLUMNS

    with open_ledger() as ledger:
        call = ledger.get_call(call_id)
        run_id = ledger.resolve_run(run) if run else None
        where = ledger.path
    if call is None:
        raise UsageError(f"no call {call_id} in the ledger {where}; `gearshift calls` lists them")
    if run_id is not None and call["run_id"] != run_id:
        raise UsageError(f"call {call_id} is not of run {run_id}; it is of {call['run_id'] or 'no run'}")
    row = {name: call[name] for name in CALL_COLUMNS}
    if as_json:
        print_json({**row, "request": call["request"], "reply": call["reply"]} if show else [row])
        return
    if not show:
        from gearshift.report import calls_table

        stdout().print(calls_table([row], width()))
        return
    from gearshift.models.transcript import render_exchange

    typer.echo(_call_header(row))
    typer.echo(render_exchange(call["request"], call["reply"]), nl=False)


def _call_header(row: dict[str, Any]) -> str:
    """Two lines: where the call was made and by what, and what it cost."""
    from gearshift.report import effort, money, seconds, tokens

    step = f" step {row['step']}" if row["step"] is not None else ""
    run = f" · run {row['run_id']}" if row["run_id"] else ""
    status = row["status"] if row["status"] == "ok" else f"{row['status']}: {row['error'] or 'no message'}"
    first = (
        f"call {row['id']}{run} · {row['phase']}{step} · {row['provider']} {row['model']}"
        f" @ {effort(row['effort_requested'], row['effort_sent'])} · {status}"
    )
    second = " · ".join(
        [
            str(row["created_at"])[:19].replace("T", " "),
            f"{tokens(row['input_tokens'])} in ({tokens(row['cached_tokens'])} cached)",
            f"{tokens(row['output_tokens'])} out ({tokens(row['reasoning_tokens'])} reasoning)",
            money(row["cost_usd"]),
            seconds(row["latency_ms"]),
            *([f"request {row['request_id']}"] if row["request_id"] else []),
        ]
    )
    return f"{first}\n{second}"


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print the totals as a JSON array.")] = False,
    run: Annotated[
        str | None, typer.Option(metavar="RUN", help="Only the calls of this run (any unique part of its id).")
    ] = None,
) -> None:
    """Totals per phase x effort x model: calls, tokens, cost, time.

    Example: gearshift stats --run 6bf7
    """
    with open_ledger() as ledger:
        rows = ledger.stats(run_id=ledger.resolve_run(run) if run else None)
    if as_json:
        print_json(rows)
        return
    if not rows:
        stderr().print("no calls recorded yet")
        return
    from gearshift.report import stats_table

    stdout().print(stats_table(rows, width=width()))
