"""Providers by name: the built-ins, ones registered in code, and plug-ins found through entry points.

A package adds a provider by declaring, in its pyproject.toml::

    [project.entry-points."gearshift.providers"]
    mine = "my_package.provider:make"

``make(config: dict[str, Any]) -> Provider`` gets the ``[providers.mine]`` table of the
settings, an empty dict when there is none. Entry points are read only when a name is not a
built-in (or every name is listed), once per process: `gearshift --help` and the built-ins
never pay for scanning the installed packages. Nothing here imports an SDK; each built-in
imports its own when it is made.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from gearshift.errors import GearshiftError, UsageError
from gearshift.models.base import PROVIDER_MEMBERS, Provider

if TYPE_CHECKING:
    from gearshift.models.config import ProviderSettings
    from gearshift.settings import Settings
    from gearshift.trust import KeyPolicy

ENTRY_POINT_GROUP = "gearshift.providers"

ProviderFactory = Callable[[dict[str, Any]], Provider]
"""Makes a provider from its settings table; what a plug-in or register_provider supplies."""

# Names that work as a TOML table key and as an environment variable part alike.
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


def _openai(config: ProviderSettings, environ: Mapping[str, str], policy: KeyPolicy) -> Provider:
    from gearshift.models.openai_responses import OpenAIResponses

    return OpenAIResponses(config, environ, policy)


def _openai_chat(config: ProviderSettings, environ: Mapping[str, str], policy: KeyPolicy) -> Provider:
    from gearshift.models.openai_chat import OpenAIChat

    return OpenAIChat(config, environ, policy)


def _anthropic(config: ProviderSettings, environ: Mapping[str, str], policy: KeyPolicy) -> Provider:
    from gearshift.models.anthropic_messages import AnthropicMessages

    return AnthropicMessages(config, environ, policy)


def _replay(config: ProviderSettings, environ: Mapping[str, str], policy: KeyPolicy) -> Provider:
    from gearshift.models.transcript import ReplayProvider

    if not config.transcript:
        raise UsageError("replay needs a transcript: pass --transcript FILE or set providers.replay.transcript")
    return ReplayProvider(Path(config.transcript))


def _codex(config: ProviderSettings, environ: Mapping[str, str], policy: KeyPolicy) -> Provider:
    from gearshift.models.agents.codex import Codex

    policy.check_program("codex")
    return Codex(config, environ, policy)


def _claude_code(config: ProviderSettings, environ: Mapping[str, str], policy: KeyPolicy) -> Provider:
    from gearshift.models.agents.claude_code import ClaudeCode

    policy.check_program("claude-code")
    return ClaudeCode(config, environ)


def _gemini_cli(config: ProviderSettings, environ: Mapping[str, str], policy: KeyPolicy) -> Provider:
    from gearshift.models.agents.gemini_cli import GeminiCLI

    policy.check_program("gemini-cli")
    return GeminiCLI(config, environ)


def _command(config: ProviderSettings, environ: Mapping[str, str], policy: KeyPolicy) -> Provider:
    from gearshift.models.agents.command import CommandProvider

    policy.check_program("command")
    return CommandProvider(config, environ)


def _manual(config: ProviderSettings, environ: Mapping[str, str], policy: KeyPolicy) -> Provider:
    from gearshift.models.agents.manual import ManualProvider

    return ManualProvider(config, environ)


# Built-ins take their typed settings, the environment (for API keys) and the rule for where a key
# may go (gearshift.trust), not a bare table.
_BUILTINS: dict[str, Callable[[ProviderSettings, Mapping[str, str], KeyPolicy], Provider]] = {
    "openai": _openai,
    "openai-chat": _openai_chat,
    "anthropic": _anthropic,
    "replay": _replay,
    # agent CLIs the user already has, any program, and a person at a chat window (models/agents/)
    "codex": _codex,
    "claude-code": _claude_code,
    "gemini-cli": _gemini_cli,
    "command": _command,
    "manual": _manual,
}
BUILTIN_PROVIDERS = tuple(_BUILTINS)

_registered: dict[str, ProviderFactory] = {}
_entry_points: dict[str, metadata.EntryPoint] | None = None  # None until first read


def register_provider(name: str, factory: ProviderFactory) -> None:
    """Make ``name`` a provider in this process; it wins over a plug-in of the same name."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"provider name {name!r}: use lower-case letters, digits and hyphens")
    if name in _BUILTINS:
        raise ValueError(f"{name!r} is a built-in provider; register yours under another name")
    _registered[name] = factory


