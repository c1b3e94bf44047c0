"""The environment a check runs in, and what its output must not show.

A check's output goes into fix and review prompts, so a test suite that prints its
environment (or a failing assertion that shows a settings object) would send gearshift's own
API keys to a model. The check gets gearshift's environment minus every variable whose name
says it holds a secret. That is a deny-list on purpose: test suites legitimately need PATH,
HOME, the locale, VIRTUAL_ENV, JAVA_HOME, GOPATH, DATABASE_URL, CI and a long tail of others
that no allow-list would foresee, while secrets are named by a few well-worn words.

What a check prints can still hold a secret it read elsewhere (a ``.env`` file, a config
file), so the values of secret-named variables, from gearshift's environment and from the
checkout's ``.env`` files, are also blanked out of its output.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

# Whole words of a name (split at "_"): OPENAI_API_KEY, GH_TOKEN, AWS_ACCESS_KEY_ID, GH_PAT.
# Not part of a word: TOKENIZERS_PARALLELISM and KEYBOARD are no secrets.
_SECRET_WORDS = {"KEY", "KEYS", "TOKEN", "TOKENS", "PAT"}
# Anywhere in a name: AWS_SECRET_ACCESS_KEY, CLIENTSECRET, PGPASSWORD, GOOGLE_APPLICATION_CREDENTIALS.
_SECRET_PARTS = ("SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "APIKEY")
_SHORTEST_SECRET = 8  # shorter values ("true", "1") would blank out ordinary words of the output
_LARGEST_ENV_FILE = 1 << 20


def is_secret_name(name: str) -> bool:
    """Does the name of an environment variable say that it holds a secret?"""
    upper = name.upper()
    return any(part in upper for part in _SECRET_PARTS) or not _SECRET_WORDS.isdisjoint(upper.split("_"))


def check_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without the variables that hold secrets: the environment a check runs in."""
    return {name: value for name, value in environ.items() if not is_secret_name(name)}


def secret_values(environ: Mapping[str, str], root: Path | None = None) -> dict[str, str]:
    """Secret values a check's output must not show, each with the name it is known by.

    From ``environ`` and from the ``.env`` files at ``root`` (``.env``, ``.env.local``, ...).
    """
    found = {value: name for name, value in environ.items() if is_secret_name(name)}
    if root is not None:
        for path in sorted(root.glob(".env*")):
            found |= {value: f"{name} in {path.name}" for name, value in _env_file(path) if is_secret_name(name)}
    return {value: name for value, name in found.items() if len(value.strip()) >= _SHORTEST_SECRET}


def _env_file(path: Path) -> list[tuple[str, str]]:
    try:
        if not path.is_file() or path.stat().st_size > _LARGEST_ENV_FILE:
            return []
        text = path.read_text(errors="replace")
    except OSError:
        return []
    pairs = []
    for line in text.splitlines():
        name, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and not name.startswith("#"):
            pairs.append((name.strip(), value.strip().strip("'\"")))
    return pairs


def redact(text: str, secrets: Mapping[str, str]) -> str:
    """``text`` with each secret value replaced by a note naming it; longest first, as one may hold another."""
    for value in sorted(secrets, key=len, reverse=True):
        if value in text:
            text = text.replace(value, f"[secret {secrets[value]} left out]")
    return text
