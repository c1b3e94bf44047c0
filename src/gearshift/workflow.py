"""A run of the method, as a state machine: route and plan, implement step by step, review.

The phases do the work (gearshift.phases); this module decides which comes next, holds the lock,
and turns what a phase raised into the run's recorded status. Every state change is written to
the ledger before the next begins, and each step's commit carries a trailer naming the step, so
a run killed at any moment resumes with no step done twice and none lost.

    with Workflow.open("path/to/repo") as workflow:
        result = workflow.run("Add a --json flag to `list`", RunOptions(test_cmd="pytest -q"))
        print(result.status, result.total_tokens)
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gearshift import checkout as run_checkout
from gearshift import followup, telemetry, workspace
from gearshift.checks import validate_command
from gearshift.effort import Effort
from gearshift.errors import BudgetReached, GearshiftError, ProviderError, ReplyFormatError, StepFailed, UsageError
from gearshift.gateway import Budget, CallSite, Gateway, Progress
from gearshift.ledger import Ledger
from gearshift.models import Provider, make_provider
from gearshift.models.base import reports_cost
from gearshift.phases import PhaseContext, Say
from gearshift.phases import implement as implement_phase
from gearshift.phases import plan as plan_phase
from gearshift.phases import review as review_phase
from gearshift.phases import route as route_phase
from gearshift.plan import Plan
from gearshift.pricing import has_price
from gearshift.review import Review
from gearshift.runs import RunResult, RunState, RunStatus, RunStore, StepStatus, new_run_id
from gearshift.settings import Settings, load_settings
from gearshift.strategies import PHASES

# Shown the plan (markdown) and where it is saved; True implements it.
Approve = Callable[[str, Path], bool]

# a run in one of these was working when Ctrl-C came; in any other it was between phases, and stays so
WORKING = (RunStatus.PLANNING, RunStatus.IMPLEMENTING, RunStatus.REVIEWING)


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run, raised once the run's state is recorded: ``interrupted`` if it was working
    (``gearshift resume`` goes on), else as it was; its checks are stopped (gearshift.checks)."""

    def __init__(self, run_id: str, status: RunStatus) -> None:
        super().__init__(run_id)
        self.run_id = run_id
        self.status = status