def unregister_provider(name: str) -> None:
    """Undo register_provider; a name never registered is ignored."""
    _registered.pop(name, None)


def rediscover() -> None:
    """Read the entry points again at the next lookup, e.g. after installing a package in-process."""
    global _entry_points
    _entry_points = None


def is_builtin(name: str) -> bool:
    return name in _BUILTINS


def is_known(name: str) -> bool:
    """Whether ``name`` can be made; reads the entry points only for a name that is not built in."""
    return name in _BUILTINS or name in _registered or name in _discovered()


def provider_names() -> tuple[str, ...]:
    """Every provider there is: the built-ins first, then the others by name."""
    others = (set(_registered) | set(_discovered())) - set(_BUILTINS)
    return (*BUILTIN_PROVIDERS, *sorted(others))


def create(name: str, settings: Settings, environ: Mapping[str, str]) -> Provider:
    """The provider called ``name``, made from its settings; UsageError when it cannot be made."""
    if name in _BUILTINS:
        from gearshift.trust import policy_for

        return _BUILTINS[name](settings.provider_settings(name), environ, policy_for(name, settings))
    if name in _registered:
        return _checked(_registered[name](settings.provider_config(name)), name, "registered in code")
    entry = _discovered().get(name)
    if entry is None:
        raise UsageError(f"unknown provider {name!r}: choose one of {', '.join(provider_names())}")
    return _from_entry_point(name, entry, settings.provider_config(name))


def _discovered() -> dict[str, metadata.EntryPoint]:
    global _entry_points
    if _entry_points is None:
        found: dict[str, metadata.EntryPoint] = {}
        for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
            # as in the settings' table names, my_provider and my-provider are one name
            found.setdefault(entry.name.replace("_", "-"), entry)
        _entry_points = found
    return _entry_points


def _from_entry_point(name: str, entry: metadata.EntryPoint, config: dict[str, Any]) -> Provider:
    dist = entry.dist.name if entry.dist is not None else "unknown"
    origin = f"from package {dist} ({entry.value})"
    try:
        factory = entry.load()
    except Exception as exc:  # a plug-in may fail to import in any way; say which one and move on
        raise UsageError(
            f"provider {name!r} {origin} cannot be loaded: {_one_line(exc)}; reinstall or uninstall {dist}"
        ) from exc
    if not callable(factory):
        raise UsageError(f"provider {name!r} {origin} is a {type(factory).__name__}, not a factory function")
    try:
        made = factory(config)
    except GearshiftError:
        raise  # the plug-in's own one-line message, e.g. a missing key
    except Exception as exc:
        raise UsageError(f"provider {name!r} {origin} failed to start: {_one_line(exc)}") from exc
    return _checked(made, name, origin)


def _checked(made: object, name: str, origin: str) -> Provider:
    # mypy checks the built-ins against the protocol; a factory's result is only known at run time
    missing = [member for member in PROVIDER_MEMBERS if not hasattr(made, member)]
    if missing:
        raise UsageError(
            f"provider {name!r} {origin}: its factory returned a {type(made).__name__}, which lacks"
            f" {', '.join(missing)}; a provider needs {', '.join(PROVIDER_MEMBERS)}"
        )
    return cast(Provider, made)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
