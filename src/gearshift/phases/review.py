"""Phase 3, review (default effort high): the plan, the checks and the diff in, a step-by-step Review out.

The review is saved as review.json and review.md; the run becomes ``done``.
"""

from __future__ import annotations

from gearshift import workspace
from gearshift.checks import run_check, truncate_output
from gearshift.effort import Effort
from gearshift.gateway import CallSite
from gearshift.models import JsonSchema, Request
from gearshift.phases import PhaseContext
from gearshift.phases.reading import converse
from gearshift.plan import Plan, render_plan_markdown
from gearshift.review import Review, review_from_reply, review_json_schema
from gearshift.runs import RunState, RunStatus
from gearshift.tools import READ_TOOLS

INSTRUCTIONS = """\
You are the review phase of a coding workflow. Review the implementation against the plan it
was built from. For every step of the plan, say whether it is done, partial, missing or
deviated, with the evidence in the diff. Then list the issues you find (bugs, security
problems, missing edge cases, missing tests), each with a severity and, where you can, the file
and line; and your recommendations. Judge against the plan and the task: do not ask for
features neither of them calls for."""

READING = """

You can read the repository as the implementation left it, with tools: read_file (a file, or
some of its lines), search (a regular expression over the files) and list_files. Read where the
diff alone does not settle a verdict: the code a change calls or is called by, a test that
should cover it, a step that seems missing. Do not read everything: reads are limited."""


def make_review(ctx: PhaseContext, run: RunState, plan: Plan, checkout: workspace.Checkout) -> Review:
    """Run the check, take the diff from the base, ask for the review, save it."""
    choice = ctx.choice("review")
    effort = run.effort("review")
    checks = _check_summary(ctx, run, checkout)
    diff = workspace.diff(checkout.path, checkout.base)
    ctx.say(f"reviewing at {effort} effort ...")

    def build(reading: bool) -> Request:
        return build_request(run.task, plan, diff, checks, choice.model, effort, reading=reading)

    site = CallSite(phase="review", run_id=run.id)
    review = converse(ctx, ctx.provider("review"), build, site, review_from_reply, root=checkout.path)
    _keep_earlier_review(ctx, run)
    ctx.runs.save_review(run.id, review, plan)
    ctx.runs.update(run.id, status=RunStatus.DONE, message=None)
    ctx.say(f"review saved to {ctx.runs.review_markdown_path(run.id)}")
    return review


def _check_summary(ctx: PhaseContext, run: RunState, checkout: workspace.Checkout) -> str:
    """The test command's verdicts: on the base commit, after each step, and now (with its output)."""
    if not run.test_cmd:
        return "(no test command configured)"
    lines = [f"$ {run.test_cmd}", f"- on the base commit, before any step: {run.base_check or 'not run'}"]
    for step in ctx.runs.steps(run.id):
        line = f"- after step {step.step_id} ({step.title}): {step.check_result or 'not run'}"
        if step.tests_at_base:
            line += f"; its tests on the base commit's code: {step.tests_at_base}"
        lines.append(line)
    checks = ctx.settings.checks
    ctx.say(f"running the test command on the result for the review: {run.test_cmd}")
    result = run_check(run.test_cmd, checkout.path, timeout=checks.timeout, shell=checks.shell)
    ctx.say(f"the test command {'passed' if result.passed else 'failed'} in {result.seconds:.1f}s")
    lines.append(f"- now, after all steps: {'passed' if result.passed else 'FAILED'}")
    return "\n".join(lines) + "\n" + truncate_output(result.output, head=10, tail=30)


def _keep_earlier_review(ctx: PhaseContext, run: RunState) -> None:
    """A review made again replaces review.md: say so, and keep the earlier one beside it."""
    path = ctx.runs.review_markdown_path(run.id)
    if path.exists():
        earlier = path.with_name("review.previous.md")
        path.replace(earlier)
        ctx.say(f"replacing the earlier review in {path}; it is kept as {earlier.name}")


def build_request(
    task: str, plan: Plan, diff: str, checks: str, model: str, effort: Effort, *, reading: bool = False
) -> Request:
    """The review request; with ``reading``, the model gets the read tools and is told what they are for."""
    return Request(
        instructions=INSTRUCTIONS + (READING if reading else ""),
        input=(
            f"# Task\n{task}\n\n{render_plan_markdown(plan, task)}\n# Checks\n{checks}\n\n"
            f"# Diff of the implementation\n{diff or '(no changes)'}\n"
        ),
        model=model,
        effort=effort,
        schema=JsonSchema(name="review", schema=review_json_schema()),
        tools=READ_TOOLS if reading else (),
    )
