"""A run of the method: plan at high effort, implement step by step at medium, review at high.

Every state change is written to the ledger before the next begins, and each step's commit
carries a trailer naming the step, so a run killed at any moment resumes with no step done
twice and none lost. Nothing here discards work: leftovers of an interrupted step are stashed.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from gearshift import antipatterns, workspace
from gearshift.checks import CheckResult, run_check, truncate_output
from gearshift.context.budget import map_budget
from gearshift.context.repomap import build_map
from gearshift.context.step_files import step_files_context
from gearshift.context.tokens import counter_for
from gearshift.edits import EditError, apply_edit_blocks, parse_edit_blocks
from gearshift.effort import Effort
from gearshift.errors import GearshiftError, ProviderError, UsageError
from gearshift.gateway import Budget, BudgetReached, CallSite, Gateway, estimate_tokens
from gearshift.ledger import Ledger
from gearshift.models import Provider, Request, make_provider
from gearshift.paths import state_dir
from gearshift.phases import implement as implement_phase
from gearshift.phases import plan as plan_phase
from gearshift.phases import review as review_phase
from gearshift.plan import Plan, parse_plan_markdown, render_plan_markdown
from gearshift.review import Review, render_review_markdown
from gearshift.routing import Thresholds, step_effort
from gearshift.settings import PHASES, Settings
from gearshift.triage import chosen_phases, classify_with_model, decide_route

Say = Callable[[str], None]


class StepFailed(GearshiftError):
    """A step could not be completed; the run stops with a way to continue."""


@dataclass(frozen=True)
class RunOptions:
    test_cmd: str | None = None
    worktree: bool = False


def new_run_id() -> str:
    return f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)


class Workflow:
    def __init__(
        self,
        root: Path,
        settings: Settings,
        ledger: Ledger,
        gateway: Gateway,
        *,
        environ: Mapping[str, str] | None = None,
        record_to: Path | None = None,
        say: Say | None = None,
        providers: Mapping[str, Provider] | None = None,
    ) -> None:
        self.root = root
        self.settings = settings
        self.ledger = ledger
        self.gateway = gateway
        self._environ = environ
        self._record_to = record_to
        self._say: Say = say or (lambda message: None)
        # ready-made providers by name (a library user's own model); others are made from settings
        self._providers: dict[str, Provider] = dict(providers or {})

    # --- the whole method ------------------------------------------------------------------

    def run(self, task: str, options: RunOptions, approve: Callable[[str, Path], bool]) -> str:
        """Plan, ask for approval, implement, review. Returns the run id."""
        if not options.worktree:
            workspace.refuse_uncommitted(self.root)  # before the plan is paid for, not after
        run_id = self.plan(task, options)
        plan_md = self.run_dir(run_id) / "plan.md"
        if not approve(plan_md.read_text(encoding="utf-8"), plan_md):
            self._say(f"stopped after the plan; edit {plan_md} if you like, then: gearshift implement {run_id}")
            return run_id
        self.implement(run_id)
        self.review(run_id)
        return run_id

    def resume(self, run_id: str) -> None:
        status = self.get_run(run_id)["status"]
        if status == "done":
            self._say(f"run {run_id} is done; nothing to resume")
            return
        if status == "undone":
            raise UsageError(f"run {run_id} was undone; start a new run instead")
        if status == "planning" or not (self.run_dir(run_id) / "plan.md").exists():
            self._make_plan(run_id)  # interrupted, or failed, before a plan was saved
        if status not in ("implemented", "reviewing"):
            self.implement(run_id)
        self.review(run_id)

    # --- phase 1: plan ------------------------------------------------------------------

    def plan(self, task: str, options: RunOptions) -> str:
        if not task.strip():
            raise UsageError('the task is empty: say what to build, e.g. gearshift run "Add a --json flag"')
        run_id = new_run_id()
        budget = self.settings.budget
        self.ledger.create_run(
            id=run_id,
            task=task.strip(),
            strategy=self.settings.strategy,
            status="planning",
            repo_root=str(self.root),
            worktree=int(options.worktree),
            efforts=json.dumps({phase: self.settings.for_phase(phase).effort.value for phase in PHASES}),
            test_cmd=options.test_cmd or self.settings.checks.test_cmd,
            max_tokens=budget.max_tokens,
            max_usd=budget.max_usd,
        )
        self._route(run_id, task.strip())
        self._make_plan(run_id)
        return run_id

    def _route(self, run_id: str, task: str) -> None:
        """Decide the run's efforts (the route, or the fixed strategy with what it overrode); keep the reasons."""
        classification = None
        if self.settings.routing.classifier == "model":
            provider = self._provider(self.settings.for_phase("classify").provider)
            classification = classify_with_model(task, self.settings, self.gateway, provider, run_id)
        decided = decide_route(task, self.root, self.settings, classification=classification)
        phases = chosen_phases(decided, self.settings)
        efforts = {phase: self.settings.for_phase(phase).effort.value for phase in PHASES}
        efforts.update({name: chosen.effort.value for name, chosen in phases.items()})
        self.ledger.update_run(run_id, efforts=json.dumps(efforts))
        chosen = {name: {"effort": p.effort.value, "reasons": p.reasons} for name, p in phases.items()}
        record = {"strategy": self.settings.strategy, "route": decided.to_json(), "chosen": chosen}
        write_atomic(self.run_dir(run_id) / "route.json", json.dumps(record, indent=2))
        summary = ", ".join(f"{name} {p.effort}" for name, p in phases.items())
        self._say(f"route: {decided.task_type}; {summary} (strategy {self.settings.strategy})")

    def _make_plan(self, run_id: str) -> None:
        run = self._start(run_id)
        choice = self.settings.for_phase("plan")
        self._say(f"planning at {self._effort('plan', run)} effort ...")
        route = self.route_record(run_id)
        repo_map = build_map(
            self.root,
            run["task"],
            cache_path=state_dir(self.root) / "cache" / "index.db",
            budget=map_budget(self.settings),
            model=choice.model,
        )
        request = plan_phase.build_request(
            run["task"],
            repo_map.render(),
            choice.model,
            self._effort("plan", run),
            one_step=bool(route and route["route"]["facts"].get("trivial")),
        )
        try:
            plan = plan_phase.make_plan(self.gateway, self._provider(choice.provider), request, run_id)
        except ValueError as exc:
            self._fail(run_id, f"plan phase: {exc}; run again, or plan at a higher effort")
        except GearshiftError as exc:
            self._fail(run_id, f"plan phase: {exc.message}", exc)
        self._save_plan(run_id, plan, run["task"], markdown=True)
        self.ledger.update_run(run_id, status="planned", message=None)
        self._say(f"plan: {len(plan.steps)} steps, saved to {self.run_dir(run_id) / 'plan.md'}")

    # --- phase 2: implement ----------------------------------------------------------------

    def implement(self, run_id: str) -> None:
        run = self._start(run_id)
        if run["status"] in ("planning", "undone"):
            raise UsageError(f"run {run_id} has no plan to implement (status {run['status']})")
        if run["status"] == "done":
            raise UsageError(f"run {run_id} is already implemented and reviewed; start a new run for more work")
        with self._lock(run):
            plan = self._reconcile_plan(run)
            checkout = self._checkout(run)
            self.ledger.update_run(run_id, status="implementing", message=None)
            try:
                for step in plan.steps:
                    self._implement_step(run, plan, step, checkout)
            except BudgetReached as exc:
                self._stop(
                    run_id,
                    f"{exc.message}; the run stopped at a step boundary."
                    f" Continue with a larger budget: gearshift resume {run_id} --max-tokens N",
                )
            except StepFailed as exc:
                self._fail(run_id, exc.message, exc)
            except ProviderError as exc:
                self._fail(run_id, f"{exc.message}; when that is fixed: gearshift resume {run_id}", exc)
            self._record_antipatterns(self.get_run(run_id), plan, checkout)
        self.ledger.update_run(run_id, status="implemented", message=None)

    def _implement_step(self, run: dict[str, Any], plan: Plan, step: Any, checkout: workspace.Checkout) -> None:
        run_id = run["id"]
        rows = {row["step_id"]: row for row in self.ledger.steps(run_id)}
        row = rows.get(step.id, {})
        if row.get("status") == "done":
            return
        committed = workspace.committed_steps(checkout.path, run["base_commit"], run_id)
        if step.id in committed:  # killed after the commit but before it was written down
            self.ledger.set_step(run_id, step.id, title=step.title, status="done", commit_sha=committed[step.id])
            return
        if row.get("status") == "failed" and row.get("leftover") and self._changed_since_failure(checkout, row):
            self._finish_by_hand(run, step, checkout, row)
            return
        interrupted = row.get("status") in ("running", "failed")
        if interrupted and workspace.stash_leftovers(
            checkout.path, f"gearshift: leftovers of step {step.id} of {run_id}"
        ):
            self._say(f"step {step.id}: set aside the leftovers of the last attempt in `git stash`")
        effort, reason = self._step_effort(run, step)
        choice = self.settings.for_phase("implement")
        request = implement_phase.build_step_request(
            run["task"], plan, step, self._files(checkout, step.files, step), choice.model, effort
        )
        # the step boundary: stop here, before the step starts, if the budget cannot cover its first call
        self.gateway.check_budget(run_id, estimate_tokens(request.instructions + request.input))
        self._say(f"step {step.id}/{len(plan.steps)}: {step.title} (implement at {effort})")
        self.ledger.set_step(
            run_id,
            step.id,
            title=step.title,
            status="running",
            effort=effort.value,
            effort_reason=reason,
            attempts=int(row.get("attempts", 0)) + 1,
            error=None,
            leftover=None,
        )
        try:
            touched = set(self._apply_with_retries(run, step, request, "implement", choice.provider, checkout))
            self.ledger.set_step(run_id, step.id, touched=json.dumps(sorted(touched)))
            touched |= self._check_and_fix(run, plan, step, checkout, touched)
        except BudgetReached:
            # reached inside the step (a fix): undo the step's partial work, keeping it in the stash
            workspace.stash_leftovers(checkout.path, f"gearshift: step {step.id} of {run_id}, stopped by the budget")
            self.ledger.set_step(run_id, step.id, status="pending")
            raise
        sha = workspace.commit_step(checkout.path, sorted(touched), step.title, run_id, step.id)
        self.ledger.set_step(run_id, step.id, status="done", commit_sha=sha, touched=json.dumps(sorted(touched)))

    def _step_effort(self, run: dict[str, Any], step: Any) -> tuple[Effort, str]:
        return step_effort(
            self._effort("implement", run),
            step.security_critical,
            step.ambiguities,
            auto=run["strategy"] == "auto",
            strategy=run["strategy"],
        )

    def _record_antipatterns(self, run: dict[str, Any], plan: Plan, checkout: workspace.Checkout) -> None:
        efforts = json.loads(run["efforts"])
        route = self.route_record(run["id"])
        rows = self.ledger.steps(run["id"])
        changes = [
            antipatterns.step_change(checkout.path, row["commit_sha"], row["step_id"])
            for row in rows
            if row["commit_sha"]
        ]
        limits = self.settings.routing.thresholds
        findings = [
            *antipatterns.oversized_steps(
                plan, changes, {r["step_id"]: r["effort"] for r in rows}, Thresholds(**limits.model_dump())
            ),
            *antipatterns.shallow_planning(route["route"] if route else {}, Effort(efforts["plan"]), plan),
            *antipatterns.never_switching(efforts),
        ]
        write_atomic(
            self.run_dir(run["id"]) / "antipatterns.json", json.dumps([f.to_json() for f in findings], indent=2)
        )
        for finding in findings:
            self._say(f"anti-pattern: {finding.title}: {finding.message}")

    def route_record(self, run_id: str) -> dict[str, Any] | None:
        path = self.run_dir(run_id) / "route.json"
        try:
            record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return record

    def _apply_with_retries(
        self,
        run: dict[str, Any],
        step: Any,
        request: Request,
        phase: str,
        provider: str,
        checkout: workspace.Checkout,
    ) -> list[str]:
        """Ask for edits and apply them all or none; a reply that does not apply goes back with the reason."""
        attempt_request = request
        tries = self.settings.checks.edit_retries
        for _ in range(tries):
            reply = self.gateway.call(
                self._provider(provider), attempt_request, CallSite(phase=phase, run_id=run["id"], step=step.id)
            )
            try:
                return apply_edit_blocks(checkout.path, parse_edit_blocks(reply.text))
            except EditError as exc:
                problem = str(exc)
                attempt_request = implement_phase.build_retry_request(request, reply.text, problem)
        first_line = problem.splitlines()[0]
        self.ledger.set_step(run["id"], step.id, status="failed", error=first_line, leftover=None)
        raise StepFailed(
            f"step {step.id} ({step.title}): the model's edits did not apply after {tries} tries ({first_line})."
            f" Nothing was changed. Reword the step in {self.run_dir(run['id']) / 'plan.md'} or make the change"
            f" by hand and commit it, then: gearshift resume {run['id']}"
        )

    def _check_and_fix(
        self, run: dict[str, Any], plan: Plan, step: Any, checkout: workspace.Checkout, touched: set[str]
    ) -> set[str]:
        command = run["test_cmd"]
        if not command:
            return set()
        result = self._check(run, step, checkout)
        added: set[str] = set()
        attempts = self.settings.checks.fix_attempts
        choice = self.settings.for_phase("fix")
        for attempt in range(1, attempts + 1):
            if result.passed:
                return added
            # fix at the fix effort first; after a failed fix, think harder
            effort = self._effort("fix", run)
            if attempt > 1 and effort.rank < Effort.HIGH.rank:
                effort = Effort.HIGH
            self._say(f"step {step.id}: the check failed; fix attempt {attempt}/{attempts} at {effort}")
            files = self._files(checkout, sorted(set(step.files) | touched | added), step)
            request = implement_phase.build_fix_request(run["task"], plan, step, files, result, choice.model, effort)
            added |= set(self._apply_with_retries(run, step, request, "fix", choice.provider, checkout))
            self.ledger.set_step(run["id"], step.id, touched=json.dumps(sorted(touched | added)))
            result = self._check(run, step, checkout)
        if result.passed:
            return added
        log = self.run_dir(run["id"]) / f"step-{step.id}-check.txt"
        write_atomic(log, result.output)
        self.ledger.set_step(
            run["id"],
            step.id,
            status="failed",
            error=f"check failed: {result.command}",
            leftover=workspace.tree_fingerprint(checkout.path),
        )
        raise StepFailed(
            f"step {step.id} ({step.title}): the check still fails after {attempts} fix attempts (output in {log})."
            f" Its changes are left uncommitted in {checkout.path}: fix them by hand and run"
            f" gearshift resume {run['id']}; or edit the step in plan.md and resume to try it afresh"
        )

    def _check(self, run: dict[str, Any], step: Any, checkout: workspace.Checkout) -> CheckResult:
        checks = self.settings.checks
        result = run_check(run["test_cmd"], checkout.path, timeout=checks.timeout, shell=checks.shell)
        verdict = "passed" if result.passed else ("timed out" if result.timed_out else f"failed ({result.exit_code})")
        self._say(f"step {step.id}: check {verdict} in {result.seconds:.1f}s")
        return result

    def _changed_since_failure(self, checkout: workspace.Checkout, row: dict[str, Any]) -> bool:
        return (
            bool(workspace.changed_paths(checkout.path))
            and workspace.tree_fingerprint(checkout.path) != row["leftover"]
        )

    def _finish_by_hand(
        self, run: dict[str, Any], step: Any, checkout: workspace.Checkout, row: dict[str, Any]
    ) -> None:
        """The user changed the failed step's files: check their work and commit it as the step."""
        self._say(f"step {step.id}: found your changes since it failed; checking them")
        if run["test_cmd"]:
            result = self._check(run, step, checkout)
            if not result.passed:
                self.ledger.set_step(run["id"], step.id, leftover=workspace.tree_fingerprint(checkout.path))
                last = next((line for line in reversed(result.output.splitlines()) if line.strip()), "")
                raise StepFailed(
                    f"step {step.id} ({step.title}): the check still fails with your changes ({last.strip()[:120]});"
                    f" fix them and resume again"
                )
        touched = set(json.loads(row.get("touched") or "[]")) | set(step.files)
        tracked = set(workspace.tracked_changes(checkout.path))
        paths = sorted(p for p in touched | tracked if (checkout.path / p).exists() or p in tracked)
        sha = workspace.commit_step(checkout.path, paths, step.title, run["id"], step.id)
        self.ledger.set_step(run["id"], step.id, status="done", commit_sha=sha, error=None, leftover=None)

    # --- phase 3: review --------------------------------------------------------------------

    def review(self, run_id: str) -> Review:
        run = self._start(run_id)
        if not run["base_commit"]:
            raise UsageError(f"run {run_id} has not been implemented yet: gearshift implement {run_id}")
        plan = self.load_plan(run_id)
        with self._lock(run):
            checkout = self._checkout(run)
            self.ledger.update_run(run_id, status="reviewing", message=None)
            choice = self.settings.for_phase("review")
            checks = "(no test command configured)"
            if run["test_cmd"]:
                result = run_check(
                    run["test_cmd"],
                    checkout.path,
                    timeout=self.settings.checks.timeout,
                    shell=self.settings.checks.shell,
                )
                checks = f"$ {result.command}\n{'passed' if result.passed else 'FAILED'}\n"
                checks += truncate_output(result.output, head=10, tail=30)
            diff = workspace.diff(checkout.path, run["base_commit"])
            self._say(f"reviewing at {self._effort('review', run)} effort ...")
            request = review_phase.build_request(
                run["task"], plan, diff, checks, choice.model, self._effort("review", run)
            )
            try:
                review = review_phase.make_review(self.gateway, self._provider(choice.provider), request, run_id)
            except ValueError as exc:
                self._fail(run_id, f"review phase: {exc}; run gearshift review {run_id} again")
            except GearshiftError as exc:
                self._fail(run_id, f"review phase: {exc.message}; then: gearshift review {run_id}", exc)
            directory = self.run_dir(run_id)
            write_atomic(directory / "review.json", review.model_dump_json(indent=2))
            write_atomic(directory / "review.md", render_review_markdown(review, plan))
            self.ledger.update_run(run_id, status="done", message=None)
        self._say(f"review saved to {directory / 'review.md'}")
        return review

    # --- undo -------------------------------------------------------------------------------

    def undo(self, run_id: str) -> str:
        run = self.get_run(run_id)
        if not run["branch"]:
            raise UsageError(f"run {run_id} has not changed anything: it has no branch yet")
        with self._lock(run):
            old = workspace.reset_branch(self.root, Path(run["checkout"]), run["branch"], run["base_commit"], run_id)
            self.ledger.update_run(run_id, status="undone", message=None)
            for row in self.ledger.steps(run_id):
                self.ledger.set_step(run_id, row["step_id"], status="pending", commit_sha=None)
        return old

    # --- state ------------------------------------------------------------------------------

    def run_dir(self, run_id: str) -> Path:
        return state_dir(self.root) / "runs" / run_id

    def get_run(self, run_id: str) -> dict[str, Any]:
        run = self.ledger.get_run(run_id)
        if run is None:
            raise UsageError(f"no run {run_id!r}; `gearshift runs` lists them")
        return run

    def load_plan(self, run_id: str) -> Plan:
        """The plan being implemented (plan.json), as frozen when implementation began."""
        path = self.run_dir(run_id) / "plan.json"
        if not path.exists():
            raise UsageError(f"run {run_id} has no plan yet; gearshift resume {run_id} makes one")
        return Plan.model_validate_json(path.read_text(encoding="utf-8"))

    def _start(self, run_id: str) -> dict[str, Any]:
        run = self.get_run(run_id)
        if run["max_tokens"] or run["max_usd"]:
            self.gateway.budgets[run_id] = Budget(max_tokens=run["max_tokens"], max_usd=run["max_usd"])
        return run

    def _save_plan(self, run_id: str, plan: Plan, task: str, *, markdown: bool) -> None:
        directory = self.run_dir(run_id)
        write_atomic(directory / "plan.json", plan.model_dump_json(indent=2))
        if markdown:
            write_atomic(directory / "plan.md", render_plan_markdown(plan, task))

    def _reconcile_plan(self, run: dict[str, Any]) -> Plan:
        """Read plan.md (a person may have edited it); steps already done keep their place."""
        path = self.run_dir(run["id"]) / "plan.md"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        plan = parse_plan_markdown(text, source=str(path))
        rows = self.ledger.steps(run["id"])
        done = [row for row in rows if row["status"] == "done"]
        if len(plan.steps) < len(done):
            raise UsageError(
                f"{path} has {len(plan.steps)} steps but {len(done)} are already done; keep the done steps"
            )
        self._save_plan(run["id"], plan, run["task"], markdown=False)
        self.ledger.delete_steps_from(run["id"], len(plan.steps) + 1)
        for step in plan.steps[len(done) :]:
            self.ledger.set_step(run["id"], step.id, title=step.title, status=_keep_status(rows, step.id))
        return plan

    def _checkout(self, run: dict[str, Any]) -> workspace.Checkout:
        if run["branch"]:
            path = Path(run["checkout"])
            if not path.exists():
                raise UsageError(f"the run's checkout {path} is gone; start a new run")
            if not run["worktree"] and workspace.current_branch(path) != run["branch"]:
                if workspace.tracked_changes(path):  # switching would carry them along: refuse
                    raise UsageError(
                        f"run {run['id']} works on branch {run['branch']}, and this checkout has uncommitted"
                        " changes on another branch; commit or stash them first"
                    )
                workspace.git(path, "switch", "-q", run["branch"])
            return workspace.Checkout(path, run["branch"], run["base_commit"], bool(run["worktree"]))
        checkout = workspace.start_run_checkout(self.root, run["id"], use_worktree=bool(run["worktree"]))
        self.ledger.update_run(
            run["id"], branch=checkout.branch, base_commit=checkout.base, checkout=str(checkout.path)
        )
        run.update(branch=checkout.branch, base_commit=checkout.base, checkout=str(checkout.path))
        self._say(f"working on branch {checkout.branch} in {checkout.path}")
        return checkout

    @contextmanager
    def _lock(self, run: dict[str, Any]) -> Iterator[None]:
        from filelock import FileLock, Timeout

        key = run["id"] if run["worktree"] else "checkout"
        path = state_dir(self.root) / "locks" / f"{key}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        holder = path.with_suffix(".holder")
        lock = FileLock(str(path), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            other = holder.read_text(encoding="utf-8").strip() if holder.exists() else "another run"
            raise UsageError(f"{other} is working in this checkout; wait for it to finish, or use --worktree") from None
        try:
            holder.write_text(f"gearshift run {run['id']} (pid {os.getpid()})", encoding="utf-8")
            yield
        finally:
            lock.release()

    def _provider(self, name: str) -> Provider:
        # one instance per provider for the whole workflow: a replay transcript is read in order
        if name not in self._providers:
            self._providers[name] = make_provider(name, self.settings, environ=self._environ, record_to=self._record_to)
        return self._providers[name]

    def _effort(self, phase: str, run: dict[str, Any]) -> Effort:
        return Effort(json.loads(run["efforts"])[phase])

    def _files(self, checkout: workspace.Checkout, paths: list[str], step: Any = None) -> str:
        model = self.settings.for_phase("implement").model
        step_text = f"{step.title}\n{step.description}\n{' '.join(step.acceptance)}" if step is not None else ""
        return step_files_context(
            checkout.path, paths, counter_for(model), budget=self.settings.context.step_tokens, step_text=step_text
        )

    def _fail(self, run_id: str, message: str, cause: Exception | None = None) -> NoReturn:
        self.ledger.update_run(run_id, status="failed", message=message)
        raise GearshiftError(message) from cause

    def _stop(self, run_id: str, message: str) -> NoReturn:
        self.ledger.update_run(run_id, status="stopped", message=message)
        raise GearshiftError(message)


def _keep_status(rows: list[dict[str, Any]], step_id: int) -> str:
    for row in rows:
        if row["step_id"] == step_id and row["status"] in ("running", "failed"):
            return str(row["status"])
    return "pending"
