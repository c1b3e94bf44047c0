"""Implement through an agent CLI: the agent edits the run's checkout itself, gearshift judges the result.

The step's prompt is the one a model gets, with the answer format swapped: edit the files in
place rather than answer with edit blocks. Before the agent runs, the checkout's state is noted;
after it, what it changed is inspected (gearshift.agent_changes) and either becomes the step's
files, on to the checks, the fix loop and the commit as for edit blocks, or is refused and rolled
back with the reason, which goes back to the agent as a retry. An agent that fails or is stopped
half-way leaves its changes recorded as the step's, so that resume sets them aside, never loses them.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from pathlib import Path

from gearshift import agent_changes
from gearshift.clip import clip_chars
from gearshift.errors import EditError
from gearshift.gateway import CallSite
from gearshift.models.base import Provider, Request, Workspace
from gearshift.phases import PhaseContext
from gearshift.phases.implement_prompts import EDIT_FORMAT, QUOTED_PROBLEM_CHARS

AGENT_FORMAT = """\
Make the change yourself: edit, create or delete the files of the repository in your working
directory, which is the run's own checkout. The current content of the step's files is shown
below; read others as you need. Run the check if it helps you. Do not commit, do not touch .git
or .gearshift, do not create symlinks, and do not write outside the working directory: such
changes are refused and rolled back. When you are done, answer with one short paragraph saying
what you changed."""

Record = Callable[[list[str]], None]


def agent_request(request: Request, checkout: Path, log_dir: Path | None) -> Request:
    """The step's (or a fix's) request as an agent takes it: edit in place, in the checkout."""
    return dataclasses.replace(
        request,
        instructions=request.instructions.replace(EDIT_FORMAT, AGENT_FORMAT),
        workspace=Workspace(root=checkout, writable=True, log_dir=log_dir),
    )


def retry_request(request: Request, problem: str) -> Request:
    """The same request again, told why the last attempt was rolled back."""
    return dataclasses.replace(
        request,
        input=(
            f"{request.input}\n\n# Your previous attempt was rolled back\n"
            f"{clip_chars(problem, limit=QUOTED_PROBLEM_CHARS)}\n\nMake the whole step's change again."
        ),
    )


def edit(
    ctx: PhaseContext, provider: Provider, request: Request, site: CallSite, checkout: Path, record: Record
) -> list[str]:
    """One attempt: the agent edits, gearshift inspects. Returns the paths it changed; EditError (with
    everything rolled back) when a change is refused or nothing changed."""
    skip = [request.workspace.log_dir] if request.workspace and request.workspace.log_dir else []
    snapshot = agent_changes.take(checkout, ctx.root, skip=skip)
    try:
        ctx.gateway.call(provider, request, site)
    except BaseException:
        # failed or stopped half-way: what it changed stays, as the step's, for resume to set aside;
        # unless it is refused, and then it is rolled back like any refused change
        with contextlib.suppress(EditError):
            record(agent_changes.inspect(snapshot))
        raise
    changed = agent_changes.inspect(snapshot)
    if not changed:
        raise EditError("the agent changed no file of the repository; make the step's change in its files")
    record(changed)
    return changed
