"""Deciding a task's route: classify it (rules, or a model at low effort), read the repository's
facts, and apply the matrix and the deviations; then a fixed strategy, if one is set."""

from __future__ import annotations

from pathlib import Path

from gearshift.classify import TASK_TYPES, Classification, Evidence, TaskClassifier, rules_from_settings
from gearshift.context.facts import repo_facts
from gearshift.errors import UsageError
from gearshift.gateway import CallSite, Gateway
from gearshift.models import JsonSchema, Provider, Request
from gearshift.paths import cache_dir
from gearshift.routing import SECURITY_WORDS, PhaseRoute, Route, Thresholds, apply_strategy, route
from gearshift.settings import Settings
from gearshift.strategies import STRATEGIES

CLASSIFY_INSTRUCTIONS = """\
Classify a software task into exactly one type: architecture (initial architecture, system design),
requirements (requirements analysis), implementation (new code or features), bug_fix, review (code
review or audit), testing (writing or fixing tests), refactoring, or documentation. Give the type and
one or two short reasons that quote the task."""

CLASSIFY_SCHEMA = JsonSchema(
    name="classify",
    schema={
        "type": "object",
        "properties": {
            "task_type": {"type": "string", "enum": list(TASK_TYPES)},
            "reasons": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["task_type", "reasons"],
        "additionalProperties": False,
    },
)


def classify_with_model(
    task: str, settings: Settings, gateway: Gateway, provider: Provider, run_id: str | None = None
) -> Classification:
    choice = settings.for_phase("classify")
    request = Request(
        instructions=CLASSIFY_INSTRUCTIONS, input=task, model=choice.model, effort=choice.effort, schema=CLASSIFY_SCHEMA
    )
    reply = gateway.call(provider, request, CallSite(phase="classify", run_id=run_id))
    task_type = reply.parsed["task_type"]
    evidence = tuple(Evidence(task_type, reason, 1.0) for reason in reply.parsed["reasons"])
    scores = {t: (1.0 if t == task_type else 0.0) for t in TASK_TYPES}
    return Classification(task_type, scores, evidence)


def decide_route(
    task: str,
    root: Path | None,
    settings: Settings,
    *,
    classification: Classification | None = None,
) -> Route:
    """The route for ``task`` in the repository at ``root`` (None: no repository facts)."""
    routing = settings.routing
    if classification is None:
        classification = TaskClassifier.default(rules_from_settings(routing.keywords)).classify(task)
    facts = repo_facts(root, task, cache_dir=cache_dir(root)) if root else None
    limits = Thresholds(**routing.thresholds.model_dump())
    return route(
        task,
        classification,
        facts,
        matrix=routing.matrix,
        thresholds=limits,
        security_words=[*SECURITY_WORDS, *routing.security_words],
    )


def route_task(
    task: str,
    root: Path | None,
    settings: Settings,
    *,
    gateway: Gateway | None = None,
    provider: Provider | None = None,
    run_id: str | None = None,
) -> tuple[Route, dict[str, PhaseRoute]]:
    """The route for a task and the efforts a run under ``settings`` would use, each with its reasons.

    With ``routing.classifier = "model"`` the task is classified by a call (``gateway`` and
    ``provider`` needed); otherwise by the rules and learned word weights, with no call."""
    classification = None
    if settings.routing.classifier == "model":
        if gateway is None or provider is None:
            raise UsageError("the model classifier needs a provider to call; set routing.classifier = 'rules'")
        classification = classify_with_model(task, settings, gateway, provider, run_id)
    decided = decide_route(task, root, settings, classification=classification)
    return decided, chosen_phases(decided, settings)


def chosen_phases(route_: Route, settings: Settings) -> dict[str, PhaseRoute]:
    """The efforts a run will use: the route's under strategy auto, else the fixed strategy's,
    with per-phase settings on top; each with its reasons."""
    if settings.strategy == "auto":
        phases = dict(route_.phases)
    else:
        phases = apply_strategy(route_, STRATEGIES[settings.strategy], settings.strategy)
    for name in phases:
        own = settings.phases.of(name).effort
        if own is not None and own != phases[name].effort:
            phases[name] = PhaseRoute(
                own, [f"{name} at {own}: set in the settings (phases.{name}.effort)", *phases[name].reasons]
            )
    return phases
