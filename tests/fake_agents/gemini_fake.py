"""A fake `gemini` for the tests: it takes the headless options gearshift uses, as Gemini CLI 0.61.0's --help
spells them (anything else is refused as yargs refuses it), reads its settings from $GEMINI_CLI_HOME as the
real one does, and prints the `--output-format json` object, or on failure the error object on stderr, in
the shapes the real program printed against a loopback Gemini API server.

What it does is set by variables:

- FAKE_GEMINI_LOG: a file each run appends one JSON line to: its argv, cwd, prompt, the settings it read
  and its home's entries (name -> where a link points, or null);
- FAKE_GEMINI_MODE: answer (default), api_error, turn_limit, auth, invalid_stream, exit, garbage, hang, write;
- FAKE_GEMINI_TEXT: the answer (default "hello");
- FAKE_GEMINI_SCRIPT: a JSON file {"plan": ..., "review": ..., "steps": {"N": {path: content}}}: then a
  prompt asking for the plan or the review schema gets it, and an auto_edit run whose prompt says
  "Implement step N" writes that step's files in its directory.
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

SESSION = "8b963bdf-7184-4042-bd8d-825330feae93"
DEFAULT_MODEL = "gemini-3.1-pro-preview-customtools"  # what 0.61.0 made of its default, "auto", here
ROUTER = "gemini-3.5-flash-lite"  # the small model beside the main one
NOISE = (
    "Warning: 256-color support not detected. Using a terminal with at least 256-color support is recommended.\n"
    "Ripgrep is not available. Falling back to GrepTool.\n"
)


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # yargs' way: the complaint, then the usage, on stderr; exit 1
        found = re.search(r"unrecognized arguments: (.+)", message)
        said = f"Unknown argument: {found.group(1).lstrip('-')}" if found else message
        sys.stderr.write(f"{said}\nUsage: gemini [options] [command]\n\nOptions:\n  -h, --help  Show help  [boolean]\n")
        sys.exit(1)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = Parser(prog="gemini", add_help=False, allow_abbrev=False)
    parser.add_argument("-m", "--model")
    parser.add_argument("-p", "--prompt")
    parser.add_argument("-o", "--output-format", choices=["text", "json", "stream-json"])
    parser.add_argument("--approval-mode", choices=["default", "auto_edit", "yolo", "plan"])
    parser.add_argument("--skip-trust", action="store_true")
    parser.add_argument("-s", "--sandbox", action="store_true")
    parser.add_argument("-d", "--debug", action="store_true")
    parser.add_argument("-e", "--extensions", nargs="+")
    parser.add_argument("--raw-output", action="store_true")
    parser.add_argument("query", nargs="*")
    return parser.parse_args(argv)


def home_seen() -> tuple[Any, dict[str, str | None]]:
    """The settings the real one would read from $GEMINI_CLI_HOME, and what its .gemini holds."""
    home = Path(os.environ.get("GEMINI_CLI_HOME") or Path.home()) / ".gemini"
    settings = json.loads((home / "settings.json").read_text()) if (home / "settings.json").exists() else None
    entries = {e.name: (os.readlink(e) if e.is_symlink() else None) for e in home.iterdir()} if home.is_dir() else {}
    return settings, entries


def scripted(args: argparse.Namespace, prompt: str) -> str | None:
    """The answer of a whole run's phases, from FAKE_GEMINI_SCRIPT; None without one."""
    path = os.environ.get("FAKE_GEMINI_SCRIPT")
    if not path:
        return None
    script = json.loads(Path(path).read_text(encoding="utf-8"))
    schema = re.search(r"fitting this JSON schema \((\w+)\)", prompt)
    if schema:
        return json.dumps(script["plan"] if schema.group(1) == "plan" else script["review"])
    found = re.search(r"Implement step (\d+)", prompt)
    if args.approval_mode == "auto_edit" and found:
        for name, content in script["steps"][found.group(1)].items():
            Path(name).parent.mkdir(parents=True, exist_ok=True)
            Path(name).write_text(content, encoding="utf-8")
        return f"Made step {found.group(1)}'s change."
    return "nothing to do"


