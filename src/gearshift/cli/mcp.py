"""`gearshift mcp`: the planner and reviewer as MCP tools for an editor's agent (gearshift.mcp_server)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from gearshift.cli.app import app
from gearshift.cli.common import say, state
from gearshift.errors import GearshiftError

INSTALL = "pip install 'gearshift[mcp]'"
UPGRADE = "pip install -U 'gearshift[mcp]' 'mcp>=2'"


@app.command("mcp")
def mcp_command(
    http: Annotated[
        int | None,
        typer.Option(
            "--http",
            metavar="PORT",
            min=1,
            max=65535,
            help="Serve streamable HTTP on http://127.0.0.1:PORT/mcp instead of stdio.",
        ),
    ] = None,
    repo: Annotated[
        Path | None,
        typer.Option(
            "--repo",
            metavar="DIR",
            help="The repository to serve, for an editor that starts servers elsewhere.  [default: here]",
        ),
    ] = None,
) -> None:
    """Serve MCP tools on the repository here: route, map, plan, review, runs, stats.

    On standard input and output by default, as editors start it; every model call is recorded in
    the ledger, as for any other command.

    Example: claude mcp add gearshift -- gearshift mcp
    """
    from gearshift.workspace import repo_root

    root = repo_root((repo or Path.cwd()).resolve())  # one line when here is no repository, before anything is served
    serve = _server()
    db = state["db"]
    serve(root, http_port=http, ledger_path=Path(db) if db else None, announce=say)


def _server() -> Callable[..., None]:
    """The server's entry, imported only now: the MCP SDK is an optional extra, and `gearshift --help`
    must not pay for importing it."""
    try:
        import mcp  # noqa: F401
    except ImportError:
        raise GearshiftError(
            f"the MCP SDK (the mcp package) is not installed; gearshift mcp needs it: {INSTALL}"
        ) from None
    try:
        from gearshift.mcp_server import serve
    except ModuleNotFoundError as exc:
        missing = exc.name or "a module"
        if missing.startswith("gearshift"):
            raise
        if missing.startswith("mcp."):  # the SDK from before MCPServer (mcp 1.x)
            raise GearshiftError(f"gearshift mcp needs mcp 2 or later ({missing} is missing): {UPGRADE}") from None
        raise GearshiftError(
            f"gearshift mcp needs {missing}, which the MCP SDK uses, not installed: {INSTALL}"
        ) from None
    return serve
