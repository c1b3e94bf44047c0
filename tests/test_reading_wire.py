"""The plan and review phases read the repository through tool calls, in each of the three wire
formats, through the real SDKs and the loopback server: the calls go out as the format declares
tools, the model's calls come back, and their results arrive in the next request."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakeapi import Asked, FakeAPI, Scripted, Seen, chat_reply, error_reply, messages_reply, responses_reply
from scripted_model import PLAN, REVIEW, block
from workflow_helpers import git, make_repo

from gearshift.gateway import Gateway
from gearshift.ledger import Ledger
from gearshift.phases import reading
from gearshift.settings import Settings
from gearshift.workflow import RunOptions, Workflow

KEYS = {"OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant-test"}
TASK = "Add mul to calc"
ONE_STEP_PLAN = {**PLAN, "steps": PLAN["steps"][:1]}
MUL = "def mul(a, b):\n    return a * b\n"
ONE_STEP_REVIEW = {**REVIEW, "adherence": REVIEW["adherence"][:1]}


@dataclass(frozen=True)
class Wire:
    """One wire format as the tests see it: how a reply is scripted, where the tools, the model's
    calls and their results sit in a request body, and which schema a request asks for."""

    provider: str
    model: str
    reply: Callable[..., Scripted]
    tools: Callable[[dict[str, Any]], list[str]]
    asked: Callable[[dict[str, Any]], list[tuple[str, str]]]  # (call id, tool name) the request sends back
    results: Callable[[dict[str, Any]], dict[str, str]]  # call id -> result
    choice: Callable[[dict[str, Any]], str]
    schema: Callable[[dict[str, Any]], str | None]
    reply_ids: Callable[[dict[str, Any]], list[str]]  # the call ids a scripted reply body makes
    url_suffix: str = ""


def _responses_schema(body: dict[str, Any]) -> str | None:
    return ((body.get("text") or {}).get("format") or {}).get("name")


def _chat_schema(body: dict[str, Any]) -> str | None:
    return ((body.get("response_format") or {}).get("json_schema") or {}).get("name")


def _anthropic_schema(body: dict[str, Any]) -> str | None:
    # Anthropic's format has no name: the schema's own fields say which it is
    schema = ((body.get("output_config") or {}).get("format") or {}).get("schema") or {}
    fields = set(schema.get("properties", {}))
    return "plan" if "steps" in fields else "review" if "adherence" in fields else None


def _input_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body["input"] if isinstance(body["input"], list) else []


def _blocks(body: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [b for m in body["messages"] if m["role"] == role and isinstance(m["content"], list) for b in m["content"]]


RESPONSES = Wire(
    provider="openai",
    model="gpt-5.4",
    reply=responses_reply,
    tools=lambda body: [t["name"] for t in body.get("tools", []) if t["type"] == "function"],
    asked=lambda body: [(i["call_id"], i["name"]) for i in _input_items(body) if i.get("type") == "function_call"],
    results=lambda body: {
        i["call_id"]: i["output"] for i in _input_items(body) if i.get("type") == "function_call_output"
    },
    choice=lambda body: body.get("tool_choice"),
    schema=_responses_schema,
    reply_ids=lambda body: [i["call_id"] for i in body["output"] if i["type"] == "function_call"],
)
CHAT = Wire(
    provider="openai-chat",
    model="qwen3",
    reply=chat_reply,
    tools=lambda body: [t["function"]["name"] for t in body.get("tools", []) if t["type"] == "function"],
    asked=lambda body: [
        (c["id"], c["function"]["name"]) for m in body["messages"] if m["role"] == "assistant" for c in m["tool_calls"]
    ],
    results=lambda body: {m["tool_call_id"]: m["content"] for m in body["messages"] if m["role"] == "tool"},
    choice=lambda body: body.get("tool_choice"),
    schema=_chat_schema,
    reply_ids=lambda body: [c["id"] for c in body["choices"][0]["message"]["tool_calls"]],
)
ANTHROPIC = Wire(
    provider="anthropic",
    model="claude-opus-5-5",
    reply=messages_reply,
    tools=lambda body: [t["name"] for t in body.get("tools", [])],
    asked=lambda body: [(b["id"], b["name"]) for b in _blocks(body, "assistant") if b["type"] == "tool_use"],
    results=lambda body: {b["tool_use_id"]: b["content"] for b in _blocks(body, "user") if b["type"] == "tool_result"},
    choice=lambda body: (body.get("tool_choice") or {}).get("type"),
    schema=_anthropic_schema,
    reply_ids=lambda body: [b["id"] for b in body["content"] if b["type"] == "tool_use"],
    url_suffix="/v1",  # the SDK adds /v1/messages to its base URL
)
WIRES = pytest.mark.parametrize("wire", [RESPONSES, CHAT, ANTHROPIC], ids=lambda w: w.provider)


@pytest.fixture(autouse=True)
def _fresh_notices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "_told", set())


def _workflow(repo: Path, wire: Wire, url: str, said: list[str], **extra: Any) -> Workflow:
    settings = Settings.model_validate(
        {
            "provider": wire.provider,
            "model": wire.model,
            "providers": {wire.provider: {"base_url": url.removesuffix(wire.url_suffix), "max_retries": 0}},
            **extra,
        }
    )
    ledger = Ledger(repo / ".gearshift" / "ledger.db")
    return Workflow(repo, settings, ledger, Gateway(ledger), environ=KEYS, say=said.append)


def _text(wire: Wire, value: dict[str, Any], **kw: Any) -> Scripted:
    return wire.reply(json.dumps(value), **kw)


def _asks(wire: Wire, *calls: Asked, **kw: Any) -> Scripted:
    return wire.reply("", tool_calls=list(calls), **kw)


@WIRES
def test_the_planner_reads_and_its_results_arrive_in_the_next_request(
    wire: Wire, fake_api: FakeAPI, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    asking = _asks(wire, ("read_file", {"path": "calc.py"}), ("search", {"pattern": r"def \w+"}))
    fake_api.push(asking, _text(wire, ONE_STEP_PLAN))
    said: list[str] = []
    wf = _workflow(repo, wire, fake_api.url, said)

    run_id = wf.plan(TASK, RunOptions())

    first, second = (seen.body for seen in fake_api.seen)
    # the first request declares the tools beside the plan's schema, and lets the model read
    assert wire.tools(first) == ["read_file", "search", "list_files"]
    assert (wire.schema(first), wire.choice(first)) == ("plan", "auto")
    assert "read the repository with tools" in json.dumps(first)
    # the second sends back the model's calls, each with its result, still asking for the plan
    read_id, search_id = wire.reply_ids(asking.body)
    assert wire.asked(second) == [(read_id, "read_file"), (search_id, "search")]
    assert wire.results(second) == {
        read_id: "calc.py (lines 1-2 of 2)\n1  def add(a, b):\n2      return a + b",
        search_id: "calc.py:1: def add(a, b):",
    }
    assert wire.schema(second) == "plan"
    rows = [row for row in wf.ledger.calls() if row["phase"] == "plan"]
    assert [(row["provider"], row["status"]) for row in rows] == [(wire.provider, "ok")] * 2
    assert wf.load_plan(run_id).steps[0].title == "Add mul"
    assert (wf.run_dir(run_id) / "plan.json").exists()
    assert "plan reads: read_file calc.py, search def \\w+" in said


def _reviewing_model(wire: Wire) -> Callable[[Seen], Scripted]:
    """Plans one step, makes it, and reviews after one read of the file the step changed."""

    def answer(seen: Seen) -> Scripted:
        kind = wire.schema(seen.body)
        if kind == "plan":
            return _text(wire, ONE_STEP_PLAN)
        if kind == "review":
            if not wire.results(seen.body):
                return _asks(wire, ("read_file", {"path": "calc.py", "start_line": 5}))
            return _text(wire, ONE_STEP_REVIEW)
        return wire.reply(block("calc.py", "    return a + b\n", "    return a + b\n\n\n" + MUL))

    return answer


@WIRES
def test_the_reviewer_reads_the_implemented_code(wire: Wire, fake_api: FakeAPI, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    fake_api.push(*[_reviewing_model(wire)] * 6)
    wf = _workflow(repo, wire, fake_api.url, [])

    result = wf.run(TASK, RunOptions(), lambda plan_md, path: True)

    assert result.status == "done"
    asked, answered = fake_api.seen[-2].body, fake_api.seen[-1].body
    assert wire.schema(asked) == wire.schema(answered) == "review"
    assert wire.tools(asked) == ["read_file", "search", "list_files"]
    [content] = wire.results(answered).values()
    # the code as the step left it, from the line asked for on
    assert content == "calc.py (lines 5-6 of 6)\n5  def mul(a, b):\n6      return a * b"
    rows = [row["phase"] for row in reversed(wf.ledger.calls())]
    assert rows == ["plan", "implement", "review", "review"]
    assert "def mul" in git(repo, "show", "HEAD:calc.py")


@WIRES
def test_refused_reads_are_said_in_the_results_and_nothing_secret_is_sent(
    wire: Wire, fake_api: FakeAPI, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / ".env").write_text("API_KEY=sk-live-very-secret\n")
    (repo / ".gitignore").write_text("local.txt\n")
    (repo / "local.txt").write_text("sk-live-very-secret\n")
    (tmp_path / "x").write_text("sk-live-very-secret\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "settings")
    paths = [".env", ".git/config", "../x", "local.txt"]
    fake_api.push(_asks(wire, *[("read_file", {"path": p}) for p in paths]), _text(wire, ONE_STEP_PLAN))

    _workflow(repo, wire, fake_api.url, []).plan(TASK, RunOptions())

    results = list(wire.results(fake_api.seen[1].body).values())
    assert [r.split(": refused: ")[1].split(" ")[0:3] for r in results] == [
        ["it", "looks", "like"],
        ["nothing", "under", ".git/"],
        ["'..'", "is", "not"],
        ["the", "repository", "ignores"],
    ]
    assert "sk-live-very-secret" not in json.dumps([seen.body for seen in fake_api.seen])


def test_the_responses_format_keeps_the_models_reasoning_between_rounds(fake_api: FakeAPI, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    kept = _asks(RESPONSES, ("read_file", {"path": "calc.py"}), reasoning_tokens=5, encrypted_reasoning="gAAA")
    dropped = _asks(RESPONSES, ("read_file", {"path": "check.py"}), reasoning_tokens=5)
    fake_api.push(kept, dropped, _text(RESPONSES, ONE_STEP_PLAN))

    _workflow(repo, RESPONSES, fake_api.url, []).plan(TASK, RunOptions())

    items = fake_api.seen[2].body["input"]
    reasoning, first_call = items[1], items[2]
    assert (reasoning["type"], reasoning["encrypted_content"]) == ("reasoning", "gAAA")
    assert reasoning["id"] == kept.body["output"][0]["id"]
    assert first_call["id"] == kept.body["output"][1]["id"]  # with its reasoning item: its id may come too
    # reasoning without its encrypted content cannot come back, and then neither can the call's id
    second_call = items[4]
    assert second_call["type"] == "function_call" and "id" not in second_call
    assert [item.get("type") for item in items].count("reasoning") == 1


def test_anthropic_gets_its_signed_thinking_back_before_the_tool_use(fake_api: FakeAPI, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    fake_api.push(_asks(ANTHROPIC, ("list_files", {}), thinking_tokens=7), _text(ANTHROPIC, ONE_STEP_PLAN))

    _workflow(repo, ANTHROPIC, fake_api.url, []).plan(TASK, RunOptions())

    assistant = fake_api.seen[1].body["messages"][1]
    assert assistant["role"] == "assistant"
    assert [b["type"] for b in assistant["content"]] == ["thinking", "tool_use"]
    assert assistant["content"][0] == {"type": "thinking", "thinking": "Let me think.", "signature": "sig"}
    assert list(ANTHROPIC.results(fake_api.seen[1].body).values()) == ["calc.py\ncheck.py"]


@WIRES
def test_the_last_round_bars_the_tools_and_says_to_answer(wire: Wire, fake_api: FakeAPI, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    fake_api.push(
        _asks(wire, ("read_file", {"path": "calc.py"})),
        _asks(wire, ("read_file", {"path": "check.py"})),
        _text(wire, ONE_STEP_PLAN),
    )

    _workflow(repo, wire, fake_api.url, [], context={"tool_rounds": 3}).plan(TASK, RunOptions())

    choices = [wire.choice(seen.body) for seen in fake_api.seen]
    assert choices == ["auto", "auto", "none"]
    last = json.dumps(fake_api.seen[2].body)
    assert reading.NO_MORE_READS in last and reading.NO_MORE_READS not in json.dumps(fake_api.seen[1].body)
    assert wire.tools(fake_api.seen[2].body) == ["read_file", "search", "list_files"]  # declared, for the turns


def test_a_server_that_takes_no_tools_is_asked_again_without_them_and_it_is_said_once(
    fake_api: FakeAPI, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    fake_api.push(
        error_reply(400, "registry.ollama.ai/library/qwen3:latest does not support tools"),
        _text(CHAT, ONE_STEP_PLAN),
        _text(CHAT, ONE_STEP_PLAN),
    )
    said: list[str] = []
    wf = _workflow(repo, CHAT, fake_api.url, said)

    wf.plan(TASK, RunOptions())
    wf.plan(TASK, RunOptions())

    assert [CHAT.tools(seen.body) for seen in fake_api.seen] == [["read_file", "search", "list_files"], [], []]
    assert "read the repository with tools" not in json.dumps(fake_api.seen[1].body)
    told = [line for line in said if "without reading the repository" in line]
    assert len(told) == 1 and "does not support tools" in told[0]
    assert [row["status"] for row in reversed(wf.ledger.calls())] == ["tools_unsupported", "ok", "ok"]
