"""`gearshift mcp`: the server run as editors run it, talked to with the MCP SDK's own client, over
stdio and over streamable HTTP; the model is the loopback fake API, the repository a temporary one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TextIO

import anyio
import pytest
from fakeapi import FakeAPI
from scripted_model import ScriptedModel
from workflow_helpers import TASK, make_repo

from gearshift.ledger import Ledger

mcp = pytest.importorskip("mcp")

from mcp import ClientSession, StdioServerParameters, stdio_client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

TOOLS = ["map", "plan", "review", "route", "runs", "stats"]
TASK_REVIEW = {
    "adherence": [{"step_id": 1, "status": "done", "evidence": "mul is there"}],
    "issues": [],
    "recommendations": [],
}
MODULES = {
    "shop/cart.py": (
        "class Cart:\n    def add_item(self, item):\n        pass\n\n    def total(self):\n        return 0\n"
    ),
    "shop/payment.py": "def charge(card, amount):\n    return True\n\n\ndef refund(payment):\n    return True\n",
    "shop/users.py": "class User:\n    def login(self, password):\n        return False\n",
}

Session = Callable[[ClientSession], Awaitable[None]]
Cli = Callable[..., Any]  # conftest's cli fixture: argv in, exit code and both streams out


@pytest.fixture
def repo(hermetic: Path) -> Path:
    path = make_repo(hermetic / "repo")
    for name, text in MODULES.items():
        (path / name).parent.mkdir(exist_ok=True)
        (path / name).write_text(text)
    subprocess.run(["git", "add", "-A"], cwd=path, check=True)
    subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-qm", "shop"],
        cwd=path,
        check=True,
    )
    return path


def _env(api: FakeAPI) -> dict[str, str]:
    """What the server process sees (the SDK's client passes on only PATH, HOME and the like besides)."""
    return {
        "HOME": os.environ["HOME"],
        "GEARSHIFT_HOME": os.environ["GEARSHIFT_HOME"],
        "NO_COLOR": "1",
        "OPENAI_API_KEY": "sk-test",
        "GEARSHIFT_PROVIDERS__OPENAI__BASE_URL": api.url,
        "GEARSHIFT_PROVIDERS__OPENAI__MAX_RETRIES": "0",
    }


@asynccontextmanager
async def _stdio(repo: Path, api: FakeAPI, errlog: TextIO) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "gearshift", "mcp"], env=_env(api), cwd=repo)
    async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def _over_stdio(repo: Path, api: FakeAPI, body: Session) -> None:
    """Start `gearshift mcp` in ``repo``, run ``body`` with a session on it, stop it; its stderr is shown
    when the body fails."""
    log = repo.parent / "server.log"
    with log.open("w") as errlog:

        async def main() -> None:
            async with _stdio(repo, api, errlog) as session:
                await body(session)

        try:
            anyio.run(main)
        except BaseException:
            print(log.read_text(), file=sys.stderr)
            raise


async def _call(session: ClientSession, name: str, **arguments: Any) -> dict[str, Any]:
    result = await session.call_tool(name, arguments)
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def _error(session: ClientSession, name: str, **arguments: Any) -> str:
    result = await session.call_tool(name, arguments)
    assert result.is_error
    [content] = result.content
    text = getattr(content, "text", "")
    assert text and "\n" not in text and "Traceback" not in text
    return str(text)


def test_the_six_tools_each_with_an_output_schema(repo: Path, fake_api: FakeAPI) -> None:
    async def body(session: ClientSession) -> None:
        listed = (await session.list_tools()).tools
        assert sorted(tool.name for tool in listed) == TOOLS
        for tool in listed:
            assert tool.output_schema and tool.output_schema["type"] == "object", tool.name
            assert tool.description, tool.name
        params = {tool.name: set(tool.input_schema["properties"]) for tool in listed}
        assert params["review"] == {"task_or_run", "base", "effort"}
        assert params["plan"] == {"task", "effort"} and params["map"] == {"task", "tokens"}
        assert params["stats"] == {"run_id"}

    _over_stdio(repo, fake_api, body)


def test_route_is_structured_and_asks_no_model(repo: Path, fake_api: FakeAPI) -> None:
    async def body(session: ClientSession) -> None:
        route = await _call(session, "route", task="Add JWT authentication to the login endpoint")
        assert route["task_type"] == "implementation"
        assert route["phases"]["plan"]["effort"] == "high" and route["phases"]["plan"]["reasons"]
        assert set(route["efforts"]) >= {"plan", "implement", "fix", "review"}
        assert route["summary"].startswith("run will plan at high")
        assert "repo" in route["facts"]

    _over_stdio(repo, fake_api, body)
    assert fake_api.seen == []


