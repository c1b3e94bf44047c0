"""One cell: a whole run of one task under one strategy, in a checkout of its own, then judged.

The run goes plan -> implement -> review without asking anyone (a comparison never stops for an
approval), into a ledger of the cell's own. Only then are the hidden tests applied (a suite's
test patch, FAIL_TO_PASS and PASS_TO_PASS, or an acceptance command): nothing of them exists in
the checkout while the model works, so no prompt can hold them. The cell returns plain data (its
result row, its patch and its ledger rows), so it can run in this process, in a pool or on a Ray
worker, and only the driver writes the shared ledger and the results.
"""

from __future__ import annotations

import shlex
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gearshift.evidence import checkouts
from gearshift.evidence.records import PHASE_NAMES, SCRIPTED_PROVIDERS, SEVERITIES, empty_phases, error_row
from gearshift.models import Provider
from gearshift.settings import Settings


@dataclass(frozen=True)
class Judge:
    """How a cell's result is judged after its run; never shown to a model."""

    accept_cmd: str | None = None  # passes (exit 0) or not
    test_patch: str | None = None  # applied over the run's changes before the tests below
    fail_to_pass: tuple[str, ...] = ()  # must pass after the run
    pass_to_pass: tuple[str, ...] = ()  # must still pass
    tests_cmd: str = "pytest -q"  # runs given test ids: appended, or in place of {tests}
    timeout: float = 1800.0

    @property
    def has_tests(self) -> bool:
        return bool(self.fail_to_pass or self.pass_to_pass)


@dataclass(frozen=True)
class CellSpec:
    task: str
    strategy: str
    repeat: int
    source: str  # the repository: the user's checkout (a worktree is added), or a path or URL to clone
    base: str
    directory: Path  # the cell's own: its checkout and its ledger
    settings: Settings
    test_cmd: str | None = None
    judge: Judge = field(default_factory=Judge)
    instance_id: str | None = None
    worktree: bool = True  # True: a worktree of ``source``; False: a clone of it
    setup_cmd: str | None = None

    @property
    def checkout(self) -> Path:
        return self.directory / "checkout"

    @property
    def label(self) -> str:
        return f"{self.instance_id + ' ' if self.instance_id else ''}{self.strategy} #{self.repeat}"


@dataclass(frozen=True)
class CellOutcome:
    row: dict[str, Any]
    patch: str  # what the run changed, against the base
    records: dict[str, list[dict[str, Any]]]  # the run's ledger rows: runs, steps, calls
    artifacts: dict[str, str]  # the run's files (plan.md, review.md...) by name