@dataclass(frozen=True)
class RunOptions:
    """What one run may set over the settings."""

    test_cmd: str | None = None  # run after every step; default: checks.test_cmd
    worktree: bool = False  # work in a separate git worktree, leaving the checkout alone
    strategy: str | None = None  # a named strategy or "auto"; default: the settings' strategy
    efforts: Mapping[str, Effort] = field(default_factory=dict)  # phase -> effort, over the strategy
    max_tokens: int | None = None
    max_usd: float | None = None
    base: str | None = None  # the commit the run starts from; default: HEAD


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
        providers: Provider | Mapping[str, Provider] | None = None,
    ) -> None:
        """``providers``: one Provider for every phase, or ready-made providers by name (a library
        user's own model); phases whose provider is not given are served as the settings say."""
        self.root = root
        self.settings = settings
        self.ledger = ledger
        self.gateway = gateway
        # a cost budget is checked against prices: the settings' own, unless the gateway was given others
        gateway.prices = {**settings.pricing, **gateway.prices}
        gateway.keep_text = gateway.keep_text and settings.ledger.keep_text
        telemetry.attach(gateway, settings)  # call spans, when traces are asked for (set up once per process)
        self.runs = RunStore(root, ledger)
        self._environ = environ
        self._record_to = record_to
        self._say: Say = say or (lambda message: None)
        self._only: Provider | None = None if providers is None or isinstance(providers, Mapping) else providers
        self._providers: dict[str, Provider] = dict(providers) if isinstance(providers, Mapping) else {}

    @classmethod
    @contextmanager
    def open(
        cls,
        root: str | Path = ".",
        *,
        settings: Settings | None = None,
        providers: Provider | Mapping[str, Provider] | None = None,
        say: Say | None = None,
        progress: Progress | None = None,
        ledger_path: Path | None = None,
        record_to: Path | None = None,
    ) -> Iterator[Workflow]:
        """A workflow for the git repository at or above ``root``: its settings (loaded as the CLI
        loads them unless given) and its ledger, closed on exit."""
        from gearshift.paths import default_db_path

        repo = workspace.repo_root(Path(root).resolve())
        chosen = settings if settings is not None else load_settings(cwd=repo).settings
        with Ledger(ledger_path or default_db_path(repo)) as ledger:
            on_masked = _say_masked(say) if say is not None else None
            gateway = Gateway(ledger, progress=progress, on_masked=on_masked)
            yield cls(repo, chosen, ledger, gateway, say=say, providers=providers, record_to=record_to)

    # --- the whole method ---------------------------------------------------------------------

    def run(self, task: str, options: RunOptions | None = None, approve: Approve | None = None) -> RunResult:
        """Plan, ask ``approve`` (default: yes), implement, review."""
        with telemetry.run("run"):
            return self._carry_out(self.plan(task, options or RunOptions()), approve)

    def followup(self, run_id: str, options: RunOptions | None = None, approve: Approve | None = None) -> RunResult:
        """A new run on top of this run's branch whose task is what its review found still to do (steps
        missing, partial or deviated; high or critical issues), planned one effort level above this
        run's plan, the reason recorded: the seed's "xhigh when high planning missed something"."""
        options = options or RunOptions()
        wanted = followup.prepare(self.root, self.runs, run_id)
        efforts = {**options.efforts, "plan": wanted.plan_effort}
        with telemetry.run("followup"):
            new_id = self.plan(wanted.task, replace(options, efforts=efforts, base=wanted.base))
            self.runs.save_json(new_id, "followup.json", wanted.record(run_id))
            self._say(f"follow-up of {run_id}: plan at {wanted.plan_effort}, because {wanted.reason}")
            return self._carry_out(new_id, approve)

    def _carry_out(self, run_id: str, approve: Approve | None) -> RunResult:
        """A planned run: ask ``approve`` (default: yes), implement, review."""
        plan_md = self.runs.plan_markdown_path(run_id)
        with _interruptible(self.runs, run_id):
            if approve is not None and not approve(plan_md.read_text(encoding="utf-8"), plan_md):
                self._say(f"stopped after the plan; edit {plan_md} if you like, then: gearshift implement {run_id}")
                return self.result(run_id)
            self.implement(run_id)
            self.review(run_id)
        return self.result(run_id)

    def resume(self, run_id: str, *, max_tokens: int | None = None, max_usd: float | None = None) -> RunResult:
        """Continue where the run stopped; a larger budget may be given."""
        if max_usd is not None:
            self._refuse_unpriced(self.settings)
        if max_tokens is not None or max_usd is not None:
            current = self.get_run(run_id)
            self.runs.update(
                run_id,
                max_tokens=max_tokens if max_tokens is not None else current.max_tokens,
                max_usd=max_usd if max_usd is not None else current.max_usd,
            )
        status = self.get_run(run_id).status
        if status == RunStatus.DONE:
            self._say(f"run {run_id} is done; nothing to resume")
            return self.result(run_id)
        if status == RunStatus.UNDONE:
            raise UsageError(f"run {run_id} was undone; start a new run instead")
        with _interruptible(self.runs, run_id), telemetry.run("resume"):
            if status == RunStatus.PLANNING or not self.runs.has_plan(run_id):
                self._plan(self._start(run_id))  # interrupted, or failed, before a plan was saved
            if status not in (RunStatus.IMPLEMENTED, RunStatus.REVIEWING):
                self.implement(run_id)  # steps already done stay done
            self.review(run_id)
        return self.result(run_id)

    # --- phase 1: route and plan ----------------------------------------------------------------

    def plan(self, task: str, options: RunOptions | None = None) -> str:
        """Route the task and make its plan; returns the new run's id."""
        options = options or RunOptions()
        if not task.strip():
            raise UsageError('the task is empty: say what to build, e.g. gearshift run "Add a --json flag"')
        settings = _settings_for(self.settings, options)
        test_cmd = options.test_cmd or settings.checks.test_cmd
        self._preflight(
            settings, worktree=options.worktree, max_usd=options.max_usd or settings.budget.max_usd, test_cmd=test_cmd
        )
        run_id = new_run_id()
        self.runs.create(
            run_id,
            task=task.strip(),
            strategy=settings.strategy,
            status=RunStatus.PLANNING,
            repo_root=self.root,
            worktree=options.worktree,
            efforts={phase: settings.for_phase(phase).effort for phase in PHASES},
            test_cmd=test_cmd,
            base_commit=options.base,
            max_tokens=options.max_tokens or settings.budget.max_tokens,
            max_usd=options.max_usd or settings.budget.max_usd,
        )
        run = self._start(run_id)
        context = self.context(settings)
        with _interruptible(self.runs, run_id), telemetry.run("plan"):
            with telemetry.phase("route", run), self._failures(run_id, _plan_failure):
                run = route_phase.decide(context, run)
            self._plan(run, context)
        return run_id

    def _preflight(self, settings: Settings, *, worktree: bool, max_usd: float | None, test_cmd: str | None) -> None:
        """Refuse now, before anything is paid for, what would stop the run later."""
        workspace.preflight(self.root, use_worktree=worktree)
        if test_cmd:
            validate_command(test_cmd, shell=settings.checks.shell)
        if not worktree:
            run_checkout.refuse_if_locked(self.root)
        if max_usd is not None:
            self._refuse_unpriced(settings)

    def _refuse_unpriced(self, settings: Settings) -> None:
        """A cost budget holds only where every call has a price: refuse it where one would not."""
        for phase in ("plan", "implement", "fix", "review"):
            choice = settings.for_phase(phase)
            price, provider = settings.pricing.get(choice.model), self._provider(choice.provider)
            if not reports_cost(provider) and not has_price(choice.model, provider.billing, price):
                raise UsageError(
                    f"--max-usd needs prices, and the price of {choice.model} ({phase} phase) is unknown;"
                    f' give it one in the settings ([pricing."{choice.model}"] input = ..., output = ...,'
                    " USD per million tokens) or budget with --max-tokens instead"
                )

    def _plan(self, run: RunState, context: PhaseContext | None = None) -> Plan:
        with telemetry.phase("plan", run), self._failures(run.id, _plan_failure):
            return plan_phase.make_plan(context or self.context(), run)

    # --- phase 2: implement ---------------------------------------------------------------------

    def implement(self, run_id: str) -> None:
        """Implement the run's plan (plan.md as it is now), step by step."""
        run = self._start(run_id)
        if run.status in (RunStatus.PLANNING, RunStatus.UNDONE):
            raise UsageError(f"run {run_id} has no plan to implement (status {run.status})")
        if run.status == RunStatus.DONE:
            raise UsageError(f"run {run_id} is already implemented and reviewed; start a new run for more work")
        if not self.runs.has_plan(run_id):  # interrupted while it planned
            raise UsageError(f"run {run_id} has no plan yet; gearshift resume {run_id} makes one and goes on")
        context = self.context()
        with _interruptible(self.runs, run_id), run_checkout.lock(context, run), telemetry.phase("implement", run):
            plan = self._reconcile_plan(run)
            checkout, run = run_checkout.prepare(context, run)
            self.runs.update(run_id, status=RunStatus.IMPLEMENTING, message=None)
            implement_phase.check_base(context, run, checkout)
            with self._failures(run_id, _step_failure(run_id)):
                for step in plan.steps:
                    with telemetry.step(run, step.id):
                        implement_phase.implement_step(context, run, plan, step, checkout)
            implement_phase.record_antipatterns(context, self.get_run(run_id), plan, checkout)
        self.runs.update(run_id, status=RunStatus.IMPLEMENTED, message=None)

    def _reconcile_plan(self, run: RunState) -> Plan:
        """Read plan.md (a person may have edited it); steps already done keep their place."""
        plan = self.runs.read_plan_markdown(run.id)
        steps = self.runs.steps(run.id)
        done = [s for s in steps if s.status == StepStatus.DONE]
        if len(plan.steps) < len(done):
            raise UsageError(
                f"{self.runs.plan_markdown_path(run.id)} has {len(plan.steps)} steps but {len(done)} are"
                " already done; keep the done steps"
            )
        self.runs.save_plan(run.id, plan, run.task, markdown=False)
        self.ledger.delete_steps_from(run.id, len(plan.steps) + 1)
        interrupted = {s.step_id: s.status for s in steps if s.status in (StepStatus.RUNNING, StepStatus.FAILED)}
        for step in plan.steps[len(done) :]:
            status = interrupted.get(step.id, StepStatus.PENDING)
            self.runs.set_step(run.id, step.id, title=step.title, status=status)
        return plan

    # --- phase 3: review ------------------------------------------------------------------------

    def review(self, run_id: str) -> Review:
        run = self._start(run_id)
        if not run.base_commit:
            raise UsageError(f"run {run_id} has not been implemented yet: gearshift implement {run_id}")
        plan = self.runs.load_plan(run_id)
        context = self.context()
        with _interruptible(self.runs, run_id), run_checkout.lock(context, run), telemetry.phase("review", run):
            checkout, run = run_checkout.prepare(context, run)
            self.runs.update(run_id, status=RunStatus.REVIEWING, message=None)
            with self._failures(run_id, _review_failure(run_id)):
                return review_phase.make_review(context, run, plan, checkout)

    # --- undo -----------------------------------------------------------------------------------

    def undo(self, run_id: str) -> str:
        """Put the run's branch back to its base; returns the commit the undone work is kept at."""
        run = self.get_run(run_id)
        if run.status == RunStatus.UNDONE:
            raise UsageError(f"run {run_id} is undone already; its work is kept at refs/gearshift/undone/{run_id}")
        if not run.branch or not run.checkout or not run.base_commit:
            raise UsageError(f"run {run_id} has not changed anything: it has no branch yet")
        with run_checkout.lock(self.context(), run):
            old = workspace.reset_branch(self.root, run.checkout, run.branch, run.base_commit, run_id)
            self.runs.update(run_id, status=RunStatus.UNDONE, message=None)
            for step in self.runs.steps(run_id):
                self.runs.set_step(run_id, step.step_id, status=StepStatus.PENDING, commit_sha=None)
        return old

    # --- state ----------------------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunState:
        return self.runs.get(run_id)

    def result(self, run_id: str) -> RunResult:
        return self.runs.result(run_id)

    def run_dir(self, run_id: str) -> Path:
        return self.runs.directory(run_id)

    def load_plan(self, run_id: str) -> Plan:
        return self.runs.load_plan(run_id)

    def _start(self, run_id: str) -> RunState:
        run = self.get_run(run_id)
        if run.max_tokens or run.max_usd:
            self.gateway.budgets[run_id] = Budget(max_tokens=run.max_tokens, max_usd=run.max_usd)
        return run

    @contextmanager
    def _failures(self, run_id: str, wording: Callable[[GearshiftError], str | None]) -> Iterator[None]:
        """Record what a phase raised as the run's status and message, then raise that same exception,
        reworded with the way forward. The budget stops a run; what ``wording`` words fails it; an
        error it gives no words for (git, the lock) leaves the run where it was."""
        try:
            yield
        except BudgetReached as exc:
            message = (
                f"{exc.message}; the run stopped at a step boundary."
                f" Continue with a larger budget: gearshift resume {run_id} --max-tokens N"
            )
            self.runs.update(run_id, status=RunStatus.STOPPED, message=message)
            raise exc.reword(message) from None
        except GearshiftError as exc:
            failure = wording(exc)
            if failure is None:
                raise
            self.runs.update(run_id, status=RunStatus.FAILED, message=failure)
            raise exc.reword(failure) from None

    def context(self, settings: Settings | None = None) -> PhaseContext:
        """What the phases work with, this workflow's providers serving them: for a phase run on its own."""
        return PhaseContext(self.root, settings or self.settings, self.gateway, self.runs, self._provider, self._say)

    def _provider(self, name: str) -> Provider:
        if self._only is not None:
            return self._only
        # one instance per provider for the whole workflow: a replay transcript is read in order
        if name not in self._providers:
            self._providers[name] = make_provider(name, self.settings, environ=self._environ, record_to=self._record_to)
        return self._providers[name]


