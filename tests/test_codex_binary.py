"""The real codex (the pinned codex-cli 0.169.0) makes a plan through gearshift's Codex provider, talking
to a loopback Responses API server started here: proof that the flags gearshift passes are codex's,
and that the events it reads are what codex writes. Skipped when the binary is not installed."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from agent_binaries import agent_binary, calc_repo, serving, write_events
from scripted_model import PLAN
from workflow_helpers import git

from gearshift.effort import Effort
from gearshift.gateway import CallSite, Gateway
from gearshift.ledger import Ledger
from gearshift.models import JsonSchema, Request, Workspace
from gearshift.models.agents.codex import Codex
from gearshift.models.agents.prompt import READ_ONLY
from gearshift.models.base import Usage
from gearshift.models.config import ProviderSettings
from gearshift.plan import plan_from_reply, plan_json_schema

KEY_ENV = "CODEX_LOOPBACK_KEY"  # not GEARSHIFT_*: gearshift reads those as settings
USAGE = Usage(input_tokens=4321, cached_tokens=1024, output_tokens=987, reasoning_tokens=456)


@dataclass
class ResponsesServer:
    """Answers every POST /v1/responses with one assistant message, streamed as the Responses API streams
    it (server-sent events, chunked); keeps what it was sent."""

    answer: str
    usage: Usage
    seen: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)

    def events(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        response: dict[str, Any] = {
            "id": "resp_loopback_1",
            "object": "response",
            "model": body.get("model"),
            "output": [],
        }
        message = {"type": "message", "id": "msg_loopback_1", "role": "assistant"}
        done = {**message, "status": "completed", "content": [{"type": "output_text", "text": self.answer}]}
        deltas = [self.answer[i : i + 40] for i in range(0, len(self.answer), 40)]
        usage = {
            "input_tokens": self.usage.input_tokens,
            "input_tokens_details": {"cached_tokens": self.usage.cached_tokens},
            "output_tokens": self.usage.output_tokens,
            "output_tokens_details": {"reasoning_tokens": self.usage.reasoning_tokens},
            "total_tokens": self.usage.input_tokens + self.usage.output_tokens,
        }
        return [
            {"type": "response.created", "response": {**response, "status": "in_progress"}},
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {**message, "status": "in_progress", "content": []},
            },
            *(
                {
                    "type": "response.output_text.delta",
                    "item_id": "msg_loopback_1",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": d,
                }
                for d in deltas
            ),
            {"type": "response.output_item.done", "output_index": 0, "item": done},
            {
                "type": "response.completed",
                "response": {**response, "status": "completed", "output": [done], "usage": usage},
            },
        ]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # nothing but /responses is served
                server.seen.append((self.path, dict(self.headers), None))
                self.send_response(404)
                self.send_header("content-length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
                server.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if self.path != "/v1/responses":
                    self.send_response(404)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                write_events(self.wfile, server.events(body))

        return Handler


@pytest.fixture
def responses_server() -> Iterator[tuple[ResponsesServer, str]]:
    api = ResponsesServer(answer=json.dumps(PLAN), usage=USAGE)
    with serving(api.handler()) as url:
        yield api, url + "/v1"


@pytest.mark.timeout(120)
def test_the_real_codex_makes_a_plan_through_a_loopback_responses_server(
    responses_server: tuple[ResponsesServer, str], tmp_path: Path
) -> None:
    binary = agent_binary("codex")
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30).stdout
    assert version.strip() == "codex-cli 0.169.0"
    api, url = responses_server
    repo = calc_repo(tmp_path)
    codex_home = tmp_path / "codex-home"  # not the user's config nor login
    codex_home.mkdir()
    environ = {**os.environ, "CODEX_HOME": str(codex_home), KEY_ENV: "sk-loopback"}
    settings = ProviderSettings(
        command=str(binary),
        base_url=url,
        api_key_env=KEY_ENV,
        deadline=60,  # the run is killed by then: this test cannot hang
        extra_args=("-c", "analytics.enabled=false"),  # nothing sent anywhere but to the loopback server
    )
    provider = Codex(settings, environ)
    ledger = Ledger(tmp_path / "ledger.db")
    request = Request(
        instructions="Plan the task in small steps.",
        input="Add mul and sub to calc.py",
        model="gpt-5.4",
        effort=Effort.HIGH,
        schema=JsonSchema(name="plan", schema=plan_json_schema()),
        workspace=Workspace(root=repo, log_dir=tmp_path / "logs"),
    )

    plan = Gateway(ledger).call_structured(provider, request, CallSite(phase="plan"), plan_from_reply)

    # the plan the server sent, parsed from codex's last agent message
    assert [step.title for step in plan.steps] == ["Add mul", "Add sub", "Document the functions"]
    [row] = ledger.calls()
    assert (row["status"], row["effort_sent"], row["request_id"] is not None) == ("ok", "high", True)
    # the usage the server sent, as codex's turn.completed carried it
    assert (row["input_tokens"], row["cached_tokens"], row["output_tokens"], row["reasoning_tokens"]) == (
        4321,
        1024,
        987,
        456,
    )
    # what codex sent: the flags arrived as meant (model, effort, schema, key, read-only sandbox)
    posts = [(path, headers, body) for path, headers, body in api.seen if body is not None]
    assert len(posts) == 1
    path, headers, body = posts[0]
    assert path == "/v1/responses"
    assert headers["authorization"] == "Bearer sk-loopback"
    assert body["model"] == "gpt-5.4"
    assert body["reasoning"]["effort"] == "high"
    assert body["text"]["format"]["type"] == "json_schema"
    assert body["text"]["format"]["strict"] is True
    assert body["text"]["format"]["schema"] == plan_json_schema()
    said = json.dumps(body["input"])
    assert "Add mul and sub to calc.py" in said
    assert json.dumps(READ_ONLY)[1:-1] in said
    assert "`sandbox_mode` is `read-only`" in said  # codex's own note of the sandbox it runs in
    assert str(repo) in said  # -C: codex works in the checkout
    # the raw event stream is kept with the run; the checkout is untouched
    [kept] = (tmp_path / "logs").iterdir()
    assert '"type":"turn.completed"' in kept.read_text()
    assert git(repo, "status", "--porcelain") == ""
