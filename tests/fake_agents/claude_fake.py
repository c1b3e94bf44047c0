"""A fake `claude` for the tests: it takes the `claude -p` options gearshift uses, as Claude Code 2.1.328's
--help spells them (anything else is refused as commander refuses it), and prints the one result object of
`--output-format json`, with the fields and shapes the real program printed against a loopback server.

What it does is set by variables:

- FAKE_CLAUDE_LOG: a file each run appends one JSON line to: its argv, cwd and stdin;
- FAKE_CLAUDE_MODE: answer (default), api_error, max_turns, budget, during_execution, unstructured, exit,
  garbage, hang, write;
- FAKE_CLAUDE_TEXT: the answer (default "hello");
- FAKE_CLAUDE_SCRIPT: a JSON file {"plan": ..., "review": ..., "steps": {"N": {path: content}}}: then a
  request with a schema gets the plan or the review (by the schema's properties), and a run in
  acceptEdits mode whose prompt says "Implement step N" writes that step's files in its directory.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

SESSION = "c95305dc-bddb-4eb6-8a69-fe320a68736e"
MODEL = "claude-opus-4-7"
USAGE = {
    "input_tokens": 1200,
    "cache_creation_input_tokens": 50,
    "cache_read_input_tokens": 300,
    "output_tokens": 400,
    "output_tokens_details": {"thinking_tokens": 150},
    "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0},
    "service_tier": "standard",
    "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 50},
}
# every model the run called: the main one, and a small one beside it (the usage above is the main loop's)
MODEL_USAGE = {
    "claude-haiku-4-5": {"inputTokens": 90, "outputTokens": 12, "cacheReadInputTokens": 0,
                         "cacheCreationInputTokens": 0, "thinkingTokens": 0, "costUSD": 0.0001},
    MODEL: {"inputTokens": 1200, "outputTokens": 400, "cacheReadInputTokens": 300, "cacheCreationInputTokens": 50,
            "thinkingTokens": 150, "costUSD": 0.042, "contextWindow": 1000000, "costBasis": "list"},
}  # fmt: skip
COST = 0.0421
ZERO = {**USAGE, "input_tokens": 0, "output_tokens": 0, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0,
        "output_tokens_details": {"thinking_tokens": 0}}  # fmt: skip


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # commander's way: one line on stderr, exit 1
        found = re.search(r"unrecognized arguments: (\S+)", message)
        sys.stderr.write(f"error: unknown option '{found.group(1)}'\n" if found else f"error: {message}\n")
        sys.exit(1)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = Parser(prog="claude", add_help=False, allow_abbrev=False)
    parser.add_argument("-p", "--print", action="store_true")
    parser.add_argument("--output-format", choices=["text", "json", "stream-json"])
    modes = ["acceptEdits", "auto", "bypassPermissions", "manual", "dontAsk", "plan"]
    parser.add_argument("--permission-mode", choices=modes)
    parser.add_argument("--permission-prompts", choices=["host", "none"])
    parser.add_argument("--disallowedTools", "--disallowed-tools", nargs="+")
    parser.add_argument("--setting-sources")
    parser.add_argument("--strict-mcp-config", action="store_true")
    parser.add_argument("--no-session-persistence", action="store_true")
    parser.add_argument("--model")
    parser.add_argument("--effort", choices=["low", "medium", "high", "xhigh", "max"])
    parser.add_argument("--max-turns", type=int)
    parser.add_argument("--max-budget-usd", type=float)
    parser.add_argument("--json-schema")
    parser.add_argument("--append-system-prompt")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("prompt", nargs="?")
    return parser.parse_args(argv)


def scripted(args: argparse.Namespace, prompt: str) -> str | None:
    """The answer of a whole run's phases, from FAKE_CLAUDE_SCRIPT; None without one."""
    path = os.environ.get("FAKE_CLAUDE_SCRIPT")
    if not path:
        return None
    script = json.loads(Path(path).read_text(encoding="utf-8"))
    if args.json_schema:
        properties = json.loads(args.json_schema).get("properties", {})
        return json.dumps(script["plan"] if "steps" in properties else script["review"])
    found = re.search(r"Implement step (\d+)", prompt)
    if args.permission_mode == "acceptEdits" and found:
        for name, content in script["steps"][found.group(1)].items():
            Path(name).parent.mkdir(parents=True, exist_ok=True)
            Path(name).write_text(content, encoding="utf-8")
        return f"Made step {found.group(1)}'s change."
    return "nothing to do"


def result(**fields: Any) -> dict[str, Any]:
    """A result object as Claude Code 2.1.328 prints it (the fields gearshift reads, and some it does not)."""
    base: dict[str, Any] = {
        "duration_api_ms": 33,
        "stop_reason": "end_turn",
        "session_id": SESSION,
        "total_cost_usd": COST,
        "usage": USAGE,
        "modelUsage": MODEL_USAGE,
        "permission_denials": [],
        "terminal_reason": "completed",
        "is_error": False,
        "num_turns": 2,
        "subtype": "success",
        "api_error_status": None,
        "type": "result",
        "duration_ms": 186,
        "uuid": "a0a4c4c6-a3b8-41d8-bf3d-5265be1aa3a9",
    }
    return {**base, **fields}


def answer(args: argparse.Namespace, prompt: str, mode: str) -> dict[str, Any]:
    text = scripted(args, prompt) or os.environ.get("FAKE_CLAUDE_TEXT", "hello")
    if args.json_schema and mode != "unstructured":
        value = json.loads(text)  # the StructuredOutput tool's input, checked against the schema
        return result(result=json.dumps(value, separators=(",", ":")), structured_output=value, stop_reason="tool_use")
    return result(result=text)


def failure(mode: str) -> dict[str, Any]:
    """The result object of each way a run fails, as the real program printed them."""
    if mode == "api_error":
        return result(
            is_error=True,
            api_error_status=429,
            api_error_type="rate_limit_error",
            result="API Error: 429 This request would exceed your account's rate limit.",
            terminal_reason="api_error",
            total_cost_usd=0,
            usage=ZERO,
            modelUsage={},
        )
    if mode == "max_turns":
        return result(subtype="error_max_turns", is_error=True, errors=["Reached maximum number of turns (3)"])
    if mode == "budget":  # its usage all zeros, its tokens in modelUsage only, as the real one reports them
        errors = ["Reached maximum budget ($0.01)"]
        return result(subtype="error_max_budget_usd", is_error=True, errors=errors, usage=ZERO, stop_reason=None)
    return result(subtype="error_during_execution", is_error=True, errors=["Tool execution failed: ENOSPC"])


def main() -> int:
    args = parse(sys.argv[1:])
    prompt = args.prompt if args.prompt is not None else sys.stdin.read()
    log = os.environ.get("FAKE_CLAUDE_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "stdin": prompt}) + "\n")
    if not args.print or args.output_format != "json":
        sys.stderr.write("fake claude: only -p --output-format json is spoken here\n")
        return 2
    mode = os.environ.get("FAKE_CLAUDE_MODE", "answer")
    if mode == "exit":
        sys.stderr.write("Invalid API key · Fix external API key\n")
        return 1
    if mode == "garbage":
        print("Claude Code is starting...", flush=True)
        return 0
    if mode == "hang":
        time.sleep(120)
        return 0
    if mode == "write":
        Path("sneaky.txt").write_text("plan mode let me\n", encoding="utf-8")
    outcome = answer(args, prompt, mode) if mode in ("answer", "write", "unstructured") else failure(mode)
    print(json.dumps(outcome), flush=True)
    return 1 if outcome["is_error"] else 0


if __name__ == "__main__":
    sys.exit(main())
