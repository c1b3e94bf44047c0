"""Settings as dotted keys and back: how the layers (files, environment, flags) are merged.

A key part that holds a dot itself (a model name in ``[pricing."gpt-5.4"]``) is written quoted,
as TOML writes it, so that ``pricing."gpt-5.4".input`` comes back as the table it was.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PART = re.compile(r'"[^"]*"|[^.]+')


def key_part(name: str) -> str:
    """One part of a dotted key: quoted when it holds a dot."""
    return f'"{name}"' if "." in name else name


def split_key(dotted: str) -> list[str]:
    """The parts of a dotted key, quotes taken off."""
    return [part[1:-1] if part.startswith('"') else part for part in _PART.findall(dotted)]


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables as one level of dotted keys."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key_part(str(key))}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted keys as nested tables; a later table replaces a scalar set where a table was expected."""
    nested: dict[str, Any] = {}
    for dotted, value in flat.items():
        node = nested
        *parents, leaf = split_key(dotted)
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # a scalar set where a table was expected
                child = node[part] = {}
            node = child
        node[leaf] = value
    return nested


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``, table by table."""
    merged = dict(base)
    for key, value in top.items():
        below = merged.get(key)
        merged[key] = deep_merge(below, value) if isinstance(below, Mapping) and isinstance(value, Mapping) else value
    return merged
