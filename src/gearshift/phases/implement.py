"""Phase 2, implement (default effort medium): carry out one step of the plan, then check it.

A step: a fresh prompt with the plan and the step's files -> edit blocks, applied all or none
(a reply that does not apply goes back with the reason) -> the test command -> fix attempts,
medium then high -> one commit carrying the step's trailer. Each state change is in the ledger
before the next begins, so a step killed anywhere is neither lost nor done twice.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any

from gearshift import antipatterns, workspace
from gearshift.checks import CheckResult, run_check, truncate_output
from gearshift.clip import clip_lines
from gearshift.context.failure import Failure, parse_failure
from gearshift.context.fix_files import failure_context
from gearshift.context.step_files import step_context
from gearshift.context.tokens import counter_for
from gearshift.edits import apply_edit_blocks, parse_edit_blocks
from gearshift.effort import Effort
from gearshift.errors import BudgetReached, EditError, StepFailed
from gearshift.gateway import CallSite
from gearshift.models import Request
from gearshift.models.base import edits_files
from gearshift.phases import PhaseContext, implement_agent
from gearshift.phases.implement_prompts import build_fix_request, build_retry_request, build_step_request
from gearshift.plan import Plan, Step
from gearshift.probe import BaseProbe, find_test_files, probe_at_base
from gearshift.routing import SECURITY_WORDS, Thresholds, step_effort
from gearshift.runs import RunState, StepState, StepStatus

EARLIER_FILES = 40  # lines of the earlier steps' diffstat a step sees, and its total


class How(StrEnum):
    IMPLEMENTED = "implemented"
    ALREADY_DONE = "already done"  # done in an earlier process
    FOUND_COMMITTED = "found committed"  # killed after its commit, before the ledger knew
    BY_HAND = "finished by hand"  # a person fixed a failed step


@dataclass(frozen=True)
class StepOutcome:
    step_id: int
    commit: str | None
    how: How


def implement_step(
    ctx: PhaseContext, run: RunState, plan: Plan, step: Step, checkout: workspace.Checkout
) -> StepOutcome:
    """Carry out ``step``, or recognise it as done; raise StepFailed or BudgetReached when it cannot be."""
    state = ctx.runs.step(run.id, step.id)
    if state is not None and state.status == StepStatus.DONE:
        return StepOutcome(step.id, state.commit_sha, How.ALREADY_DONE)
    committed = workspace.committed_steps(checkout.path, checkout.base, run.id)
    if step.id in committed:
        ctx.runs.set_step(run.id, step.id, title=step.title, status=StepStatus.DONE, commit_sha=committed[step.id])
        return StepOutcome(step.id, committed[step.id], How.FOUND_COMMITTED)
    if state is not None and state.status == StepStatus.FAILED and state.leftover and _changed_since(checkout, state):
        return _finish_by_hand(ctx, run, step, checkout, state)
    if state is not None and state.status in (StepStatus.RUNNING, StepStatus.FAILED):
        _set_aside(checkout, state, f"gearshift: leftovers of step {step.id} of {run.id}", ctx)

    effort, reason = step_effort(
        run.effort("implement"),
        step,
        auto=run.strategy == "auto",
        strategy=run.strategy,
        security_words=[*SECURITY_WORDS, *ctx.settings.routing.security_words],
    )
    choice = ctx.choice("implement")
    request = build_step_request(
        run.task,
        plan,
        step,
        _files(ctx, checkout, step),
        choice.model,
        effort,
        test_cmd=run.test_cmd,
        earlier=_earlier_changes(checkout),
    )
    # the step boundary: stop here, before the step starts, if the budget cannot cover its first call
    ctx.gateway.check_budget(run.id, request)
    # a step that differs from the run's level, or would under the route, says why
    said = reason if effort != run.effort("implement") or "the route would" in reason else f"implement at {effort}"
    ctx.say(f"step {step.id}/{len(plan.steps)}: {step.title} ({said})")
    ctx.runs.set_step(
        run.id,
        step.id,
        title=step.title,
        status=StepStatus.RUNNING,
        effort=effort,
        effort_reason=reason,
        attempts=(state.attempts if state else 0) + 1,
        error=None,
        leftover=None,
    )
    try:
        touched = set(_apply_with_retries(ctx, run, step, request, "implement", checkout))
        ctx.runs.set_step(run.id, step.id, touched=touched)
        touched |= _check_and_fix(ctx, run, plan, step, checkout, touched)
        touched |= _test_the_change(ctx, run, plan, step, checkout, touched)
    except BudgetReached:
        # reached inside the step (a fix): undo the step's partial work, keeping it in the stash
        written = ctx.runs.step(run.id, step.id)
        if written is not None:
            _set_aside(checkout, written, f"gearshift: step {step.id} of {run.id}, stopped by the budget")
        ctx.runs.set_step(run.id, step.id, status=StepStatus.PENDING)
        raise
    sha = workspace.commit_step(checkout.path, sorted(touched), step.title, run.id, step.id)
    ctx.runs.set_step(run.id, step.id, status=StepStatus.DONE, commit_sha=sha, touched=touched)
    return StepOutcome(step.id, sha, How.IMPLEMENTED)


def _apply_with_retries(
    ctx: PhaseContext, run: RunState, step: Step, request: Request, phase: str, checkout: workspace.Checkout
) -> list[str]:
    """Ask for edits and apply them all or none; a reply that does not apply goes back with the reason."""
    provider = ctx.provider(phase)
    agent = edits_files(provider)  # an agent CLI edits the checkout itself; gearshift inspects what it did
    if agent:
        request = implement_agent.agent_request(request, checkout.path, ctx.runs.directory(run.id) / "agent")
    attempt = request
    tries = ctx.settings.checks.edit_retries
    problem = ""
    for _ in range(tries):
        site = CallSite(phase=phase, run_id=run.id, step=step.id)
        try:
            if agent:  # the files it is likely to write, noted first: a kill mid-run leaves them for resume
                record = partial(_about_to_write, ctx, run, step)
                record(step.files)
                return implement_agent.edit(ctx, provider, attempt, site, checkout.path, record)
            reply = ctx.gateway.call(provider, attempt, site)
            blocks = parse_edit_blocks(reply.text)
            _about_to_write(ctx, run, step, [block.path for block in blocks])
            return apply_edit_blocks(checkout.path, blocks)
        except EditError as exc:
            problem = exc.message
            attempt = (
                implement_agent.retry_request(request, problem)
                if agent
                else build_retry_request(request, reply.text, problem)
            )
    first_line = problem.splitlines()[0]
    what = f"step {step.id} ({step.title}): the model's edits did not apply after {tries} tries ({first_line})."
    if phase == "fix":  # the step's own edits are on disk: say so, and notice when a person finishes them
        ctx.runs.set_step(
            run.id,
            step.id,
            status=StepStatus.FAILED,
            error=first_line,
            leftover=workspace.tree_fingerprint(checkout.path),
        )
        raise StepFailed(
            f"{what} The step's changes so far are left uncommitted in {checkout.path}: fix them by hand and run"
            f" gearshift resume {run.id}; or edit the step in plan.md and resume to try it afresh",
            step_id=step.id,
        )
    ctx.runs.set_step(run.id, step.id, status=StepStatus.FAILED, error=first_line, leftover=None)
    raise StepFailed(
        f"{what} Nothing was changed. Reword the step in {ctx.runs.plan_markdown_path(run.id)} or make the change"
        f" by hand and commit it, then: gearshift resume {run.id}",
        step_id=step.id,
    )


def _about_to_write(ctx: PhaseContext, run: RunState, step: Step, paths: list[str]) -> None:
    """Write down what the step is about to write, before writing it: after a kill, what was left
    over is exactly what gets set aside, and the user's own files stay where they are."""
    state = ctx.runs.step(run.id, step.id)
    known = set(state.touched) if state else set()
    wanted = {posixpath.normpath(path.strip()) for path in paths}
    if not wanted <= known:
        ctx.runs.set_step(run.id, step.id, touched=known | wanted)


