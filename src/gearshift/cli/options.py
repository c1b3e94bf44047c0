"""Options the commands that call models share, and how they become settings (the flags layer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from gearshift.cli.common import load
from gearshift.strategies import STRATEGY_HELP

# Each maps to a setting (see `gearshift config show`).
Strategy = Annotated[str | None, typer.Option(help=STRATEGY_HELP)]
EffortPlan = Annotated[str | None, typer.Option("--effort-plan", help="Effort of the plan phase.")]
EffortImplement = Annotated[str | None, typer.Option("--effort-implement", help="Effort of each step.")]
EffortReview = Annotated[str | None, typer.Option("--effort-review", help="Effort of the review phase.")]
MaxTokens = Annotated[int | None, typer.Option("--max-tokens", min=1, help="Token budget of the run.")]
MaxUsd = Annotated[float | None, typer.Option("--max-usd", min=0.0, help="Cost budget of the run, in USD.")]
TestCmd = Annotated[str | None, typer.Option("--test-cmd", help="Check run after each step, e.g. 'pytest -q'.")]
Provider = Annotated[
    str | None, typer.Option(help="openai, openai-chat, anthropic, replay or an installed plug-in, for every phase.")
]
Model = Annotated[str | None, typer.Option("--model", "-m", help="Model for every phase.")]
BaseUrl = Annotated[str | None, typer.Option(help="Server URL for the provider.")]
Transcript = Annotated[Path | None, typer.Option(help="Transcript for --provider replay.")]
Record = Annotated[Path | None, typer.Option(help="Append every call to a transcript file (JSONL).")]


def settings_flags(**given: Any) -> dict[str, Any]:
    """The command's options as settings keys: the flags layer of the settings."""
    from gearshift.strategies import PHASES

    flags: dict[str, Any] = {
        "strategy": given.get("strategy"),
        "phases.plan.effort": given.get("effort_plan"),
        "phases.implement.effort": given.get("effort_implement"),
        "phases.review.effort": given.get("effort_review"),
        "budget.max_tokens": given.get("max_tokens"),
        "budget.max_usd": given.get("max_usd"),
        "checks.test_cmd": given.get("test_cmd"),
    }
    provider = given.get("provider")
    for phase in PHASES:  # a flag is the user's last word: it beats per-phase settings
        flags[f"phases.{phase}.provider"] = provider
        flags[f"phases.{phase}.model"] = given.get("model")
    if given.get("transcript"):
        flags["providers.replay.transcript"] = str(given["transcript"])
    if given.get("base_url"):
        flags[f"providers.{provider or load().settings.provider}.base_url"] = given["base_url"]
    return {key: value for key, value in flags.items() if value is not None}
