"""Phase 1, plan (default effort high): the task and a map of the repository in, a Plan out.

The plan is saved as plan.json (what implement follows) and plan.md (what a person may edit
before implementing).
"""

from __future__ import annotations

from gearshift.context.budget import map_budget
from gearshift.context.manifests import dependency_manifests, render_manifests
from gearshift.context.repomap import build_map
from gearshift.effort import Effort
from gearshift.gateway import CallSite
from gearshift.models import JsonSchema, Request
from gearshift.paths import cache_dir
from gearshift.phases import PhaseContext
from gearshift.phases.reading import converse
from gearshift.plan import Plan, plan_from_reply, plan_json_schema
from gearshift.runs import RunState, RunStatus
from gearshift.tools import READ_TOOLS

INSTRUCTIONS = """\
You are the planning phase of a coding workflow: plan at depth now, so that a later phase can
implement the plan step by step without re-deciding anything.

Produce a plan for the task, fitting the JSON schema:
- summary: what will be built and why, in a few sentences.
- architecture_decisions: the decisions implementation must follow (libraries, data shapes,
  interfaces, where code goes), each one line.
- steps: small, ordered steps; each one is implemented in one reply, alone, seeing only the
  files the step lists. For each: a short imperative title; a description precise enough to
  follow without guessing; files (what the step changes or creates, paths relative to the
  repository root); reads (files the step must see but not change: the code it calls, the
  fixtures its tests use, the config it extends; empty if none); acceptance criteria a reviewer
  can check; kind; security_critical (true for authentication, authorization, crypto, secrets,
  injection or payments); ambiguities (open questions the plan could not settle; empty if none).
- The test command runs after every step, and a step whose tests fail goes to a fix loop: every
  step must leave the whole suite passing. Change a test in the same step as the code it tests,
  and update the tests an interface change breaks in the step that makes the change.
- risks: what could go wrong (security, data loss, performance, compatibility) and the
  mitigation for each.
- testing_strategy: how the result will be tested.
Do not write code. Plan only what the task asks for: no extra layers, no speculative features.
"""

# What the model is told it sees: without the read tools, then with them.
SEEING = """
What you see: the task, a map of the repository (files ranked for the task, with their key
symbols; not their code), the dependency manifests in full, and the test command. What you do
not see is the code itself: plan from the map, and name in a step's reads what it must look at.
Use only libraries the manifests list, unless the task asks for a new one (then say so in a step)."""

READING = """
What you see: the task, a map of the repository (files ranked for the task, with their key
symbols; not their code), the dependency manifests in full, and the test command. You can also
read the repository with tools: read_file (a file, or some of its lines), search (a regular
expression over the files) and list_files. Read the code the plan depends on before you plan
against it: the functions a step changes or calls, the tests it extends, the config it touches.
Do not read everything: reads are limited, and the map already tells you where things are. Name
in a step's reads what the implementing step must look at; it sees only the files its step lists.
Use only libraries the manifests list, unless the task asks for a new one (then say so in a step)."""


ONE_STEP = "\n\nThis task is a small, single-place change: make a plan of exactly one step."


def make_plan(ctx: PhaseContext, run: RunState) -> Plan:
    """Map the repository, ask for the plan, save it; the run becomes ``planned``."""
    choice = ctx.choice("plan")
    provider = ctx.provider("plan")
    effort = run.effort("plan")
    ctx.say(f"planning at {effort} effort ...")
    repo_map = build_map(
        ctx.root,
        run.task,
        cache_path=cache_dir(ctx.root) / "index.db",
        budget=map_budget(ctx.settings, provider),
        model=choice.model,
    )
    route = ctx.runs.read_json(run.id, "route.json")
    one_step = bool(route and route["route"]["facts"].get("trivial"))
    manifests = render_manifests(dependency_manifests(ctx.root))
    rendered = repo_map.render()

    def build(reading: bool) -> Request:
        return build_request(
            run.task,
            rendered,
            choice.model,
            effort,
            one_step=one_step,
            manifests=manifests,
            test_cmd=run.test_cmd,
            reading=reading,
        )

    site = CallSite(phase="plan", run_id=run.id)
    plan = converse(ctx, provider, build, site, plan_from_reply, root=ctx.root)
    ctx.runs.save_plan(run.id, plan, run.task)
    ctx.runs.update(run.id, status=RunStatus.PLANNED, message=None)
    ctx.say(f"plan: {len(plan.steps)} steps, saved to {ctx.runs.plan_markdown_path(run.id)}")
    return plan


def build_request(
    task: str,
    repo_map: str,
    model: str,
    effort: Effort,
    *,
    one_step: bool = False,
    manifests: str = "",
    test_cmd: str | None = None,
    reading: bool = False,
) -> Request:
    """The plan request; with ``reading``, the model gets the read tools and is told what they are for."""
    tests = f"`{test_cmd}`, after every step" if test_cmd else "none is configured; say in the plan how to test"
    return Request(
        instructions=INSTRUCTIONS + (READING if reading else SEEING) + (ONE_STEP if one_step else ""),
        input=(
            f"# Task\n{task}\n\n# Test command\n{tests}\n\n# Dependency manifests\n{manifests}"
            f"# Repository\n{repo_map}\n"
        ),
        model=model,
        effort=effort,
        schema=JsonSchema(name="plan", schema=plan_json_schema()),
        tools=READ_TOOLS if reading else (),
    )
