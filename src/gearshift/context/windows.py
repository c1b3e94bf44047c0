"""Context windows by model name, remembered: the price table answers in a tenth of a second, most
of it importing the table, and a map that takes a third of a second should not wait for it."""

from __future__ import annotations

import json
import os
from pathlib import Path


def remembered_window(model: str) -> int | None:
    """pricing.context_window(model), from a small file while the installed price table is unchanged."""
    stamp = _table_stamp()
    path = _cache_file()
    entries: dict[str, object] = {}
    if stamp is not None:
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entries = {}
        if not isinstance(entries, dict) or entries.get("table") != stamp:
            entries = {"table": stamp}
        key = f"model:{model}"
        known = entries.get(key)
        if isinstance(known, int) and not isinstance(known, bool):
            return known
        if key in entries and known is None:
            return None  # a model the table does not know, and did not know last time
    from gearshift.pricing import context_window

    window = context_window(model)
    if stamp is not None:
        entries[f"model:{model}"] = window
        _write(path, entries)
    return window


def _table_stamp() -> str | None:
    """Size and time of the installed price table's data: a new version of it is a new stamp."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("genai_prices")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        info = os.stat(os.path.join(next(iter(spec.submodule_search_locations)), "data.py"))
    except OSError:
        return None
    return f"{info.st_size}:{info.st_mtime_ns}"


def _cache_file() -> Path:
    from gearshift.paths import gearshift_home

    return gearshift_home() / "cache" / "windows.json"


def _write(path: Path, entries: dict[str, object]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(entries), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass  # not remembered: asked again next time
