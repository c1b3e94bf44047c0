"""The prompts of phase 2, implement: one step at a time, each in a fresh, bounded prompt.

A step's prompt holds the plan's summary and decisions, the step in full, the other steps'
titles, the current content of the files it changes and reads (large ones in parts, numbered),
the test command, and what earlier steps changed as a diffstat. Never the conversation of earlier
steps, so step 30 of a 30-step plan costs what step 1 costs for the same files. A fix prompt
shows the failure's essential lines (failing tests, errors, last frames), not the whole output.
"""

from __future__ import annotations

from gearshift.checks import CheckResult, truncate_output
from gearshift.clip import clip_chars
from gearshift.context.failure import essential_output, parse_failure
from gearshift.edits import DIVIDER, REPLACE, SEARCH
from gearshift.effort import Effort
from gearshift.models import Request
from gearshift.plan import Plan, Step

# What a retry quotes of the reply that did not apply, and of why: enough to see the mistake,
# not a 10 MB reply of garbage sent back, once per retry, at the price of input tokens.
QUOTED_REPLY_CHARS = 6_000
QUOTED_PROBLEM_CHARS = 2_000
# What a fix prompt quotes of a failed check: its essential lines, or when none are found its
# start and its end; a fifth of what the whole output would take, and the part that matters.
FAILURE_CHARS = 8_000

ROLE = """\
You are the implementation phase of a coding workflow. A plan was made at depth; your job is
to carry out exactly one step of it. Follow the plan exactly: do not re-architect, do not add
layers, options or abstractions the step does not ask for, do not second-guess the plan's
decisions, and do not work on other steps."""

# How a model answers; an agent that edits the checkout itself is told otherwise (implement_agent.py).
EDIT_FORMAT = f"""\
Answer with edit blocks only, one block per change, each in this form:

path/to/file.py
{SEARCH}
lines exactly as they are now in the file
{DIVIDER}
lines as they should be
{REPLACE}

The SEARCH part must copy the current lines exactly, with enough of them to be unique. To
create a new file, leave SEARCH empty. Paths are relative to the repository root.

A file too large to show whole is shown in parts: each line with its number (`  42 | code`),
the lines left out marked (`… lines 120-480 not shown …`). The numbers and the `| ` after them
are not part of the file: never copy them into SEARCH. SEARCH only in lines shown."""

INSTRUCTIONS = f"{ROLE}\n\n{EDIT_FORMAT}"


def render_step(step: Step) -> str:
    lines = [f"# Step {step.id}: {step.title}", step.description.strip(), ""]
    lines.append(f"Kind: {step.kind}" + (" (security critical)" if step.security_critical else ""))
    if step.files:
        lines.append("Files: " + ", ".join(step.files))
    if step.reads:
        lines.append("Reads: " + ", ".join(step.reads))
    if step.acceptance:
        lines += ["Acceptance criteria:", *[f"- {a}" for a in step.acceptance]]
    if step.ambiguities:
        lines += ["Ambiguities (decide the simplest reading that satisfies the plan):"]
        lines += [f"- {a}" for a in step.ambiguities]
    return "\n".join(lines)


def render_plan_context(task: str, plan: Plan, step: Step) -> str:
    decisions = "\n".join(f"- {d}" for d in plan.architecture_decisions) or "- (none)"
    outline = "\n".join(f"{s.id}. {s.title}" + ("   <- this step" if s.id == step.id else "") for s in plan.steps)
    return (
        f"# Task\n{task}\n\n# Plan summary\n{plan.summary}\n\n# Architecture decisions\n{decisions}\n\n"
        f"# All steps (implement only step {step.id})\n{outline}\n"
    )


def render_surroundings(test_cmd: str | None, earlier: str) -> str:
    """The check the step's work must pass, and what the earlier steps changed."""
    parts = []
    if test_cmd:
        parts.append(f"# The check run after this step\n$ {test_cmd}\n")
    if earlier.strip():
        parts.append(f"# Changed by the earlier steps (git diff --stat)\n{earlier.rstrip()}\n")
    return "".join(f"{part}\n" for part in parts)


def build_step_request(
    task: str,
    plan: Plan,
    step: Step,
    files: str,
    model: str,
    effort: Effort,
    *,
    test_cmd: str | None = None,
    earlier: str = "",
) -> Request:
    return Request(
        instructions=INSTRUCTIONS,
        input=(
            f"{render_plan_context(task, plan, step)}\n{render_step(step)}\n\n# Current files\n{files}\n"
            f"{render_surroundings(test_cmd, earlier)}"
            f"Implement step {step.id} from the plan: {step.title}. Follow the plan exactly."
        ),
        model=model,
        effort=effort,
    )


def build_retry_request(original: Request, reply_text: str, problem: str) -> Request:
    """The same step again, told precisely why its edits could not be applied. Nothing was changed."""
    return Request(
        instructions=original.instructions,
        input=(
            f"{original.input}\n\n# Your previous answer\n{clip_chars(reply_text, limit=QUOTED_REPLY_CHARS)}\n\n"
            f"# Why it was not applied\n{clip_chars(problem, limit=QUOTED_PROBLEM_CHARS)}\n\n"
            "None of its edits were applied. Answer again with corrected edit blocks for the whole step."
        ),
        model=original.model,
        effort=original.effort,
    )


def build_fix_request(
    task: str, plan: Plan, step: Step, files: str, check: CheckResult, model: str, effort: Effort
) -> Request:
    return Request(
        instructions=INSTRUCTIONS,
        input=(
            f"{render_plan_context(task, plan, step)}\n{render_step(step)}\n\n# Current files\n{files}\n"
            f"# The check failed after this step\n$ {check.command}\n{render_failure(check.output)}\n\n"
            f"Fix the failure so that step {step.id} meets its acceptance criteria and the check passes. "
            "Change only what the fix needs."
        ),
        model=model,
        effort=effort,
    )


def render_failure(output: str) -> str:
    """The failure's essential lines; when nothing in the output reads as one, its start and its end."""
    failure = parse_failure(output)
    if not failure.parsed:
        return truncate_output(output, head=10, tail=80, max_chars=FAILURE_CHARS)
    total = len(output.split("\n"))
    return (
        f"(its essential lines: failing tests, errors, last frames; {len(failure.kept)} of {total} lines)\n"
        + essential_output(output, failure, limit=FAILURE_CHARS)
    )
