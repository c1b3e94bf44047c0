"""Deciding a task's route: classify it (rules, or a model at low effort), read the repository's
facts, and apply the matrix and the deviations; then a fixed strategy, if one is set; and say, in
one sentence, what a run will do under the settings."""

from __future__ import annotations

from pathlib import Path

from gearshift.classify import TASK_TYPES, Classification, Evidence, TaskClassifier, rules_from_settings
from gearshift.context.facts import repo_facts
from gearshift.effort import Effort
from gearshift.errors import UsageError
from gearshift.gateway import CallSite, Gateway
from gearshift.models import JsonSchema, Provider, Request
from gearshift.paths import cache_dir
from gearshift.routing import ROUTED_PHASES, SECURITY_WORDS, PhaseRoute, Route, Thresholds, apply_strategy, route
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


def strategy_source(source: str, root: Path | None = None) -> str:
    """Where the strategy was set (a settings source: "default", "flag", "env NAME" or a file), for people."""
    if source == "default":
        return "the default"
    if source == "flag":
        return "set by --strategy"
    if source.startswith("env "):
        return f"set by {source[4:]}"
    path = Path(source)
    if root is not None and path.is_relative_to(root):
        path = path.relative_to(root)
    return f"set in {path}"


def run_summary(route_: Route, chosen: dict[str, PhaseRoute], strategy: str, where: str | None = None) -> str:
    """What a run will do, in one sentence a person can check: each phase's effort, the steps that go to
    high, the strategy and where it was set; under a fixed strategy, what it overrides of the route."""
    secure = route_.security_words
    parts = []
    for phase in ROUTED_PHASES:
        effort = chosen[phase].effort
        said = f"{phase} at {effort}"
        if phase == "fix" and effort.rank < Effort.HIGH.rank:
            said += " then high"
        if phase == "implement" and strategy == "auto" and secure and effort.rank < Effort.HIGH.rank:
            said += f", and at high the steps that implement or change {_either(secure)}"
        if "set in the settings" in chosen[phase].reasons[0]:
            said += f" (phases.{phase}.effort)"
        parts.append(said)
    sentence = f"run will {'; '.join(parts)} (strategy {strategy}"
    sentence += f", {where}" if where else ""
    if strategy == "auto":
        return sentence + ")"
    routed = [
        f"{phase} at {route_.phases[phase].effort}"
        for phase in ROUTED_PHASES
        if route_.phases[phase].effort != chosen[phase].effort and "set in the settings" not in chosen[phase].reasons[0]
    ]
    if secure and chosen["implement"].effort.rank < Effort.HIGH.rank:
        routed.append(f"implement at high the steps that implement or change {_either(secure)}")
    if not routed:
        return sentence + "; the route agrees)"
    return sentence + f"; the route would {', '.join(routed)}: --strategy auto follows it)"


def _either(words: list[str]) -> str:
    shown = words[:3]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
