"""gearshift: plan at high effort, implement at medium, review at high; every call accounted for.

    import gearshift
    from gearshift.testing import FunctionProvider

    with gearshift.Workflow.open("path/to/repo") as workflow:
        result = workflow.run("Add a --json flag to `list`", gearshift.RunOptions(test_cmd="pytest -q"))
    print(result.status, result.total_tokens, result.cost_usd)

The public API is imported lazily so that ``gearshift --help`` never pays for pydantic or
the model SDKs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    # the method
    "Workflow": "gearshift.workflow",
    "RunOptions": "gearshift.workflow",
    "RunInterrupted": "gearshift.workflow",
    "RunResult": "gearshift.runs",
    "RunStatus": "gearshift.runs",
    "PhaseUsage": "gearshift.runs",
    "StepResult": "gearshift.runs",
    "Plan": "gearshift.plan",
    "Step": "gearshift.plan",
    "Review": "gearshift.review",
    # evidence: strategies compared on your own tasks
    "compare": "gearshift.evidence.compare",
    "CompareOptions": "gearshift.evidence.compare",
    "Comparison": "gearshift.evidence.compare",
    "SuiteOptions": "gearshift.evidence.suite",
    "plan_suite": "gearshift.evidence.suite",
    "run_suite": "gearshift.evidence.suite",
    "summarize": "gearshift.evidence.summary",
    # one call
    "ask": "gearshift.ask",
    "AskOptions": "gearshift.ask",
    # models
    "Provider": "gearshift.models",
    "Request": "gearshift.models",
    "Reply": "gearshift.models",
    "Usage": "gearshift.models",
    "JsonSchema": "gearshift.models",
    "make_provider": "gearshift.models",
    "Effort": "gearshift.effort",
    # settings
    "Settings": "gearshift.settings",
    "load_settings": "gearshift.settings",
    # errors
    "GearshiftError": "gearshift.errors",
    "UsageError": "gearshift.errors",
    "ConfigError": "gearshift.errors",
    "PlanSyntaxError": "gearshift.errors",
    "ProviderError": "gearshift.errors",
    "ReplyFormatError": "gearshift.errors",
    "BudgetReached": "gearshift.errors",
    "EditError": "gearshift.errors",
    "StepFailed": "gearshift.errors",
}

__all__ = [
    "AskOptions",
    "BudgetReached",
    "CompareOptions",
    "Comparison",
    "ConfigError",
    "EditError",
    "Effort",
    "GearshiftError",
    "JsonSchema",
    "PhaseUsage",
    "Plan",
    "PlanSyntaxError",
    "Provider",
    "ProviderError",
    "Reply",
    "ReplyFormatError",
    "Request",
    "Review",
    "RunInterrupted",
    "RunOptions",
    "RunResult",
    "RunStatus",
    "Settings",
    "Step",
    "StepFailed",
    "StepResult",
    "SuiteOptions",
    "Usage",
    "UsageError",
    "Workflow",
    "__version__",
    "ask",
    "compare",
    "load_settings",
    "make_provider",
    "plan_suite",
    "run_suite",
    "summarize",
]

if TYPE_CHECKING:
    from gearshift.ask import AskOptions, ask
    from gearshift.effort import Effort
    from gearshift.errors import (
        BudgetReached,
        ConfigError,
        EditError,
        GearshiftError,
        PlanSyntaxError,
        ProviderError,
        ReplyFormatError,
        StepFailed,
        UsageError,
    )
    from gearshift.evidence.compare import CompareOptions, Comparison, compare
    from gearshift.evidence.suite import SuiteOptions, plan_suite, run_suite
    from gearshift.evidence.summary import summarize
    from gearshift.models import JsonSchema, Provider, Reply, Request, Usage, make_provider
    from gearshift.plan import Plan, Step
    from gearshift.review import Review
    from gearshift.runs import PhaseUsage, RunResult, RunStatus, StepResult
    from gearshift.settings import Settings, load_settings
    from gearshift.workflow import RunInterrupted, RunOptions, Workflow


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gearshift' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
