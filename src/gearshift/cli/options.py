"""Options the commands that call models share, and how they become settings (the flags layer).

Each option's help ends as click ends its own: ``[default: ...; env var: ...]``. A flag left out
falls back to the settings (``gearshift config show``), whose environment variables are named here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from gearshift.cli.common import load
from gearshift.strategies import STRATEGY_HELP

EFFORTS = "none, minimal, low, medium, high or xhigh"


def helped(text: str, default: str | None = None, env: str | None = None) -> str:
    """``text`` with its default and environment variable, in click's own brackets."""
    extra = [part for part in (default and f"default: {default}", env and f"env var: {env}") if part]
    return f"{text}  [{'; '.join(extra)}]" if extra else text


def _effort(phase: str, what: str) -> Any:
    return typer.Option(
        f"--effort-{phase}",
        metavar="EFFORT",
        help=helped(f"Effort of {what}: {EFFORTS}.", "the strategy's", f"GEARSHIFT_PHASES__{phase.upper()}__EFFORT"),
    )


# Each maps to a setting (see `gearshift config show`).
Strategy = Annotated[str | None, typer.Option(metavar="STRATEGY", help=helped(STRATEGY_HELP, env="GEARSHIFT_STRATEGY"))]
EffortPlan = Annotated[str | None, _effort("plan", "the plan phase")]
EffortImplement = Annotated[str | None, _effort("implement", "each step")]
EffortReview = Annotated[str | None, _effort("review", "the review phase")]
MaxTokens = Annotated[
    int | None,
    typer.Option(
        "--max-tokens",
        min=1,
        metavar="N",
        help=helped("Token budget of the run, input and output.", "none", "GEARSHIFT_BUDGET__MAX_TOKENS"),
    ),
]
MaxUsd = Annotated[
    float | None,
    typer.Option(
        "--max-usd",
        min=0.0,
        metavar="USD",
        help=helped("Cost budget of the run, in US dollars.", "none", "GEARSHIFT_BUDGET__MAX_USD"),
    ),
]
TestCmd = Annotated[
    str | None,
    typer.Option(
        "--test-cmd",
        metavar="CMD",
        help=helped("Check run after each step, e.g. 'pytest -q'.", "none", "GEARSHIFT_CHECKS__TEST_CMD"),
    ),
]
Provider = Annotated[
    str | None,
    typer.Option(
        metavar="NAME",
        help=helped(
            "openai, openai-chat, anthropic, codex, claude-code, gemini-cli, command, manual, replay"
            " or an installed plug-in, for every phase.",
            "openai",
            "GEARSHIFT_PROVIDER",
        ),
    ),
]
Model = Annotated[
    str | None,
    typer.Option("--model", "-m", metavar="MODEL", help=helped("Model for every phase.", "gpt-5.4", "GEARSHIFT_MODEL")),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        metavar="URL",
        help=helped(
            "Server URL for the provider, e.g. a local server.",
            "the provider's own",
            "OPENAI_BASE_URL, ANTHROPIC_BASE_URL",
        ),
    ),
]
Transcript = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE",
        help=helped(
            "Transcript (JSONL, or a ledger.db[#RUN]) for --provider replay.",
            env="GEARSHIFT_PROVIDERS__REPLAY__TRANSCRIPT",
        ),
    ),
]
Command = Annotated[
    str | None,
    typer.Option(
        "--command",
        metavar="CMD",
        help=helped(
            "The program --provider command runs: the prompt on its stdin, the reply on its stdout,"
            " e.g. 'my-llm --json'.",
            env="GEARSHIFT_PROVIDERS__COMMAND__COMMAND",
        ),
    ),
]
Record = Annotated[Path | None, typer.Option(metavar="FILE", help="Append every call to a transcript file (JSONL).")]


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
    if given.get("command"):
        flags["providers.command.command"] = given["command"]
    if given.get("base_url"):
        flags[f"providers.{provider or load().settings.provider}.base_url"] = given["base_url"]
    return {key: value for key, value in flags.items() if value is not None}
