"""The Typer application and its global options; the command modules add their commands to it.

Help is click's plain help (no boxes, nothing cut off at 80 columns): each value option shows its
metavar (``--max-usd USD``), never a type placeholder such as ``<float>``, and the command list
shows each command's first sentence whole.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

try:  # typer 0.2x carries its own click
    from typer import _click as click
except ImportError:  # pragma: no cover  (an older typer uses click itself)
    import click  # type: ignore[no-redef]

from gearshift import __version__
from gearshift.cli.common import state

__all__ = ["Command", "Group", "app", "click", "config_app", "house_style"]


def _metavar(param: click.Parameter) -> str:
    return (param.metavar or (param.name or "value").upper()).strip("[]")


class Command(TyperCommand):
    """A command whose help names values by metavar (``--db FILE``, ``TASK``) and never by type; its
    usage line writes an argument as ``TASK``, or ``[TASK]`` when it may be left out."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _help_text(self.help, formatter)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name != "argument":
                pieces.extend(param.get_usage_pieces(ctx))
                continue
            name = _metavar(param) if param.required else f"[{_metavar(param)}]"
            pieces.append(name + ("..." if param.nargs != 1 else ""))
        return pieces

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "option":
                names = [click.formatting.join_options(param.opts)[0]]
                if param.secondary_opts:
                    names.append(click.formatting.join_options(param.secondary_opts)[0])
                flag = getattr(param, "is_flag", False) or getattr(param, "count", False)
                value = "" if flag else f" {_metavar(param)}"
                options.append((" / ".join(name + value for name in names), record[1]))
            elif record[1]:
                arguments.append((_metavar(param), record[1]))
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)


class Group(TyperGroup):
    """A group whose command list gives each command's first sentence whole (wrapped, never cut)."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.short_help or _first_sentence(command.help or "")))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _help_text(self.help, formatter)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        Command.format_options(self, ctx, formatter)  # type: ignore[arg-type]
        self.format_commands(ctx, formatter)


def _help_text(text: str | None, formatter: click.HelpFormatter) -> None:
    """The help's paragraphs, rewrapped, but for an example: a command too long for a line goes on
    the next one after a backslash, as a shell takes it, never split inside an argument."""
    paragraphs = inspect.cleandoc(text or "").partition("\f")[0].split("\n\n")
    if not any(p.strip() for p in paragraphs):
        return
    formatter.write_paragraph()
    with formatter.indentation():
        room = formatter.width - formatter.current_indent - 2
        kept = [_example(p, room) if p.startswith("Example:") else p for p in paragraphs if p.strip()]
        formatter.write_text("\n\n".join(kept))


def _example(paragraph: str, room: int) -> str:
    words = re.findall(r"""(?:[^\s"']+|"[^"]*"|'[^']*')+""", paragraph)
    lines = [words[0]]
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) <= room:
            lines[-1] += " " + word
        else:
            lines.append("    " + word)
    return "\b\n" + " \\\n".join(lines)


def _first_sentence(text: str) -> str:
    paragraph = " ".join(text.strip().split("\n\n")[0].split())
    end = paragraph.find(". ")
    return paragraph if end < 0 else paragraph[: end + 1]


def house_style(application: typer.Typer) -> None:
    """Every command and group of ``application`` (those other modules added too) helps the same way;
    an argument without a metavar is named in capitals, as in the usage line."""
    for info in application.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = Command
    for group in application.registered_groups:
        instance = group.typer_instance
        if instance is not None:
            instance.info.cls = Group
            instance.rich_markup_mode = None
            house_style(instance)


def _typer(**settings: Any) -> typer.Typer:
    return typer.Typer(
        cls=Group,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
        **settings,
    )


app = _typer(
    name="gearshift",
    help=(
        "Plan at high effort, implement at medium, review at high; every model call recorded.\n\n"
        "Example: gearshift run \"Add a --json flag to list\" --test-cmd 'pytest -q'"
    ),
    no_args_is_help=True,
)
config_app = _typer(help="Inspect settings.\n\nExample: gearshift config show --json", no_args_is_help=True)
app.add_typer(config_app, name="config")


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
        typer.Option(
            "--db",
            metavar="FILE",
            show_default=False,
            help="The ledger to use.  [default: .gearshift/ledger.db in the repository, $GEARSHIFT_HOME/ledger.db"
            " outside one; env var: GEARSHIFT_DB]",
        ),
    ] = None,
) -> None:
    state["db"] = db