def test_map_keeps_to_its_token_budget(repo: Path, fake_api: FakeAPI) -> None:
    async def body(session: ClientSession) -> None:
        small = await _call(session, "map", task="Refund a payment from the cart", tokens=40)
        large = await _call(session, "map", task="Refund a payment from the cart", tokens=4000)
        assert small["budget"] == 40 and small["tokens"] <= 40
        assert large["budget"] == 4000 and large["tokens"] > small["tokens"]
        assert large["files"][0]["path"] == "shop/payment.py"
        assert "refund" in large["text"]
        message = await _error(session, "map", task="Refund", tokens=0)
        assert "tokens must be 1 or more" in message

    _over_stdio(repo, fake_api, body)


def test_plan_returns_the_plan_as_json_and_markdown_with_usage_and_cost_and_is_in_the_ledger(
    repo: Path, fake_api: FakeAPI
) -> None:
    ScriptedModel().serve(fake_api)
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b  # being edited\n")  # a dirty tree is fine
    planned: dict[str, Any] = {}

    async def body(session: ClientSession) -> None:
        planned.update(await _call(session, "plan", task=TASK, effort="X-High"))

    _over_stdio(repo, fake_api, body)
    assert planned["effort"] == "xhigh" and planned["task"] == TASK
    assert [step["title"] for step in planned["plan"]["steps"]] == ["Add mul", "Add sub", "Document the functions"]
    assert planned["markdown"].startswith(f"# Plan: {TASK}") and "### 2. Add sub" in planned["markdown"]
    assert Path(planned["plan_path"]).read_text() == planned["markdown"]
    with Ledger(repo / ".gearshift" / "ledger.db") as ledger:
        calls = ledger.calls(run_id=planned["run_id"])
    assert [(c["phase"], c["effort_requested"]) for c in calls] == [("plan", "xhigh")]
    usage = planned["usage"]
    assert usage["calls"] == 1 and usage["input_tokens"] == calls[0]["input_tokens"] > 0
    assert usage["reasoning_tokens"] == 10
    assert planned["cost_usd"] == usage["cost_usd"] == calls[0]["cost_usd"]
    assert planned["run_id"] in planned["next"]