def _set_aside(checkout: workspace.Checkout, state: StepState, message: str, ctx: PhaseContext | None = None) -> None:
    """Stash what an interrupted step wrote (its files only), so that it is neither lost nor in the way."""
    if workspace.stash_leftovers(checkout.path, message, list(state.touched)) and ctx is not None:
        ctx.say(f"step {state.step_id}: set aside the leftovers of the last attempt in `git stash`")


def _check_and_fix(
    ctx: PhaseContext, run: RunState, plan: Plan, step: Step, checkout: workspace.Checkout, touched: set[str]
) -> set[str]:
    """Run the check; while it fails, ask for fixes (at the fix effort, then high). Returns the files fixes touched."""
    if not run.test_cmd:
        return set()
    result = _check(ctx, run, step, checkout)
    added: set[str] = set()
    attempts = ctx.settings.checks.fix_attempts
    choice = ctx.choice("fix")
    state = ctx.runs.step(run.id, step.id)
    # a step the route sent above the run's level (security work, open questions) is fixed at its level
    raised = state.effort if state and state.effort and state.effort.rank > run.effort("implement").rank else None
    for attempt in range(1, attempts + 1):
        if result.passed:
            return added
        # fix at the fix effort first; after a failed fix, think harder
        effort = run.effort("fix")
        if raised is not None and raised.rank > effort.rank:
            effort = raised
        if attempt > 1 and effort.rank < Effort.HIGH.rank:
            effort = Effort.HIGH
        ctx.say(f"step {step.id}: the check failed; fix attempt {attempt}/{attempts} at {effort}")
        files = _files(ctx, checkout, step, touched | added, parse_failure(result.output))
        request = build_fix_request(run.task, plan, step, files, result, choice.model, effort)
        added |= set(_apply_with_retries(ctx, run, step, request, "fix", checkout))
        ctx.runs.set_step(run.id, step.id, touched=touched | added)
        result = _check(ctx, run, step, checkout)
    if result.passed:
        return added
    log = ctx.runs.save_check_output(run.id, step.id, result.output)
    ctx.runs.set_step(
        run.id,
        step.id,
        status=StepStatus.FAILED,
        error=f"check failed: {result.command}",
        leftover=workspace.tree_fingerprint(checkout.path),
    )
    raise StepFailed(
        f"step {step.id} ({step.title}): the check still fails after {attempts} fix attempts (output in {log})."
        f" Its changes are left uncommitted in {checkout.path}: fix them by hand and run"
        f" gearshift resume {run.id}; or edit the step in plan.md and resume to try it afresh",
        step_id=step.id,
    )