def run_cell(spec: CellSpec, providers: Provider | Mapping[str, Provider] | None = None) -> CellOutcome:
    """Run and judge one cell; whatever goes wrong comes back as a row with status ``error``."""
    started = time.monotonic()
    try:
        return _run_and_judge(spec, providers, started)
    except Exception as exc:  # Ctrl-C and exits go on up
        detail = str(exc).strip().splitlines()
        line = f"{type(exc).__name__}: {detail[0] if detail else ''}".strip(": ")
        spec.directory.mkdir(parents=True, exist_ok=True)
        (spec.directory / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        row = error_row(
            task=spec.task,
            strategy=spec.strategy,
            repeat=spec.repeat,
            instance_id=spec.instance_id,
            error=line,
            seconds=time.monotonic() - started,
        )
        return CellOutcome(row, "", {}, {})
    finally:
        if spec.worktree:  # the run's branch stays in the repository; the checkout goes
            checkouts.remove_worktree(Path(spec.source), spec.checkout)


def _run_and_judge(spec: CellSpec, providers: Provider | Mapping[str, Provider] | None, started: float) -> CellOutcome:
    from gearshift.checks import run_check
    from gearshift.errors import GearshiftError
    from gearshift.workflow import RunOptions, Workflow

    spec.directory.mkdir(parents=True, exist_ok=True)
    if spec.worktree:
        checkouts.add_worktree(Path(spec.source), spec.base, spec.checkout)
    else:
        checkouts.clone_at(spec.source, spec.base, spec.checkout)
    if spec.setup_cmd:
        setup = run_check(spec.setup_cmd, spec.checkout, timeout=spec.judge.timeout, shell=True)
        if not setup.passed:
            raise GearshiftError(f"setup_cmd failed (exit {setup.exit_code}): {setup.output.strip()[-200:]}")
    settings = spec.settings.merged({"strategy": spec.strategy})
    ledger_path = spec.directory / "ledger.db"
    error: str | None = None
    with Workflow.open(spec.checkout, settings=settings, providers=providers, ledger_path=ledger_path) as workflow:
        try:
            workflow.run(spec.task, RunOptions(test_cmd=spec.test_cmd))
        except GearshiftError as exc:  # recorded in the run; the cell is still judged
            error = exc.message
        runs = workflow.ledger.runs(limit=1)
        run_id = str(runs[0]["id"]) if runs else None
        artifacts = _artifacts(workflow.runs.directory(run_id)) if run_id else {}
    patch = checkouts.diff_from(spec.checkout, spec.base) if run_id else ""
    try:
        accepted, resolved = _judge(spec)
    except GearshiftError as exc:  # the run stays on record; the cell says why it could not be judged
        accepted, resolved = None, False if spec.instance_id is not None else None
        error = f"could not judge the run: {exc.message}"
    records = _export(ledger_path, run_id) if run_id else {}
    row = result_row(spec, run_id, records, artifacts, accepted=accepted, resolved=resolved, error=error)
    row["seconds"] = round(time.monotonic() - started, 3)
    return CellOutcome(row, patch, records, artifacts)


def _judge(spec: CellSpec) -> tuple[bool | None, bool | None]:
    """The acceptance command's verdict, and (for a suite task) whether the hidden tests say resolved."""
    from gearshift.checks import run_check

    judge, cwd = spec.judge, spec.checkout
    shell = spec.settings.checks.shell
    accepted = None
    if judge.accept_cmd:
        accepted = run_check(judge.accept_cmd, cwd, timeout=judge.timeout, shell=shell).passed
    if spec.instance_id is None:
        return accepted, None
    if not judge.has_tests:
        return accepted, accepted
    if judge.test_patch and not _apply_patch(cwd, judge.test_patch, spec.base):
        return accepted, False  # the hidden tests do not apply even to the base's version of their files
    resolved = all(
        run_check(_tests_command(judge.tests_cmd, ids), cwd, timeout=judge.timeout, shell=shell).passed
        for ids in (judge.fail_to_pass, judge.pass_to_pass)
        if ids
    )
    return accepted, resolved and accepted is not False


def _tests_command(template: str, ids: tuple[str, ...]) -> str:
    quoted = " ".join(shlex.quote(test) for test in ids)
    return template.replace("{tests}", quoted) if "{tests}" in template else f"{template} {quoted}"


def _apply_patch(cwd: Path, patch: str, base: str) -> bool:
    """Apply the hidden tests as SWE-bench's harness does: the files they touch go back to the base
    commit first (a test the run wrote in the same file gives way), then the patch goes on."""
    import subprocess

    for path in _patched_paths(patch):
        if subprocess.run(["git", "cat-file", "-e", f"{base}:{path}"], cwd=cwd, capture_output=True).returncode == 0:
            subprocess.run(["git", "checkout", "-q", base, "--", path], cwd=cwd, capture_output=True)
        else:
            (cwd / path).unlink(missing_ok=True)
    applied = subprocess.run(
        ["git", "apply", "--whitespace=nowarn", "-"], cwd=cwd, input=patch, text=True, capture_output=True
    )
    return applied.returncode == 0


def _patched_paths(patch: str) -> list[str]:
    """The files a git patch touches, both sides of a rename, confined to the checkout."""
    paths = []
    for line in patch.splitlines():
        if line.startswith(("--- a/", "+++ b/")):
            path = line[6:].split("\t", 1)[0]
            if path and ".." not in path.split("/") and not path.startswith("/") and path not in paths:
                paths.append(path)
    return paths


def _artifacts(directory: Path) -> dict[str, str]:
    names = ("plan.md", "plan.json", "route.json", "review.md", "review.json", "antipatterns.json")
    return {name: (directory / name).read_text(encoding="utf-8") for name in names if (directory / name).exists()}


def _export(ledger_path: Path, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """The run's rows, as plain data: what a worker sends back for the driver to import."""
    from gearshift.ledger import Ledger

    with Ledger(ledger_path, read_only=True) as ledger:
        return ledger.export_run(run_id)


def result_row(
    spec: CellSpec,
    run_id: str | None,
    records: dict[str, list[dict[str, Any]]],
    artifacts: dict[str, str],
    *,
    accepted: bool | None,
    resolved: bool | None,
    error: str | None,
) -> dict[str, Any]:
    """The cell's result, from its ledger rows and its artifacts (see gearshift.evidence.records)."""
    import json

    calls = records.get("calls", [])
    steps = records.get("steps", [])
    run = (records.get("runs") or [{}])[0]
    phases = empty_phases()
    for call in calls:
        usage = phases.get(call["phase"])
        if usage is None:
            continue  # classify and the like are counted in the total only
        for key in ("input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens"):
            usage[key] += int(call[key] or 0)
        if call["cost_usd"] is not None:
            usage["cost_usd"] = (usage["cost_usd"] or 0.0) + float(call["cost_usd"])
        usage["seconds"] = round(usage["seconds"] + (call["latency_ms"] or 0) / 1000, 3)
    costs = [float(c["cost_usd"]) for c in calls if c["cost_usd"] is not None]
    review = json.loads(artifacts["review.json"]) if "review.json" in artifacts else {"issues": []}
    severities = dict.fromkeys(SEVERITIES, 0)
    for issue in review.get("issues", []):
        if issue.get("severity") in severities:
            severities[issue["severity"]] += 1
    findings = json.loads(artifacts.get("antipatterns.json", "[]")) or []
    checks = [s.get("check_result") for s in steps]
    return {
        "instance_id": spec.instance_id,
        "task": spec.task,
        "strategy": spec.strategy,
        "repeat": spec.repeat,
        "run_id": run_id,
        "status": run.get("status", "error"),
        "accepted": accepted,
        "resolved": resolved,
        "phases": {phase: phases[phase] for phase in PHASE_NAMES},
        "total_tokens": sum(int(c["input_tokens"] or 0) + int(c["output_tokens"] or 0) for c in calls),
        "cost_usd": round(sum(costs), 6) if costs else None,
        "seconds": 0.0,
        "steps": len(steps),
        "fix_attempts": sum(1 for c in calls if c["phase"] == "fix"),
        "checks": {"passed": checks.count("passed"), "failed": sum(1 for c in checks if c and c != "passed")},
        "review_issues": severities,
        "antipatterns": [f.get("title", f.get("pattern", "")) for f in findings if isinstance(f, dict)],
        "scripted": any(c["provider"] in SCRIPTED_PROVIDERS for c in calls),
        "error": error,
    }
