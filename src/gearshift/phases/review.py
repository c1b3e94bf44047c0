"""Phase 3, review (default effort high): the plan and the diff in, a step-by-step Review out."""

from __future__ import annotations

from gearshift.effort import Effort
from gearshift.gateway import CallSite, Gateway
from gearshift.models import JsonSchema, Provider, Request
from gearshift.plan import Plan, render_plan_markdown
from gearshift.review import Review, review_from_reply, review_json_schema

INSTRUCTIONS = """\
You are the review phase of a coding workflow. Review the implementation against the plan it
was built from. For every step of the plan, say whether it is done, partial, missing or
deviated, with the evidence in the diff. Then list the issues you find (bugs, security
problems, missing edge cases, missing tests), each with a severity and, where you can, the file
and line; and your recommendations. Judge against the plan and the task: do not ask for
features neither of them calls for."""


def build_request(task: str, plan: Plan, diff: str, checks: str, model: str, effort: Effort) -> Request:
    return Request(
        instructions=INSTRUCTIONS,
        input=(
            f"# Task\n{task}\n\n{render_plan_markdown(plan, task)}\n# Checks\n{checks}\n\n"
            f"# Diff of the implementation\n{diff or '(no changes)'}\n"
        ),
        model=model,
        effort=effort,
        schema=JsonSchema(name="review", schema=review_json_schema()),
    )


def make_review(gateway: Gateway, provider: Provider, request: Request, run_id: str) -> Review:
    reply = gateway.call(provider, request, CallSite(phase="review", run_id=run_id))
    return review_from_reply(reply.parsed)
