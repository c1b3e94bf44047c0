"""A fake `codex` for the tests: it takes the `codex exec` arguments gearshift uses (as codex-cli 0.169.0's
--help spells them; anything else is refused as clap refuses it) and speaks the `--json` event format.

What it does is set by variables:

- FAKE_CODEX_LOG: a file each run appends one JSON line to: its argv, cwd and stdin;
- FAKE_CODEX_MODE: answer (default), failed, exit, garbage, noise, silent, hang, write;
- FAKE_CODEX_TEXT: the answer (default "hello");
- FAKE_CODEX_USAGE: the turn.completed usage, a JSON object;
- FAKE_CODEX_SCRIPT: a JSON file {"plan": ..., "review": ..., "steps": {"N": {path: content}}}: then a
  request with a schema gets the plan or the review (by the schema's properties), and a writable run
  whose prompt says "Implement step N" writes that step's files in its directory.
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

USAGE = {
    "input_tokens": 1200,
    "cached_input_tokens": 200,
    "cache_write_input_tokens": 0,
    "output_tokens": 300,
    "reasoning_output_tokens": 120,
}
THREAD = "01a23c94-8620-7b52-9bca-08649269b0b2"


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # clap's way: a usage error on stderr, exit 2
        sys.stderr.write(
            f"error: {message}\n\nUsage: codex exec [OPTIONS] [PROMPT]\n\nFor more information, try '--help'.\n"
        )
        sys.exit(2)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = Parser(prog="codex", add_help=False, allow_abbrev=False)
    parser.add_argument("command", choices=["exec"])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--ignore-user-config", action="store_true")
    parser.add_argument("--ignore-rules", action="store_true")
    parser.add_argument("--skip-git-repo-check", action="store_true")
    parser.add_argument("--ephemeral", action="store_true")
    parser.add_argument("-s", "--sandbox", choices=["read-only", "workspace-write", "danger-full-access"])
    parser.add_argument("-C", "--cd")
    parser.add_argument("-m", "--model")
    parser.add_argument("-c", "--config", action="append", default=[])
    parser.add_argument("--output-schema")
    parser.add_argument("-o", "--output-last-message")
    parser.add_argument("prompt", nargs="?")
    return parser.parse_intermixed_args(argv)


def emit(event: dict[str, Any]) -> None:
    print(json.dumps(event), flush=True)


def agent_message(text: str, n: int) -> dict[str, Any]:
    return {"type": "item.completed", "item": {"id": f"item_{n}", "type": "agent_message", "text": text}}


def scripted(args: argparse.Namespace, prompt: str) -> str | None:
    """The answer of a whole run's phases, from FAKE_CODEX_SCRIPT; None without one."""
    path = os.environ.get("FAKE_CODEX_SCRIPT")
    if not path:
        return None
    script = json.loads(Path(path).read_text(encoding="utf-8"))
    if args.output_schema:
        properties = json.loads(Path(args.output_schema).read_text(encoding="utf-8")).get("properties", {})
        return json.dumps(script["plan"] if "steps" in properties else script["review"])
    found = re.search(r"Implement step (\d+)", prompt)
    if args.sandbox == "workspace-write" and found:
        for name, content in script["steps"][found.group(1)].items():
            Path(name).parent.mkdir(parents=True, exist_ok=True)
            Path(name).write_text(content, encoding="utf-8")
        return f"Made step {found.group(1)}'s change."
    return "nothing to do"


def main() -> int:
    args = parse(sys.argv[1:])
    prompt = sys.stdin.read() if args.prompt == "-" else (args.prompt or "")
    if args.cd:
        os.chdir(args.cd)
    log = os.environ.get("FAKE_CODEX_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            schema = Path(args.output_schema).read_text(encoding="utf-8") if args.output_schema else None
            seen = {"argv": sys.argv[1:], "cwd": os.getcwd(), "stdin": prompt, "schema": schema}
            out.write(json.dumps(seen) + "\n")
    mode = os.environ.get("FAKE_CODEX_MODE", "answer")
    usage = json.loads(os.environ.get("FAKE_CODEX_USAGE") or json.dumps(USAGE))
    if mode == "exit":
        sys.stderr.write("WARNING: proceeding, even though we could not create PATH aliases\n")
        sys.stderr.write("Error: No such file or directory (os error 2)\n\nStack backtrace:\n   0: <unknown>\n")
        return 1
    emit({"type": "thread.started", "thread_id": THREAD})
    if mode == "garbage":
        print("Reading prompt from stdin...", flush=True)
        return 0
    emit({"type": "turn.started"})
    if mode == "hang":
        time.sleep(120)
        return 0
    if mode == "failed":
        body = {"error": {"message": "Invalid schema for response_format 'codex_output_schema'", "type": "invalid"}}
        emit({"type": "error", "message": "Reconnecting... 1/5 (stream disconnected before completion)"})
        emit({"type": "error", "message": json.dumps(body)})
        emit({"type": "turn.failed", "error": {"message": json.dumps(body)}})
        return 1
    if mode == "write":
        Path("sneaky.txt").write_text("the sandbox let me\n", encoding="utf-8")
    # what a real turn has around its answer: a warning item, a passing reconnect notice, a preamble
    emit({"type": "item.completed", "item": {"id": "item_0", "type": "error", "message": "Model metadata not found"}})
    emit({"type": "error", "message": "Reconnecting... 1/5 (stream disconnected before completion)"})
    if mode == "noise":
        print("this line is not an event", flush=True)
    if mode != "silent":
        emit(agent_message("I'll look at the repository first.", 1))
        text = scripted(args, prompt) or os.environ.get("FAKE_CODEX_TEXT", "hello")
        emit(agent_message(text, 2))
    emit({"type": "turn.completed", "usage": usage})
    return 0


if __name__ == "__main__":
    sys.exit(main())
