"""The real agent CLIs the tests run against loopback servers: the pinned versions `python3 dev.py test`
installs into .cache/agents (see AGENT_CLIS in dev.py). A test that needs one skips, saying why, when
it is not there."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from workflow_helpers import git

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


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A loopback HTTP server for ``handler`` in a thread; yields its base URL, stops it after."""
    http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    http.daemon_threads = True
    thread = threading.Thread(target=http.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_address[1]}"
    finally:
        http.shutdown()
        http.server_close()


def write_events(out: BinaryIO, events: Iterable[dict[str, Any]]) -> None:
    """Server-sent events as the real APIs stream them: ``event:`` and ``data:``, in chunked encoding."""
    for event in events:
        data = f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
        out.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        out.flush()
    out.write(b"0\r\n\r\n")


def calc_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return repo