def _settings_for(settings: Settings, options: RunOptions) -> Settings:
    """The settings with this run's choices on top, validated like any other layer."""
    overrides: dict[str, Any] = {"phases": {phase: {"effort": e} for phase, e in options.efforts.items()}}
    if options.strategy is not None:
        overrides["strategy"] = options.strategy
    return settings.merged(overrides) if options.strategy or options.efforts else settings


@contextmanager
def _interruptible(runs: RunStore, run_id: str) -> Iterator[None]:
    """Ctrl-C: record the run as interrupted if it was working, then raise RunInterrupted."""
    try:
        yield
    except RunInterrupted:
        raise
    except KeyboardInterrupt:
        with _ctrl_c_ignored():  # a second Ctrl-C must not cut the record short
            status = runs.get(run_id).status
            if status in WORKING:
                status = RunStatus.INTERRUPTED
                message = f"interrupted (Ctrl-C); continue with: gearshift resume {run_id}"
                runs.update(run_id, status=status, message=message)
        raise RunInterrupted(run_id, status) from None


@contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _say_masked(say: Say) -> Callable[[CallSite, int], None]:
    def said(site: CallSite, count: int) -> None:
        step = f" step {site.step}" if site.step is not None else ""
        say(f"{site.phase}{step}: masked {count} secret value{'s' if count != 1 else ''} before sending")

    return said


def _plan_failure(exc: GearshiftError) -> str:
    if isinstance(exc, ReplyFormatError):
        return f"plan phase: {exc.message}; run again, or plan at a higher effort"
    return f"plan phase: {exc.message}"


def _step_failure(run_id: str) -> Callable[[GearshiftError], str | None]:
    def wording(exc: GearshiftError) -> str | None:
        if isinstance(exc, StepFailed):
            return exc.message
        if isinstance(exc, ProviderError):
            return f"{exc.message}; when that is fixed: gearshift resume {run_id}"
        return None

    return wording


def _review_failure(run_id: str) -> Callable[[GearshiftError], str | None]:
    return lambda exc: f"review phase: {exc.message}; then: gearshift review {run_id}"
