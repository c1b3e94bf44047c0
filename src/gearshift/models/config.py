"""The settings of one provider (its ``[providers.NAME]`` table), as the built-in providers read them.

Kept apart from gearshift.settings so that providers depend on their own settings only, and the
settings (which validate provider names against the registry) never sit in an import cycle with them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gearshift.effort import Effort


class ProviderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = None
    api_key_env: str | None = Field(None, description="name of the variable holding this provider's key")
    model: str | None = None
    timeout: float = Field(600.0, gt=0, description="seconds one HTTP attempt may take")
    deadline: float = Field(900.0, gt=0, description="seconds a whole call may take, retries included")
    max_retries: int = Field(2, ge=0, le=10)
    efforts: tuple[Effort, ...] | None = None
    transcript: str | None = None
    # agent CLIs (codex, claude-code, gemini-cli) and the command provider
    command: str | None = Field(None, description="the program to run, e.g. codex or 'my-llm --json'")
    shell: bool = Field(False, description="command provider: run the command through a shell")
    usage_file: str | None = Field(None, description="command provider: a file the program writes its usage to")
    max_turns: int | None = Field(None, gt=0, description="agent turns one call may take, where the CLI bounds them")
    max_budget_usd: float | None = Field(None, gt=0, description="USD one agent call may spend, where the CLI has it")
    extra_args: tuple[str, ...] = Field((), description="more arguments for the agent CLI")
    clipboard: bool = Field(True, description="manual provider: also put each prompt on the clipboard")
    trust_workspace: bool = Field(False, description="gemini-cli: load the repository's .gemini settings and .env")

    @field_validator("efforts", mode="before")
    @classmethod
    def _split_efforts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value
