"""Phase 0, route: decide the effort of each phase for this task, and keep the reasons.

Under strategy ``auto`` the route decides (task type, the decision matrix, the deviations);
under a fixed strategy the strategy does, and the route records what it overrode.
"""

from __future__ import annotations

from gearshift.phases import PhaseContext
from gearshift.runs import RunState
from gearshift.triage import route_task, run_summary, strategy_source


def decide(ctx: PhaseContext, run: RunState) -> RunState:
    """Classify, route, save route.json, and record the efforts the run will use."""
    provider = ctx.provider("classify") if ctx.settings.routing.classifier == "model" else None
    decided, phases = route_task(
        run.task, ctx.root, ctx.settings, gateway=ctx.gateway, provider=provider, run_id=run.id
    )
    run = ctx.runs.update(run.id, efforts=run.efforts | {name: chosen.effort for name, chosen in phases.items()})
    chosen = {name: {"effort": p.effort.value, "reasons": p.reasons} for name, p in phases.items()}
    ctx.runs.save_json(
        run.id, "route.json", {"strategy": ctx.settings.strategy, "route": decided.to_json(), "chosen": chosen}
    )
    repository_file = ctx.settings.set_by_repository("strategy")
    where = strategy_source(repository_file, ctx.root) if repository_file else None
    ctx.say(f"route: {decided.task_type}; {run_summary(decided, phases, ctx.settings.strategy, where)}")
    return run
