"""The real Claude Code (the pinned 2.1.328) makes a plan through gearshift's ClaudeCode provider, talking to
a loopback Anthropic Messages API server started here: proof that the flags gearshift passes are Claude
Code's, and that the result object it reads is what Claude Code prints. Skipped when the binary is not
installed."""

from __future__ import annotations

import itertools
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
from gearshift.models.agents.claude_code import ClaudeCode
from gearshift.models.agents.prompt import READ_ONLY
from gearshift.models.config import ProviderSettings
from gearshift.plan import plan_from_reply, plan_json_schema

MODEL = "claude-opus-4-7"
# the scripted plan, whole: Claude Code checks the StructuredOutput input against the schema and sends a
# reply that misses a required property back to the model
PLAN_FIT = {**PLAN, "steps": [{**step, "reads": []} for step in PLAN["steps"]]}
# what the server says each reply used: fresh input, cache read, cache write, output
USAGE = {"input_tokens": 1200, "cache_read_input_tokens": 300, "cache_creation_input_tokens": 50, "output_tokens": 40}


@dataclass
class MessagesServer:
    """Answers POST /v1/messages as the Messages API streams (server-sent events): with a StructuredOutput
    tool call carrying ``answer`` while the request offers that tool and has not had its result, else
    with a short text; keeps what it was sent."""

    answer: dict[str, Any]
    seen: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def events(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        offered = {tool.get("name") for tool in body.get("tools", [])}
        last = body["messages"][-1].get("content")
        answered = isinstance(last, list) and any(part.get("type") == "tool_result" for part in last)
        if "StructuredOutput" in offered and not answered:
            block = {"type": "tool_use", "id": f"toolu_{next(self.ids)}", "name": "StructuredOutput", "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(self.answer)}
            stop = "tool_use"
        else:
            block, delta, stop = {"type": "text", "text": ""}, {"type": "text_delta", "text": "Done."}, "end_turn"
        message = {"id": f"msg_{next(self.ids)}", "type": "message", "role": "assistant", "model": body["model"]}
        return [
            {
                "type": "message_start",
                "message": {**message, "content": [], "stop_reason": None, "usage": {**USAGE, "output_tokens": 1}},
            },
            {"type": "content_block_start", "index": 0, "content_block": block},
            {"type": "content_block_delta", "index": 0, "delta": delta},
            {"type": "content_block_stop", "index": 0},
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": USAGE["output_tokens"]},
            },
            {"type": "message_stop"},
        ]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _nothing(self) -> None:
                self.send_response(404)
                self.send_header("content-length", "0")
                self.end_headers()

            def do_GET(self) -> None:  # Claude Code's connectivity check (/api/hello): nothing but messages here
                server.seen.append((self.path, dict(self.headers), None))
                self._nothing()

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
                server.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if self.path.split("?")[0] != "/v1/messages" or not body.get("stream"):
                    self._nothing()
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("request-id", "req_loopback")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                write_events(self.wfile, server.events(body))

        return Handler


@pytest.fixture
def messages_server() -> Iterator[tuple[MessagesServer, str]]:
    api = MessagesServer(answer=PLAN_FIT)
    with serving(api.handler()) as url:
        yield api, url + ""


@pytest.mark.timeout(120)
def test_the_real_claude_code_makes_a_plan_through_a_loopback_messages_server(
    messages_server: tuple[MessagesServer, str], tmp_path: Path
) -> None:
    binary = agent_binary("claude")
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30).stdout
    assert version.strip() == "2.1.328 (Claude Code)"
    api, url = messages_server
    repo = calc_repo(tmp_path)
    home = tmp_path / "claude-home"  # not the user's settings nor login
    home.mkdir()
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "CLAUDE_CONFIG_DIR": str(home / ".claude"),
        "ANTHROPIC_BASE_URL": url,
        "ANTHROPIC_API_KEY": "sk-ant-loopback",
        # nothing sent anywhere but to the loopback server
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "DISABLE_AUTOUPDATER": "1",
    }
    settings = ProviderSettings(command=str(binary), deadline=60, max_turns=8, max_budget_usd=5)
    provider = ClaudeCode(settings, environ)  # deadline: the run is killed by then, this test cannot hang
    ledger = Ledger(tmp_path / "ledger.db")
    request = Request(
        instructions="Plan the task in small steps.",
        input="Add mul and sub to calc.py",
        model=MODEL,
        effort=Effort.HIGH,
        schema=JsonSchema(name="plan", schema=plan_json_schema()),
        workspace=Workspace(root=repo, log_dir=tmp_path / "logs"),
    )

    plan = Gateway(ledger).call_structured(provider, request, CallSite(phase="plan"), plan_from_reply)

    # the plan the server sent as the StructuredOutput tool's input, parsed from the result object
    assert [step.title for step in plan.steps] == ["Add mul", "Add sub", "Document the functions"]
    [kept] = (tmp_path / "logs").iterdir()
    result = json.loads(kept.read_text())
    assert (result["type"], result["subtype"], result["structured_output"]) == ("result", "success", PLAN_FIT)
    posts = [(path, headers, body) for path, headers, body in api.seen if body is not None and "messages" in body]
    [row] = ledger.calls()
    assert (row["status"], row["model"], row["effort_sent"], row["request_id"]) == (
        "ok",
        MODEL,
        "high",
        result["session_id"],
    )
    # the usage the server sent, summed over Claude Code's requests: input is fresh + cache read + cache write
    calls = len(posts)
    assert (row["input_tokens"], row["cached_tokens"], row["output_tokens"]) == (1550 * calls, 300 * calls, 40 * calls)
    # Claude Code's own figure for the call is the ledger's cost
    assert result["total_cost_usd"] > 0
    assert (row["cost_usd"], row["cost_source"]) == (result["total_cost_usd"], "native")

    # what Claude Code sent: the flags arrived as meant (model, effort, schema, key, plan mode, no edit tools)
    path, headers, body = posts[0]
    assert path.startswith("/v1/messages")
    assert headers["x-api-key"] == "sk-ant-loopback"
    assert body["model"] == MODEL
    assert body["output_config"]["effort"] == "high"
    tools = {tool["name"]: tool for tool in body["tools"]}
    assert tools["StructuredOutput"]["input_schema"] == plan_json_schema()
    assert not {"Edit", "Write", "NotebookEdit"} & set(tools)
    said = json.dumps(body["messages"])
    assert "Add mul and sub to calc.py" in said
    assert json.dumps(READ_ONLY)[1:-1] in said
    assert "Plan mode is active" in said  # Claude Code's own note of the permission mode it runs in
    assert str(repo) in json.dumps(body)  # it works in the checkout
    assert git(repo, "status", "--porcelain") == ""
