"""Which hosts may receive the user's API key: never one that only a repository's own files chose.

A repository's config (``[tool.gearshift]`` in pyproject.toml, or gearshift.toml) is written by
whoever wrote the repository, a model included, and is read on every command run in it. The
rule, for a provider that sends a key from the user's environment:

- the key goes to the provider's official URL, or to a URL the user set themselves (their own
  config, a GEARSHIFT_* or OPENAI_BASE_URL/ANTHROPIC_BASE_URL variable, a flag, or code);
- a base_url set by a repository's file gets the key only if the user lists that URL in
  ``trusted_urls`` in their own config (which a repository cannot set);
- likewise an ``api_key_env`` set by a repository's file: which of the user's variables is sent
  is the user's choice, so it is honoured only for a URL the user lists in ``trusted_urls`` (a
  trusted URL is trusted with whichever variable the repository names);
- otherwise the provider is refused before anything is sent, in one line that names the file,
  the URL and how to trust it.

A provider that sends no key (openai-chat at a local server) may go where a repository says:
nothing of the user's goes with it but the prompt, whose secrets are masked (gearshift.secrets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from gearshift.errors import UsageError

if TYPE_CHECKING:
    from gearshift.settings import Settings


@dataclass(frozen=True)
class KeyPolicy:
    """What a provider needs to know to follow the rule: which of its settings a repository set."""

    url_from: str | None = None  # the repository file that set base_url; None when the user did
    key_env_from: str | None = None  # the repository file that set api_key_env
    trusted_urls: tuple[str, ...] = ()  # the user's trusted_urls
    # the repository file that chose the program an agent or command provider runs (command, extra_args,
    # shell, usage_file): a program run with the user's environment, keys and all
    program_from: str | None = None

    def check_program(self, provider: str) -> None:
        """Refuse a program a repository chose: it would run with your keys in its environment."""
        if self.program_from:
            raise UsageError(
                f"{self.program_from} sets how providers.{provider} runs its program; a repository may not choose"
                f" a program gearshift runs with your keys. Set it in your own config ({_user_config()}) or the"
                f" environment (GEARSHIFT_PROVIDERS__{provider.upper().replace('-', '_')}__COMMAND)"
            )

    def check(self, *, provider: str, url: str, key_env: str | None, official: str) -> None:
        """Raise UsageError when the key in ``key_env`` must not go to ``url``."""
        refused = refusal(provider=provider, url=url, key_env=key_env, official=official, policy=self)
        if refused:
            raise UsageError(refused)


def policy_for(provider: str, settings: Settings) -> KeyPolicy:
    """The policy for ``provider`` under ``settings`` (loaded with load_settings, which keeps
    where each value came from; settings made in code are the user's own)."""
    return KeyPolicy(
        url_from=settings.set_by_repository(f"providers.{provider}.base_url"),
        key_env_from=settings.set_by_repository(f"providers.{provider}.api_key_env"),
        trusted_urls=tuple(settings.trusted_urls),
        program_from=next(
            (
                source
                for key in ("command", "extra_args", "shell", "usage_file", "trust_workspace")
                if (source := settings.set_by_repository(f"providers.{provider}.{key}"))
            ),
            None,
        ),
    )


def refusal(*, provider: str, url: str, key_env: str | None, official: str, policy: KeyPolicy) -> str | None:
    """Why the key held in ``key_env`` must not be sent to ``url``; None when it may (or no key goes)."""
    if key_env is None:
        return None
    trusted = normalized(url) in {normalized(u) for u in policy.trusted_urls}
    if policy.key_env_from and not trusted:
        return (
            f"{policy.key_env_from} sets providers.{provider}.api_key_env = {key_env}, and gearshift sends a"
            f" variable a repository names only to a URL you trust: to trust it, add {url!r} to trusted_urls"
            f" in {_user_config()}"
        )
    if policy.url_from and not trusted and normalized(url) != normalized(official):
        return (
            f"{policy.url_from} sets providers.{provider}.base_url = {url}, and gearshift sends your {key_env}"
            f" only to a URL you chose: to trust it, add {url!r} to trusted_urls in {_user_config()}"
        )
    return None


def normalized(url: str) -> str:
    """A URL as compared: scheme and host in lower case, no trailing slash."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _user_config() -> str:
    from gearshift.paths import gearshift_home

    return str(gearshift_home() / "config.toml")
