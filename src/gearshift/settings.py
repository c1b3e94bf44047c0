"""Settings: defaults < user config < project config < GEARSHIFT_* environment < flags.

Every value remembers where it came from, so ``gearshift config show`` can say so and an
invalid value is reported with the file (or variable) and the key that set it.
"""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from gearshift.effort import Effort
from gearshift.errors import ConfigError
from gearshift.models import registry
from gearshift.models.config import ProviderSettings
from gearshift.paths import find_repo_root, gearshift_home
from gearshift.settings_keys import deep_merge, flatten, unflatten
from gearshift.strategies import DEFAULT_STRATEGY, PHASES, STRATEGIES
from gearshift.telemetry.config import TelemetrySettings

DEFAULT_MODEL = "gpt-5.4"  # the model the seed article names
# A provider whose API does not serve DEFAULT_MODEL gets its own default, unless a model is set.
# "default": the agent's or program's own choice of model (gearshift passes none)
PROVIDER_DEFAULT_MODELS = {
    "anthropic": "claude-opus-5-5",
    **dict.fromkeys(("claude-code", "gemini-cli", "command", "manual"), "default"),
}


# Environment variables that steer gearshift itself rather than hold settings.
_RESERVED_ENV = {"GEARSHIFT_HOME", "GEARSHIFT_DEBUG", "GEARSHIFT_DB"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PhaseSettings(_Strict):
    provider: str | None = None
    model: str | None = None
    effort: Effort | None = None

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, value: str | None) -> str | None:
        return _check_provider(value) if value is not None else None


class PhasesSettings(_Strict):
    plan: PhaseSettings = Field(default_factory=PhaseSettings)
    implement: PhaseSettings = Field(default_factory=PhaseSettings)
    fix: PhaseSettings = Field(default_factory=PhaseSettings)
    review: PhaseSettings = Field(default_factory=PhaseSettings)
    classify: PhaseSettings = Field(default_factory=PhaseSettings)

    def of(self, phase: str) -> PhaseSettings:
        own = getattr(self, phase, None)
        return own if isinstance(own, PhaseSettings) else PhaseSettings()


class BudgetSettings(_Strict):
    max_tokens: int | None = Field(None, gt=0)
    max_usd: float | None = Field(None, gt=0)


class CheckSettings(_Strict):
    test_cmd: str | None = Field(None, description="run after each step, e.g. 'pytest -q'")
    shell: bool = Field(False, description="run test_cmd through the shell")
    timeout: float = Field(600.0, gt=0, description="seconds the test command may take")
    fix_attempts: int = Field(2, ge=0, le=10, description="fix attempts after a failing check")
    edit_retries: int = Field(3, ge=1, le=10, description="tries for a reply whose edits do not apply")


class ThresholdSettings(_Strict):
    large_files: int = Field(400, gt=0, description="code files that make a codebase large")
    large_lines: int = Field(60_000, gt=0, description="lines of code that make a codebase large")
    coupled_degree: float = Field(2.0, gt=0, description="imports per module that count as tightly coupled")
    coupled_reach: int = Field(40, gt=0, description="modules within two hops of the task's area")
    step_lines: int = Field(120, gt=0, description="lines one step may add before it counts as oversized")
    step_new_definitions: int = Field(3, gt=0, description="unplanned new functions/classes in one step")


class RoutingSettings(_Strict):
    classifier: Literal["rules", "model"] = "rules"
    keywords: dict[str, list[str]] = Field(default_factory=dict, description="task type -> extra words")
    security_words: list[str] = Field(default_factory=list, description="extra security-critical words")
    matrix: dict[str, dict[str, Effort]] = Field(default_factory=dict, description="task type -> phase -> effort")
    thresholds: ThresholdSettings = Field(default_factory=ThresholdSettings)

    @field_validator("keywords", "matrix")
    @classmethod
    def _known_types(cls, value: dict[str, Any]) -> dict[str, Any]:
        from gearshift.classify import TASK_TYPES

        for name in value:
            if name not in TASK_TYPES:
                raise ValueError(f"unknown task type {name!r}: choose one of {', '.join(TASK_TYPES)}")
        return value


