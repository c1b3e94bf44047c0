"""The real agent CLIs the tests run against loopback servers: the pinned versions `python3 dev.py test`
installs into .cache/agents (see AGENT_CLIS in dev.py). A test that needs one skips, saying why, when
it is not there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".cache" / "agents" / "node_modules" / ".bin"
NOT_INSTALLED = "not installed: python3 dev.py test installs it when npm is present"


def agent_binary(name: str) -> Path:
    """The installed CLI called ``name`` (``codex``, ``claude``); skips the test when it is absent, or when
    it is a Node script and there is no node to run it."""
    path = BIN / name
    if not path.is_file():
        pytest.skip(f"{name} {NOT_INSTALLED}")
    with path.open("rb") as head:
        first = head.readline()
    if first.startswith(b"#!") and b"node" in first and shutil.which("node") is None:
        pytest.skip(f"{name} needs node, which is not on PATH")
    return path
