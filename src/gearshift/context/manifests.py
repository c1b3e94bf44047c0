"""The project's dependency manifests, shown to the planner in full: what is installed decides what a
plan may use (a plan that picks a library the project lacks costs fix attempts later)."""

from __future__ import annotations

from pathlib import Path

from gearshift.context.files import is_secret, read_text

# At the repository's top level; lock files are left out: long, and the manifests name what they pin.
MANIFESTS = (
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "requirements.txt",
    "requirements-dev.txt",
    "dev-requirements.txt",
    "Pipfile",
    "environment.yml",
    "package.json",
    "tsconfig.json",
    "deno.json",
    "go.mod",
    "Cargo.toml",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "Gemfile",
    "composer.json",
    "mix.exs",
    "Package.swift",
)
PER_FILE_CHARS = 12_000
TOTAL_CHARS = 40_000


def dependency_manifests(root: Path) -> list[tuple[str, str]]:
    """(path, text) of each manifest at the top of ``root`` and in ``requirements/``, in full where
    they fit; a longer one is cut with a note of what was left out."""
    names = [name for name in MANIFESTS if (root / name).is_file()]
    requirements = root / "requirements"
    if requirements.is_dir():
        names += sorted(f"requirements/{p.name}" for p in requirements.glob("*.txt") if p.is_file())
    found: list[tuple[str, str]] = []
    total = 0
    for name in names:
        text = None if is_secret(name) else read_text(root / name)
        if text is None:
            continue
        if len(text) > PER_FILE_CHARS:
            text = text[:PER_FILE_CHARS] + f"\n[gearshift: {len(text) - PER_FILE_CHARS:,} more characters left out]\n"
        if total + len(text) > TOTAL_CHARS:
            break
        found.append((name, text))
        total += len(text)
    return found


def render_manifests(manifests: list[tuple[str, str]]) -> str:
    if not manifests:
        return "(no dependency manifest at the top of the repository)\n"
    return "".join(f"## {name}\n```\n{text.rstrip()}\n```\n\n" for name, text in manifests)