class ContextSettings(_Strict):
    map_tokens: int | None = Field(
        None,
        gt=0,
        description="token budget of the repository map the planner sees (default: sized for the plan model)",
    )
    step_tokens: int = Field(24_000, gt=0, description="token budget of one step's file contents")
    tool_rounds: int = Field(
        8,
        ge=1,
        description="most calls the plan and review phases make while reading the repository through tools;"
        " 1 reads nothing",
    )
    read_tokens: int | None = Field(
        None,
        gt=0,
        description="tokens of files the plan and review phases may read through tools"
        " (default: sized for the phase's model)",
    )


class LedgerSettings(_Strict):
    keep_text: bool = Field(
        True,
        description="keep each call's request (masked, as sent) and reply text in the ledger:"
        " `gearshift calls ID --show` prints it and a run can be replayed from it",
    )


class PriceSettings(_Strict):
    """A model's price, USD per million tokens, for models the price table does not know (a local
    server, a custom URL) or that you pay otherwise for."""

    input: float = Field(ge=0, description="USD per million input tokens")
    cached_input: float | None = Field(None, ge=0, description="USD per million cached input tokens (default: input)")
    output: float = Field(ge=0, description="USD per million output tokens, reasoning included")


class Settings(_Strict):
    provider: str = "openai"
    model: str = DEFAULT_MODEL
    strategy: str = DEFAULT_STRATEGY  # auto: the route decides each phase, and security steps, by the seed's matrix
    effort: Effort = Field(Effort.MEDIUM, description="effort of a single `gearshift ask`")
    phases: PhasesSettings = Field(default_factory=PhasesSettings)
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)  # the built-ins' tables
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    checks: CheckSettings = Field(default_factory=CheckSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    context: ContextSettings = Field(default_factory=ContextSettings)
    ledger: LedgerSettings = Field(default_factory=LedgerSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)  # OpenTelemetry traces
    pricing: dict[str, PriceSettings] = Field(default_factory=dict, description="model -> its price")
    trusted_urls: list[str] = Field(default_factory=list, description="URLs a repository may send your API key to")
    _plugin_tables: dict[str, dict[str, Any]] = PrivateAttr(default_factory=dict)
    _repository_keys: dict[str, str] = PrivateAttr(default_factory=dict)  # dotted key -> the repository file

    @model_validator(mode="wrap")
    @classmethod
    def _set_aside_plugin_tables(cls, data: Any, handler: ModelWrapValidatorHandler[Settings]) -> Settings:
        # A plug-in's table belongs to the plug-in: it reaches its factory as written, while
        # the built-ins' tables stay strict, so a misspelt key there is still caught.
        if not isinstance(data, Mapping) or not isinstance(data.get("providers"), Mapping):
            return handler(data)
        strict: dict[Any, Any] = {}
        plugin: dict[str, dict[str, Any]] = {}
        for key, table in data["providers"].items():
            name = str(key).replace("_", "-")
            if isinstance(table, Mapping) and not registry.is_builtin(name) and registry.is_known(name):
                plugin[name] = dict(table)
            else:
                strict[key] = table  # a built-in, or a name the validator below reports
        settings = handler({**data, "providers": strict})
        settings._plugin_tables = plugin
        return settings

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        return _check_provider(value)

    @field_validator("trusted_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: Any) -> Any:
        return value.replace(",", " ").split() if isinstance(value, str) else value  # from a variable

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        if value not in STRATEGIES and value != "auto":
            raise ValueError(f"unknown strategy {value!r}: choose one of {', '.join(STRATEGIES)}, auto")
        return value

    @field_validator("providers", mode="before")
    @classmethod
    def _normalise_provider_names(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            normalised = {str(k).replace("_", "-"): v for k, v in value.items()}
            for name in normalised:
                _check_provider(name)
            return normalised
        return value

    def merged(self, overrides: Mapping[str, Any]) -> Settings:
        """These settings with ``overrides`` (nested, as a config file writes them) on top, validated again."""
        data = self.model_dump(exclude_unset=True)
        data["providers"] = {**data.get("providers", {}), **copy.deepcopy(self._plugin_tables)}
        merged = Settings.model_validate(deep_merge(data, overrides))
        overridden = flatten(overrides)  # a value set here, in code, is the user's own
        merged._repository_keys = {k: v for k, v in self._repository_keys.items() if k not in overridden}
        return merged

    def set_by_repository(self, key: str) -> str | None:
        """The repository's file (pyproject.toml, gearshift.toml) that set ``key``; None when the user did."""
        return self._repository_keys.get(key)

    def provider_settings(self, provider: str) -> ProviderSettings:
        """A built-in provider's typed table; the defaults for any other name."""
        return self.providers.get(provider) or ProviderSettings()

    def provider_config(self, provider: str) -> dict[str, Any]:
        """The provider's table as set, what a plug-in's factory gets; an empty dict when there is none."""
        if provider in self._plugin_tables:
            return copy.deepcopy(self._plugin_tables[provider])  # the factory may keep or change it
        table = self.providers.get(provider)
        return table.model_dump(exclude_unset=True) if table else {}

    def model_for(self, provider: str) -> str:
        """The provider's own model setting, else the model set for all, else the provider's default."""
        own = self.provider_settings(provider).model or self._plugin_tables.get(provider, {}).get("model")
        if isinstance(own, str) and own:
            return own
        if "model" in self.model_fields_set or provider not in PROVIDER_DEFAULT_MODELS:
            return self.model
        return PROVIDER_DEFAULT_MODELS[provider]

    def for_phase(self, phase: str) -> ModelChoice:
        """Provider, model and effort for ``phase``: its own settings, else the strategy's."""
        own = self.phases.of(phase)
        provider = own.provider or self.provider
        model = own.model or self.model_for(provider)
        # "auto" lets the route decide per run; outside a run it means the seed's default
        strategy = STRATEGIES.get(self.strategy, STRATEGIES["high-medium-high"])
        effort = own.effort or strategy.get(phase, self.effort)
        return ModelChoice(provider=provider, model=model, effort=effort)


@dataclass(frozen=True)
class ModelChoice:
    provider: str
    model: str
    effort: Effort


def _check_provider(name: str) -> str:
    if not registry.is_known(name):
        raise ValueError(f"unknown provider {name!r}: choose one of {', '.join(registry.provider_names())}")
    return name


# --- loading -------------------------------------------------------------------------------

Flat = dict[str, tuple[Any, str]]  # dotted key -> (value, where it came from)


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    sources: dict[str, str]  # dotted key -> "default", a file path, "env GEARSHIFT_X" or "flag"
    repo_root: Path | None

    def source_of(self, key: str) -> str:
        return self.sources.get(key, "default")


def load_settings(
    *,
    cwd: Path | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedSettings:
    """Merge every layer and validate the result; a bad value raises ConfigError naming its source."""
    env = os.environ if environ is None else environ
    root = find_repo_root(cwd)
    merged: Flat = {}
    project = _project_layers(root or (cwd or Path.cwd()).resolve())
    for layer in (
        _user_layer(),
        *project,
        _env_layer(env),
        _flags_layer(flags or {}),
    ):
        merged.update(layer)
    nested = unflatten({key: value for key, (value, _) in merged.items()})
    try:
        settings = Settings.model_validate(nested)
    except ValidationError as exc:
        raise _config_error(exc, merged) from None
    repository_files = {source for layer in project for _, source in layer.values()}
    settings._repository_keys = {_one_name(k): src for k, (_, src) in merged.items() if src in repository_files}
    return LoadedSettings(settings, {k: src for k, (_, src) in merged.items()}, root)


def _one_name(key: str) -> str:
    # [providers.openai_chat] is [providers.openai-chat]: the key names the table the provider reads
    parts = key.split(".")
    if len(parts) > 2 and parts[0] == "providers":
        parts[1] = parts[1].replace("_", "-")
    return ".".join(parts)


def _user_layer() -> Flat:
    return _toml_layer(gearshift_home() / "config.toml", table=None)


def _project_layers(root: Path) -> list[Flat]:
    # pyproject first so that a dedicated gearshift.toml wins where both set a key
    layers = [_toml_layer(root / "pyproject.toml", table="tool.gearshift"), _toml_layer(root / "gearshift.toml")]
    for layer in layers:
        if "trusted_urls" in layer:  # else a repository could trust its own URL with the user's key
            home = gearshift_home() / "config.toml"
            raise ConfigError(f"{layer['trusted_urls'][1]}: trusted_urls can be set only in your own config ({home})")
    return layers


def _toml_layer(path: Path, table: str | None = None) -> Flat:
    if not path.is_file():
        return {}
    try:
        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}; fix the TOML syntax there") from None
    for part in (table or "").split(".") if table else []:
        data = data.get(part, {}) if isinstance(data, dict) else {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [{table}] must be a table")
    return {key: (value, str(path)) for key, value in flatten(data).items()}


def _env_layer(environ: Mapping[str, str]) -> Flat:
    layer: Flat = {}
    for name, value in environ.items():
        if not name.startswith("GEARSHIFT_") or name in _RESERVED_ENV:
            continue
        parts = name.removeprefix("GEARSHIFT_").lower().split("__")
        if len(parts) > 1 and parts[0] == "providers":
            parts[1] = parts[1].replace("_", "-")  # OPENAI_CHAT names the provider openai-chat
        layer[".".join(parts)] = (value, f"env {name}")
    return layer


def _flags_layer(flags: Mapping[str, Any]) -> Flat:
    return {key: (value, "flag") for key, value in flags.items() if value is not None}


def _config_error(exc: ValidationError, merged: Flat) -> ConfigError:
    first = exc.errors()[0]
    loc = [str(p) for p in first["loc"]]
    key = ".".join(loc)
    source = _find_source(loc, merged)
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown setting; `gearshift config show` lists the settings there are"
    where = f" ({source})" if source else ""
    return ConfigError(f"invalid setting {key}{where}: {message}")


def _find_source(loc: list[str], merged: Flat) -> str | None:
    # the longest recorded key that is a prefix of the error's location
    for size in range(len(loc), 0, -1):
        wanted = ".".join(loc[:size])
        if wanted in merged:
            return merged[wanted][1]
    below = [source for key, (_, source) in merged.items() if key.startswith(".".join(loc) + ".")]
    return below[0] if below else None


def describe(loaded: LoadedSettings) -> list[tuple[str, Any, str]]:
    """Rows of (key, value, source) for every setting in force, phases resolved; values keep their JSON
    types (a flag is false, not "False"); ``show_value`` writes one for a table."""
    rows: list[tuple[str, Any, str]] = []
    settings = loaded.settings
    dumped = flatten(settings.model_dump(mode="json", exclude_none=True))
    for name, table in settings._plugin_tables.items():
        dumped.update(flatten(table, f"providers.{name}."))
    for key in sorted(dumped):
        rows.append((key, dumped[key], loaded.source_of(key)))
    for phase in PHASES:
        choice = settings.for_phase(phase)
        own = f"phases.{phase}.effort"
        effort_source = loaded.source_of(own) if own in loaded.sources else f"strategy {settings.strategy}"
        rows.append((f"resolved.{phase}", f"{choice.provider} {choice.model} @ {choice.effort}", effort_source))
    return rows


def show_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