def _test_the_change(
    ctx: PhaseContext, run: RunState, plan: Plan, step: Step, checkout: workspace.Checkout, touched: set[str]
) -> set[str]:
    """Run the step's new or changed tests on the base commit's code. Passing there, they do not test
    the change: say so, and for a bug fix ask once for tests that fail without the fix."""
    tests = find_test_files(touched)
    if not tests or not run.test_cmd:
        return set()
    probe = _probe(ctx, run, step, checkout, tests)
    added: set[str] = set()
    if probe.passes_at_base and _is_bug_fix(ctx, run, step):
        ctx.say(f"step {step.id}: its tests pass without the fix; asking once for tests that fail without it")
        unmoved = CheckResult(
            command=f"{run.test_cmd} on the base commit's code, with this step's tests",
            passed=False,
            exit_code=0,
            output=(
                f"These tests pass without the fix, so they do not test it: {', '.join(tests)}.\n"
                "Change them so that they fail on the code before this step and pass with it.\n"
                + truncate_output(probe.output, head=10, tail=20)
            ),
            seconds=0.0,
        )
        files = _files(ctx, checkout, step, touched)
        request = build_fix_request(run.task, plan, step, files, unmoved, ctx.choice("fix").model, run.effort("fix"))
        added = set(_apply_with_retries(ctx, run, step, request, "fix", checkout))
        ctx.runs.set_step(run.id, step.id, touched=touched | added)
        added |= _check_and_fix(ctx, run, plan, step, checkout, touched | added)
        probe = _probe(ctx, run, step, checkout, find_test_files(touched | added))
    if probe.passes_at_base:
        ctx.say(f"step {step.id}: its tests ({', '.join(probe.files)}) {probe.verdict}")
    return added


