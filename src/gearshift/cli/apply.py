"""gearshift apply: the edit blocks of a model's reply, pasted from any chat, applied here.

The way to use gearshift's matching and confinement with a model it cannot call. Exit codes
are a contract: 0 applied (or, with --check, would apply), 1 refused (nothing was touched),
2 a usage error.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gearshift.cli.app import app
from gearshift.cli.common import JsonOpt, print_json, say
from gearshift.errors import EditError, UsageError

if TYPE_CHECKING:
    from gearshift.edits import FileChange


@app.command("apply")
def apply_command(
    source: Annotated[
        str | None,
        typer.Argument(
            metavar="[FILE|-]", help="The reply: a file, or - for standard input (the default when input is piped)."
        ),
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="Only check that every block applies; write nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Apply the edit blocks in a model's reply to this repository: every block or none.

    Paths in the blocks are relative to the repository's root, wherever you stand in it.

    Example: gearshift apply reply.md --check
    """
    from gearshift.edits import parse_edit_blocks, plan_edits, write_changes

    root = _repository_root()
    reply = _read_reply(source)
    try:
        changes = plan_edits(root, parse_edit_blocks(reply))
        if not check:
            write_changes(changes)
    except EditError as exc:
        if as_json:
            print_json({"applied": False, "check": check, "files": [], "error": exc.message})
            raise typer.Exit(1) from None
        # one line: the first says which block and why; the lines after it are for a model
        raise exc.reword(exc.message.splitlines()[0].rstrip(":")) from None
    if as_json:
        print_json({"applied": not check, "check": check, "files": [_entry(c) for c in changes], "error": None})
        return
    for change in changes:
        typer.echo(_line(change))
    if not changes:
        say("nothing to change: every block's REPLACE is what the file already has")
    elif check:
        say(f"check: every block applies to {len(changes)} file(s); nothing was written")


def _entry(change: FileChange) -> dict[str, object]:
    return {"path": change.path, "added": change.added, "removed": change.removed, "created": change.created}


def _line(change: FileChange) -> str:
    if change.created:
        return f"A {change.path} (+{change.added})"
    return f"M {change.path} (+{change.added} -{change.removed})"


def _repository_root() -> Path:
    try:
        found = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    except OSError as exc:
        raise UsageError(f"gearshift apply needs git, which could not be run ({exc.strerror})") from None
    if found.returncode != 0 or not found.stdout.strip():
        raise UsageError("not in a git repository: gearshift apply works in the repository the edits are for")
    return Path(found.stdout.strip())


def _read_reply(source: str | None) -> str:
    from gearshift.edits.bounds import MAX_REPLY_CHARS

    if source is None:
        if sys.stdin.isatty():
            raise UsageError("give the reply as FILE, or pipe it in: gearshift apply - < reply.md")
        source = "-"
    # read one character past the limit, so that parsing refuses a reply too long, unread
    if source == "-":
        return sys.stdin.read(MAX_REPLY_CHARS + 1)
    try:
        with open(source, "rb") as handle:
            return handle.read(4 * (MAX_REPLY_CHARS + 1)).decode("utf-8", "replace")
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror}") from None