def test_review_of_the_dirty_tree_against_a_task_and_against_a_runs_plan(repo: Path, fake_api: FakeAPI) -> None:
    model = ScriptedModel()
    model.serve(fake_api)
    found: dict[str, Any] = {}

    async def body(session: ClientSession) -> None:
        run_id = (await _call(session, "plan", task=TASK))["run_id"]
        (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n")
        (repo / "NOTES.md").write_text("mul is new\n")
        found["run"] = await _call(session, "review", task_or_run=run_id[-4:])
        model.review = TASK_REVIEW
        found["task"] = await _call(session, "review", task_or_run="Add mul to calc", effort="medium")

    _over_stdio(repo, fake_api, body)
    by_run, by_task = found["run"], found["task"]
    assert by_run["run_id"] and by_run["task"] == TASK and by_run["base"] == "HEAD"
    assert by_run["files"] == ["NOTES.md", "calc.py"]
    assert [a["status"] for a in by_run["review"]["adherence"]] == ["done", "done", "done"]
    assert by_run["markdown"].startswith("# Review") and by_run["usage"]["calls"] == 1
    assert by_task["run_id"] is None and by_task["effort"] == "medium" and by_task["effort_reason"] == "asked for"
    assert "Step 1, Add mul to calc: done" in by_task["markdown"]
    review_inputs = [seen.body["input"] for seen in fake_api.seen if seen.body["text"]["format"]["name"] == "review"]
    assert len(review_inputs) == 2
    assert "### 2. Add sub" in review_inputs[0] and "+def mul(a, b):" in review_inputs[0]
    assert "No plan was made" in review_inputs[1] and "+mul is new" in review_inputs[1]
    with Ledger(repo / ".gearshift" / "ledger.db") as ledger:
        rows = [(c["phase"], c["run_id"], c["effort_requested"]) for c in reversed(ledger.calls())]
    assert rows == [
        ("plan", by_run["run_id"], "high"),
        ("review", by_run["run_id"], "high"),
        ("review", None, "medium"),
    ]


def test_runs_and_stats_and_a_bad_call_is_one_line_and_the_server_goes_on(repo: Path, fake_api: FakeAPI) -> None:
    ScriptedModel().serve(fake_api)

    async def body(session: ClientSession) -> None:
        assert (await _call(session, "runs"))["runs"] == []
        run_id = (await _call(session, "plan", task=TASK))["run_id"]
        [run] = (await _call(session, "runs"))["runs"]
        assert (run["id"], run["status"], run["steps_total"], run["task"]) == (run_id, "planned", 0, TASK)
        assert run_id.endswith(run["short_id"]) and run["tokens"] > 0
        stats = await _call(session, "stats", run_id=run["short_id"])
        assert stats["run_id"] == run_id
        assert [(row["phase"], row["calls"]) for row in stats["rows"]] == [("plan", 1)]
        assert stats["totals"]["calls"] == 1 and stats["totals"]["cost_usd"] == stats["rows"][0]["cost_usd"]
        assert (await _call(session, "stats"))["totals"]["calls"] == 1

        assert "no run matches 'nope'" in await _error(session, "stats", run_id="nope")
        assert "no run matches '20990101-000000-abcd'" in await _error(
            session, "review", task_or_run="20990101-000000-abcd"
        )
        assert "no changes against HEAD" in await _error(session, "review", task_or_run="Add mul")
        assert "unknown effort 'extreme'" in await _error(session, "plan", task=TASK, effort="extreme")
        assert "the task is empty" in await _error(session, "route", task="  ")
        assert "more than the 64 KB a task may be" in await _error(session, "review", task_or_run="x " * 40_000)
        assert len((await _call(session, "runs"))["runs"]) == 1  # still serving

    _over_stdio(repo, fake_api, body)


def test_streamable_http_on_a_loopback_port(repo: Path, fake_api: FakeAPI) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (repo.parent / "http.log").open("w")
    env = {**os.environ, **_env(fake_api)}
    server = subprocess.Popen(
        [sys.executable, "-m", "gearshift", "mcp", "--http", str(port)], cwd=repo, env=env, stderr=log
    )
    try:
        _wait_for(port, server)

        async def main() -> dict[str, Any]:
            url = f"http://127.0.0.1:{port}/mcp"
            async with streamable_http_client(url) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                assert sorted(tool.name for tool in (await session.list_tools()).tools) == TOOLS
                return await _call(session, "route", task="Fix the crash in Cart.total")

        route = anyio.run(main)
        assert route["task_type"] == "bug_fix"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    assert f"http://127.0.0.1:{port}/mcp" in (repo.parent / "http.log").read_text()


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert server.poll() is None, "gearshift mcp --http exited"
        with socket.socket() as attempt:
            if attempt.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listened on port {port}")


def test_a_taken_port_or_no_repository_is_one_line(
    cli: Cli, repo: Path, hermetic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = cli("mcp", "--http", str(taken.getsockname()[1]))
    assert result.exit_code == 2
    assert result.stderr.startswith("gearshift: cannot serve on 127.0.0.1:") and result.stderr.count("\n") == 1
    monkeypatch.chdir(hermetic)
    outside = cli("mcp")
    assert outside.exit_code == 2 and "is not inside a git repository" in outside.stderr


def test_without_the_sdk_one_line_says_what_to_install(cli: Cli, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    monkeypatch.setitem(sys.modules, "mcp", None)  # what `import mcp` meets where it is not installed
    monkeypatch.delitem(sys.modules, "gearshift.mcp_server", raising=False)
    result = cli("mcp")
    assert result.exit_code == 1
    assert result.stderr == (
        "gearshift: the MCP SDK (the mcp package) is not installed; gearshift mcp needs it:"
        " pip install 'gearshift[mcp]'\n"
    )


def test_help_does_not_import_the_sdk() -> None:
    code = (
        "import sys\nfrom gearshift.cli import main\nsys.argv = ['gearshift', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('loaded:', sorted(m for m in ('mcp', 'gearshift.mcp_server') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "loaded: []"
    assert " mcp " in out  # the command is listed


def test_repo_serves_a_repository_the_editor_did_not_start_it_in(repo: Path, fake_api: FakeAPI) -> None:
    async def main() -> None:
        elsewhere = repo.parent  # not a repository: without --repo the server would refuse to start
        args = ["-m", "gearshift", "mcp", "--repo", str(repo)]
        params = StdioServerParameters(command=sys.executable, args=args, env=_env(fake_api), cwd=elsewhere)
        with (repo.parent / "server.log").open("w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                routed = await _call(session, "route", task="Fix typo in README")
                assert routed["task_type"]

    anyio.run(main)