def _probe(ctx: PhaseContext, run: RunState, step: Step, checkout: workspace.Checkout, tests: list[str]) -> BaseProbe:
    """Run ``tests`` on the base commit's code and record the verdict (red or green) on the step."""
    assert run.test_cmd is not None
    checks = ctx.settings.checks
    base = ctx.runs.get(run.id).base_check
    probe = probe_at_base(
        ctx.root,
        checkout.path,
        checkout.base,
        tests,
        run.test_cmd,
        timeout=checks.timeout,
        shell=checks.shell,
        base_passed=None if base is None else base == "passed",
    )
    ctx.runs.set_step(run.id, step.id, tests_at_base=f"{', '.join(tests)}: {probe.verdict}")
    return probe


def _is_bug_fix(ctx: PhaseContext, run: RunState, step: Step) -> bool:
    route = ctx.runs.read_json(run.id, "route.json") or {}
    return step.kind == "bug_fix" or route.get("route", {}).get("task_type") == "bug_fix"


def _check(ctx: PhaseContext, run: RunState, step: Step, checkout: workspace.Checkout) -> CheckResult:
    """Run the test command after the step (or a fix); the last verdict is the step's, for the reviewer."""
    assert run.test_cmd is not None
    checks = ctx.settings.checks
    result = run_check(run.test_cmd, checkout.path, timeout=checks.timeout, shell=checks.shell)
    ctx.runs.set_step(run.id, step.id, check_result=verdict(result))
    ctx.say(f"step {step.id}: check {verdict(result, short=True)} in {result.seconds:.1f}s")
    return result


def check_base(ctx: PhaseContext, run: RunState, checkout: workspace.Checkout) -> None:
    """Before the first step, while the checkout is still the base commit: how the tests stand without
    the run's changes, so that the reviewer can tell what the run broke from what was broken."""
    if not run.test_cmd or run.base_check is not None or workspace.head(checkout.path) != checkout.base:
        return
    checks = ctx.settings.checks
    result = run_check(run.test_cmd, checkout.path, timeout=checks.timeout, shell=checks.shell)
    ctx.runs.update(run.id, base_check=verdict(result))
    ctx.say(f"the check on the base commit {verdict(result, short=True)} in {result.seconds:.1f}s")


def verdict(result: CheckResult, *, short: bool = False) -> str:
    """passed / failed (exit N) / timed out, and for a failure its last line of output unless ``short``."""
    if result.passed:
        return "passed"
    said = "timed out" if result.timed_out else f"failed ({result.exit_code})"
    last = next((line.strip() for line in reversed(result.output.splitlines()) if line.strip()), "")
    return said if short or not last else f"{said}: {last[:200]}"


def _changed_since(checkout: workspace.Checkout, state: StepState) -> bool:
    """Has a person changed the tree since the step failed and left its work uncommitted?"""
    return bool(workspace.changed_paths(checkout.path)) and workspace.tree_fingerprint(checkout.path) != state.leftover


def _finish_by_hand(
    ctx: PhaseContext, run: RunState, step: Step, checkout: workspace.Checkout, state: StepState
) -> StepOutcome:
    """The user changed the failed step's files: check their work and commit it as the step."""
    ctx.say(f"step {step.id}: found your changes since it failed; checking them")
    if run.test_cmd:
        result = _check(ctx, run, step, checkout)
        if not result.passed:
            ctx.runs.set_step(run.id, step.id, leftover=workspace.tree_fingerprint(checkout.path))
            last = next((line for line in reversed(result.output.splitlines()) if line.strip()), "")
            raise StepFailed(
                f"step {step.id} ({step.title}): the check still fails with your changes ({last.strip()[:120]});"
                f" fix them and resume again",
                step_id=step.id,
            )
    touched = set(state.touched) | set(step.files)
    tracked = set(workspace.tracked_changes(checkout.path))
    paths = sorted(p for p in touched | tracked if (checkout.path / p).exists() or p in tracked)
    sha = workspace.commit_step(checkout.path, paths, step.title, run.id, step.id)
    ctx.runs.set_step(run.id, step.id, status=StepStatus.DONE, commit_sha=sha, error=None, leftover=None)
    return StepOutcome(step.id, sha, How.BY_HAND)