def tokens(prompt: int, candidates: int, cached: int, thoughts: int, tool: int) -> dict[str, int]:
    total = prompt + candidates + thoughts + tool
    return {"input": prompt - cached, "prompt": prompt, "candidates": candidates, "total": total, "cached": cached,
            "thoughts": thoughts, "tool": tool}  # fmt: skip


def stats(model: str) -> dict[str, Any]:
    """The stats of a run whose main model is ``model``, beside the small router model, as 0.61.0 prints them."""
    main = tokens(prompt=5000, candidates=300, cached=1000, thoughts=200, tool=40)
    small = tokens(prompt=400, candidates=20, cached=0, thoughts=0, tool=0)
    api = {"totalRequests": 2, "totalErrors": 0, "totalLatencyMs": 2420, "errorsByType": {}}
    return {
        "models": {
            ROUTER: {"api": api, "tokens": small, "roles": {"utility_router": {"tokens": small}}},
            model: {"api": api, "tokens": main, "roles": {"main": {"tokens": main}}},
        },
        "tools": {"totalCalls": 1, "totalSuccess": 1, "totalFail": 0, "byName": {}},
        "files": {"totalLinesAdded": 0, "totalLinesRemoved": 0},
    }


def fail(error_type: str, message: str, code: int) -> int:
    """A fatal error as 0.61.0 reports it in JSON mode: on stderr, once plain and once behind [ERROR]."""
    body = json.dumps(
        {"session_id": SESSION, "error": {"type": error_type, "message": message, "code": code}}, indent=2
    )
    sys.stderr.write(f"{body}\n[ERROR] {body}\n")
    return code % 256


def main() -> int:
    args = parse(sys.argv[1:])
    stdin = "" if sys.stdin.isatty() else sys.stdin.read()
    prompt = "\n\n".join(part for part in (stdin, args.prompt or "") if part)
    settings, entries = home_seen()
    log = os.environ.get("FAKE_GEMINI_LOG")
    if log:
        seen = {"argv": sys.argv[1:], "cwd": os.getcwd(), "stdin": prompt, "settings": settings, "home": entries}
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps(seen) + "\n")
    if args.prompt is None or args.output_format != "json":
        sys.stderr.write("fake gemini: only --output-format json --prompt is spoken here\n")
        return 2
    mode = os.environ.get("FAKE_GEMINI_MODE", "answer")
    sys.stderr.write(NOISE)
    if mode == "exit":
        sys.stderr.write("Error: Cannot find module '@google/gemini-cli-core'\n    at Module._resolveFilename\n")
        return 1
    if mode == "garbage":
        print("Loaded cached credentials.", flush=True)
        return 0
    if mode == "hang":
        time.sleep(120)
        return 0
    if mode == "api_error":
        sys.stderr.write("Error when talking to Gemini API Full report available at: /tmp/gemini-client-error.json\n")
        inner = {"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).",
                           "status": "RESOURCE_EXHAUSTED"}}  # fmt: skip
        return fail("Error", json.dumps(inner), 429)
    if mode == "turn_limit":
        said = "Reached max session turns for this session. Increase the number of turns by specifying maxSessionTurns"
        return fail("FatalTurnLimitedError", f"{said} in settings.json.", 53)
    if mode == "auth":
        return fail("Error", "Invalid auth method selected.", 41)
    if mode == "write":
        Path("sneaky.txt").write_text("plan mode let me\n", encoding="utf-8")
    text = scripted(args, prompt) or os.environ.get("FAKE_GEMINI_TEXT", "hello")
    reply: dict[str, Any] = {"session_id": SESSION, "response": text, "stats": stats(args.model or DEFAULT_MODEL)}
    if mode == "invalid_stream":
        reply["error"] = {"type": "INVALID_STREAM", "message": "Model stream ended with an empty response."}
    print(json.dumps(reply, indent=2), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