def _files(
    ctx: PhaseContext,
    checkout: workspace.Checkout,
    step: Step,
    touched: Iterable[str] = (),
    failure: Failure | None = None,
) -> str:
    """The files as the model sees them: those the step changes (and those its attempts touched), then
    those it reads; whole when small, else the parts the step names. In a fix, also the files the
    failure names, around the lines it names."""
    paths = list(dict.fromkeys([*step.files, *sorted(touched)]))
    reads = [path for path in step.reads if path not in paths]
    counter = counter_for(ctx.choice("implement").model)
    budget = ctx.settings.context.step_tokens
    step_text = f"{step.title}\n{step.description}\n{' '.join(step.acceptance)}"
    if failure is None:
        return step_context(checkout.path, paths, counter, budget=budget, step_text=step_text, reads=reads).text
    return failure_context(
        checkout.path, paths, counter, budget=budget, step_text=step_text, failure=failure, reads=reads
    ).text


def _earlier_changes(checkout: workspace.Checkout) -> str:
    """What the run's earlier steps changed, as a diffstat from its base: where the work stands."""
    if workspace.head(checkout.path) == checkout.base:
        return ""
    stat = workspace.git(checkout.path, "diff", "--stat=100", f"{checkout.base}..HEAD")
    return clip_lines(stat, head=EARLIER_FILES, tail=1)


def record_antipatterns(ctx: PhaseContext, run: RunState, plan: Plan, checkout: workspace.Checkout) -> None:
    """After the last step: what the steps did against what the plan asked, saved and said."""
    route = ctx.runs.read_json(run.id, "route.json")
    steps = ctx.runs.steps(run.id)
    changes = [antipatterns.step_change(checkout.path, s.commit_sha, s.step_id) for s in steps if s.commit_sha]
    limits = Thresholds(**ctx.settings.routing.thresholds.model_dump())
    efforts = {phase: effort.value for phase, effort in run.efforts.items()}
    # the effort each step's implementation ran at, from its calls in the ledger (the highest asked)
    used = implemented_at(ctx.runs.ledger.calls(run_id=run.id))
    step_efforts = {s.step_id: s.effort.value for s in steps if s.effort} | used
    reasons = {s.step_id: s.effort_reason or "" for s in steps}
    chosen = ((route or {}).get("chosen", {}).get("implement") or {}).get("reasons") or [""]
    if "set in the settings" in chosen[0]:  # the run's implement effort came from the settings, not the route
        reasons = {n: chosen[0] if "the run's implement effort" in why else why for n, why in reasons.items()}
    findings = [
        *antipatterns.oversized_steps(plan, changes, step_efforts, limits, reasons),
        *antipatterns.shallow_planning(route["route"] if route else {}, run.effort("plan"), plan),
        *antipatterns.never_switching(efforts, run.strategy, route, step_efforts),
    ]
    ctx.runs.save_json(run.id, "antipatterns.json", [f.to_json() for f in findings])
    for finding in findings:
        ctx.say(f"anti-pattern: {finding.title}: {finding.message}")


def implemented_at(calls: Iterable[dict[str, Any]]) -> dict[int, str]:
    """Each step's implementation effort, from the ledger's calls: the highest its implement calls were sent at."""
    found: dict[int, Effort] = {}
    for call in calls:
        effort = str(call.get("effort_sent") or call.get("effort_requested"))
        if call.get("phase") != "implement" or call.get("step") is None or effort not in set(Effort):
            continue
        step, level = int(call["step"]), Effort(effort)
        if step not in found or level.rank > found[step].rank:
            found[step] = level
    return {step: level.value for step, level in found.items()}
