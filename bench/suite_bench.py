"""A 20-cell suite on real commits of a public repository, run as a user runs it, with a scripted oracle model.

    python bench/suite_bench.py --repo PATH [-n 5] [--strategies high,medium] [--repeat 2] [--jobs 1,4]
        [--out DIR] [--scan 400] [--compare-strategies high,medium,high-medium-high] [--no-compare]

1. Tasks. From the history of the git repository at PATH (a clone of a public Python project), it
   picks n commits that change one or two non-test .py files (fewer than 60 changed lines in them)
   and change or add test files under tests/, and writes SWE-bench rows: base_commit = the parent,
   problem_statement = the commit message, test_patch = the commit's diff of its test files,
   FAIL_TO_PASS = those test files, test_cmd = pytest, repo_path = PATH. A commit is kept only when
   it is judgeable, checked in a scratch clone: at the parent with the test patch alone its tests
   fail; with the oracle's edits (applied by ``gearshift apply``) they pass, and so does the check
   (the project's whole test suite) that each step runs.
2. The model. An oracle in this process, behind a loopback Chat Completions server: a plan request
   (schema ``plan``) gets one step per changed source file (one step for both when the first file
   alone breaks the check); "Implement step N" gets SEARCH/REPLACE blocks that reproduce the
   commit's change to that step's file; a review request gets every step done. Every strategy gets
   the same answers, and no answer mentions the hidden tests. Usage is an estimate: prompt and
   reply characters / 4, and reasoning tokens that grow with the reasoning_effort asked. **The
   replies are scripted, so the figures show the mechanics (what a suite records and reports, and
   how long it takes), not a result about any strategy.**
3. The runs, as whole commands: ``gearshift suite run`` once per --jobs value (timed), ``gearshift
   suite report`` (table and --json) and one ``gearshift compare`` on one task in a clone at its
   parent, judged by the commit's test files kept outside the checkout.

Everything is written under --out (default /tmp/suitebench/out): tasks.jsonl, the scratch clone,
one suite directory per --jobs value, the comparison's clone, the oracle's request log and
bench.json. GEARSHIFT_HOME is a directory there and OPENAI_API_KEY a dummy; the machine's cores
are printed beside the times, since --jobs above them oversubscribes.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import math
import os
import re
import resource
import shlex
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from gearshift.edits import DIVIDER, REPLACE, SEARCH
from gearshift.plan import plan_from_reply
from gearshift.review import review_from_reply

HERE = Path(__file__).resolve().parent.parent
GEARSHIFT = HERE / ".venv" / "bin" / "gearshift"
PY = sys.executable
MAX_SOURCE_LINES = 60
TRAILERS = re.compile(r"^(co-authored-by|signed-off-by|reviewed-by|acked-by):", re.IGNORECASE)
# a line the edit-block format reads as structure: such a file cannot be written as blocks
MARKER_LINE = re.compile(r"^(<<<<<<<|=======|>>>>>>>)|^(\.\.\.|…)$")
SCRIPTED = (
    "The model's replies are SCRIPTED: an oracle replays each commit's own change, the same for every strategy. "
    "Token counts are estimates from text length (characters / 4) and from the effort asked; no model was called. "
    "The figures show the mechanics (what a suite records and reports, and how long it takes), not a result."
)


# --- git and commands ------------------------------------------------------------------------------------


def git(repo: Path, *args: str, check: bool = True, input: str | None = None) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, errors="replace", input=input
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()[:300]}")
    return done.stdout


def blob(repo: Path, commit: str, path: str) -> str | None:
    done = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"], capture_output=True)
    if done.returncode != 0:
        return None
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        return None


def run_cmd(command: str, cwd: Path, timeout: float = 900) -> tuple[int, float, str]:
    """A check as gearshift runs one: no shell. Returns exit code, seconds and the output's tail."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            shlex.split(command), cwd=cwd, capture_output=True, text=True, errors="replace", timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return -1, time.monotonic() - started, "timed out"
    return done.returncode, time.monotonic() - started, (done.stdout + done.stderr)[-2000:]


def tool_env(out: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GEARSHIFT_HOME=str(out / "home"),
        OPENAI_API_KEY="sk-dummy-suitebench",
        COLUMNS="180",  # rich tables at their width, not 80 columns, when stdout is a pipe
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("OPENAI_BASE_URL", None)
    return env


def gearshift(args: list[str], out: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GEARSHIFT), *args], cwd=cwd or out, env=tool_env(out), capture_output=True, text=True, errors="replace"
    )


# --- tasks from commits ------------------------------------------------------------------------------------


def is_test_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return path.startswith("tests/") or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


@dataclass
class Candidate:
    sha: str
    parent: str
    message: str
    sources: list[str]  # changed non-test .py files, in the diff's order
    tests: list[str]  # changed or added test_*.py files under tests/ (FAIL_TO_PASS)
    test_patch: str
    replies: dict[str, str] = field(default_factory=dict)  # source path -> its edit blocks
    steps: list[list[str]] = field(default_factory=list)  # the files of each plan step
    changed_lines: int = 0

    @property
    def subject(self) -> str:
        return self.message.splitlines()[0]


def candidates(repo: Path, scan: int) -> list[Candidate]:
    log = git(repo, "log", "--no-merges", "--format=%x01%H %P", "-n", str(scan))
    found: list[Candidate] = []
    subjects: set[str] = set()
    for entry in log.split("\x01"):
        parts = entry.split()
        if len(parts) != 2:
            continue  # the root commit, or a merge
        sha, parent = parts
        status = [line.split("\t") for line in git(repo, "diff", "--name-status", "-M", parent, sha).splitlines()]
        if any(len(s) != 2 or s[0] not in ("M", "A") for s in status if s[-1].endswith(".py")):
            continue  # a rename, a deletion or a copy of a .py file
        py = [s[1] for s in status if s[1].endswith(".py")]
        sources = [p for p in py if not is_test_path(p)]
        tests = [p for p in py if p.startswith("tests/") and p.rsplit("/", 1)[-1].startswith("test_")]
        if not 1 <= len(sources) <= 2 or not tests or any(s[0] != "M" for s in status if s[1] in sources):
            continue
        numstat = git(repo, "diff", "--numstat", parent, sha, "--", *sources).split()
        lines = sum(int(numstat[i]) + int(numstat[i + 1]) for i in range(0, len(numstat), 3) if numstat[i].isdigit())
        if not 0 < lines < MAX_SOURCE_LINES:
            continue
        message = "\n".join(
            line for line in git(repo, "log", "-1", "--format=%B", sha).strip().splitlines() if not TRAILERS.match(line)
        ).strip()
        if not message or message.splitlines()[0] in subjects:
            continue  # a cherry-pick of a commit already taken
        test_files = [p for p in py if is_test_path(p)]
        test_patch = git(repo, "diff", "--no-color", "--no-ext-diff", parent, sha, "--", *test_files)
        cand = Candidate(sha, parent, message, sources, tests, test_patch, changed_lines=lines)
        if not all(_blocks_for(repo, cand, path) for path in sources):
            continue
        subjects.add(cand.subject)
        found.append(cand)
    return found


def _blocks_for(repo: Path, cand: Candidate, path: str) -> bool:
    before, after = blob(repo, cand.parent, path), blob(repo, cand.sha, path)
    if before is None or after is None:
        return False
    blocks = edit_blocks(before, after)
    if blocks is None:
        return False
    cand.replies[path] = "".join(f"{path}\n{SEARCH}\n{s}{_nl(s)}{DIVIDER}\n{r}{_nl(r)}{REPLACE}\n" for s, r in blocks)
    return True


def _nl(text: str) -> str:
    return "" if not text or text.endswith("\n") else "\n"


def edit_blocks(before: str, after: str) -> list[tuple[str, str]] | None:
    """SEARCH/REPLACE pairs turning ``before`` into ``after``: one per hunk, with as much context as
    makes each SEARCH unique where it is applied (in order); the whole file when no context does."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    if any(MARKER_LINE.match(line.strip()) for line in a + b):
        return None
    if not before.endswith("\n") or not after.endswith("\n"):
        return None
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for context in (3, 5, 8, 12, 20):
        blocks = [
            ("".join(a[g[0][1] : g[-1][2]]), "".join(b[g[0][3] : g[-1][4]]))
            for g in matcher.get_grouped_opcodes(context)
        ]
        if _applies(before, after, blocks):
            return blocks
    return [(before, after)]


def _applies(before: str, after: str, blocks: list[tuple[str, str]]) -> bool:
    text = before
    for search, replace in blocks:
        if not search.strip() or text.count(search) != 1:
            return False
        text = text.replace(search, replace, 1)
    return text == after


# --- verification in a scratch clone ------------------------------------------------------------------------


@dataclass(frozen=True)
class Commands:
    tests: str  # the judge's: runs given test ids
    check: str  # the check after each step: the project's whole suite

    @staticmethod
    def for_python(py: str) -> Commands:
        # PYTHONPATH=src:. makes a src-layout (or flat) project importable without installing it; the -W
        # keeps pytest 9's removal warnings from failing older commits whose settings turn warnings into errors
        head = f"env PYTHONPATH=src:. PYTHONDONTWRITEBYTECODE=1 {py} -m pytest -q -p no:cacheprovider"
        head += " -W ignore::pytest.PytestRemovedIn10Warning"
        return Commands(tests=head, check=f"{head} -x tests")


class Scratch:
    def __init__(self, source: Path, path: Path, out: Path) -> None:
        if path.exists():
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        git(path.parent, "clone", "-q", "--no-checkout", str(source), str(path))
        self.path = path
        self.out = out

    def reset(self, commit: str) -> None:
        git(self.path, "checkout", "-qf", "--detach", commit)
        git(self.path, "clean", "-qfdx")

    def apply_patch(self, patch: str) -> bool:
        return (
            subprocess.run(
                ["git", "apply", "--whitespace=nowarn", "-"], cwd=self.path, input=patch, text=True, capture_output=True
            ).returncode
            == 0
        )

    def apply_reply(self, reply: str) -> tuple[bool, str]:
        """The reply through gearshift's own parse and apply, as a run applies it."""
        done = subprocess.run(
            [str(GEARSHIFT), "apply", "-"],
            cwd=self.path,
            input=reply,
            text=True,
            capture_output=True,
            env=tool_env(self.out),
        )
        return done.returncode == 0, (done.stdout + done.stderr).strip()[-300:]


def verify(repo: Path, cand: Candidate, scratch: Scratch, cmds: Commands, say: Any) -> str | None:
    """Why ``cand`` cannot be judged, or None when it can (then its plan steps are set)."""
    f2p = f"{cmds.tests} {' '.join(cand.tests)}"
    scratch.reset(cand.parent)
    if not scratch.apply_patch(cand.test_patch):
        return "the test patch does not apply to the parent"
    code, seconds, output = run_cmd(f2p, scratch.path)
    if code not in (1, 2):  # 1: tests failed; 2: the test file does not even import yet
        return f"at the parent with the test patch its tests exit {code}, not failing"
    scratch.reset(cand.parent)
    for path in cand.sources:
        ok, said = scratch.apply_reply(cand.replies[path])
        if not ok:
            return f"gearshift apply refused the oracle's blocks for {path}: {said}"
    for path in cand.sources:
        if (scratch.path / path).read_text(encoding="utf-8") != blob(repo, cand.sha, path):
            return f"the oracle's blocks do not rebuild {path} exactly"
    code, seconds, _ = run_cmd(f"{cmds.check}", scratch.path)
    if code != 0:
        return f"the check fails after the change (exit {code})"
    check_seconds = seconds
    if not scratch.apply_patch(cand.test_patch):
        return "the test patch does not apply over the change"
    code, seconds, output = run_cmd(f2p, scratch.path)
    if code != 0:
        return f"with the change its tests still fail (exit {code}): {output.strip().splitlines()[-1:]}"
    cand.steps = [[path] for path in cand.sources]
    if len(cand.sources) == 2:  # step 1 alone must leave the check passing, or both files are one step
        scratch.reset(cand.parent)
        scratch.apply_reply(cand.replies[cand.sources[0]])
        if run_cmd(cmds.check, scratch.path)[0] != 0:
            cand.steps = [list(cand.sources)]
    say(f"  kept {cand.sha[:10]} {cand.subject[:70]!r} ({len(cand.steps)} step(s), check {check_seconds:.0f}s)")
    return None


def task_row(repo: Path, name: str, cand: Candidate, cmds: Commands) -> dict[str, Any]:
    return {
        "instance_id": f"{name.replace('/', '__')}-{cand.sha[:10]}",
        "repo": name,
        "base_commit": cand.parent,
        "problem_statement": cand.message,
        "test_patch": cand.test_patch,
        "FAIL_TO_PASS": json.dumps(cand.tests),  # as SWE-bench stores them: a JSON string of a list
        "PASS_TO_PASS": json.dumps([]),
        "repo_path": str(repo),
        "test_cmd": cmds.tests,
        # not SWE-bench's; this bench's oracle reads them, gearshift ignores them
        "suitebench_commit": cand.sha,
    }


def hidden_markers(repo: Path, cand: Candidate) -> set[str]:
    """Names only the hidden tests hold: new test functions and new test files, not in the parent's tree."""
    names = set(re.findall(r"^\+\s*(?:async\s+)?def (test_\w+)", cand.test_patch, re.MULTILINE))
    names |= {path for path in cand.tests if blob(repo, cand.parent, path) is None}
    kept = set()
    for name in names:
        if name in cand.message:
            continue
        if not git(repo, "grep", "-l", "-w", "-F", name.rsplit("/", 1)[-1], cand.parent, check=False).strip():
            kept.add(name)
    return kept


# --- the oracle -------------------------------------------------------------------------------------------

EFFORT_REASONING = {"none": (0, 0.0), "minimal": (10, 0.1), "low": (40, 0.3), "medium": (150, 1.0), "high": (500, 2.5)}
EFFORT_REASONING["xhigh"] = (1000, 5.0)


@dataclass
class OracleTask:
    instance_id: str
    statement: str
    subject: str
    steps: list[list[str]]
    replies: dict[str, str]
    markers: set[str]


class Oracle:
    """Answers each request by what it asks; the same answer for every strategy."""

    def __init__(self, tasks: list[OracleTask], log: Path) -> None:
        self.tasks = tasks
        self.log = log
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.leaks: list[str] = []
        self.unexpected: list[str] = []

    def answer(self, body: dict[str, Any]) -> tuple[int, str, dict[str, int]]:
        messages = body.get("messages") or []
        text = "\n".join(_content(m.get("content")) for m in messages if isinstance(m, dict))
        fmt = body.get("response_format") or {}
        schema = (fmt.get("json_schema") or {}).get("name") if fmt.get("type") == "json_schema" else None
        effort = body.get("reasoning_effort")
        task = self._task(text)
        status, reply, kind = 200, "", "unknown"
        if task is None:
            status, reply = 500, "oracle: no task of the suite matches this request"
        elif schema == "plan":
            kind, reply = "plan", json.dumps(self.plan(task))
        elif schema == "review":
            kind, reply = "review", json.dumps(self.review(task))
        elif schema is not None:
            status, reply = 500, f"oracle: no scripted answer for schema {schema!r}"
        elif "# The check failed after this step" in text:
            kind, reply = "fix", "The step's change is complete; nothing further to change."
        elif (match := re.search(r"Implement step (\d+) from the plan", text)) is not None:
            number = int(match.group(1))
            kind = "retry" if "# Why it was not applied" in text else "implement"
            if 1 <= number <= len(task.steps):
                files = task.steps[number - 1]
                reply = f"Step {number}: the change to {', '.join(files)}.\n\n" + "\n".join(
                    task.replies[path] for path in files
                )
            else:
                status, reply = 500, f"oracle: the plan has no step {number}"
        else:
            status, reply = 500, "oracle: a request it has no answer for"
        usage = self.usage(text, reply, effort)
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if kind in ("fix", "retry", "unknown") or status != 200:
                self.unexpected.append(f"{kind}: {reply[:80]}")
            # a task's own hidden names only: a later task's base may rightly hold an earlier task's tests
            for marker in task.markers if task else ():
                if re.search(rf"(?<![\w/]){re.escape(marker)}(?!\w)", text):
                    self.leaks.append(f"{marker} ({task.instance_id if task else ''}) in a {kind} request")
            with self.log.open("a", encoding="utf-8") as out:
                out.write(
                    json.dumps(
                        {
                            "kind": kind,
                            "task": task.instance_id if task else None,
                            "effort": effort,
                            "status": status,
                            "prompt_chars": len(text),
                            "reply_chars": len(reply),
                            "usage": usage,
                            "tools": len(body.get("tools") or []),
                        }
                    )
                    + "\n"
                )
        return status, reply, usage

    def _task(self, text: str) -> OracleTask | None:
        for key in ("statement", "subject"):
            matches = [t for t in self.tasks if getattr(t, key) in text]
            if matches:
                return max(matches, key=lambda t: len(getattr(t, key)))
        return None

    @staticmethod
    def plan(task: OracleTask) -> dict[str, Any]:
        kind = "bug_fix" if re.search(r"\bfix", task.subject, re.IGNORECASE) else "implementation"
        steps = [
            {
                "id": n,
                "title": f"Change {', '.join(files)}",
                "description": f"{task.subject}. Make the change in {', '.join(files)}.",
                "files": files,
                "reads": [],
                "acceptance": [f"{', '.join(files)} does what the task asks", "the existing test suite passes"],
                "kind": kind,
                "security_critical": False,
                "ambiguities": [],
            }
            for n, files in enumerate(task.steps, 1)
        ]
        plan = {
            "summary": task.subject,
            "architecture_decisions": ["Change the existing code in place; no new modules or options"],
            "steps": steps,
            "risks": [{"risk": "Behaviour other code relies on changes", "mitigation": "Run the test suite each step"}],
            "testing_strategy": ["Run the project's existing test suite after each step"],
        }
        plan_from_reply(plan)  # the oracle's plan fits gearshift's schema, or the bench stops here
        return plan

    @staticmethod
    def review(task: OracleTask) -> dict[str, Any]:
        review = {
            "adherence": [
                {"step_id": n, "status": "done", "evidence": f"{', '.join(files)} changed as planned"}
                for n, files in enumerate(task.steps, 1)
            ],
            "issues": [],
            "recommendations": [],
        }
        review_from_reply(review)
        return review

    @staticmethod
    def usage(prompt: str, reply: str, effort: str | None) -> dict[str, int]:
        visible = math.ceil(len(reply) / 4)
        base, factor = EFFORT_REASONING.get(effort or "", (0, 0.0))
        reasoning = int(base + factor * visible)
        return {"prompt": math.ceil(len(prompt) / 4), "completion": visible + reasoning, "reasoning": reasoning}


def _content(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def serve(oracle: Oracle) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._send(200, {"object": "list", "data": [{"id": "oracle", "object": "model", "owned_by": "bench"}]})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:
                return self._send(400, {"error": {"message": "not JSON", "type": "invalid_request_error"}})
            if not self.path.endswith("/chat/completions"):
                return self._send(404, {"error": {"message": f"unknown path {self.path}", "type": "not_found"}})
            status, reply, usage = oracle.answer(body)
            if status != 200:
                return self._send(status, {"error": {"message": reply, "type": "oracle", "code": None}})
            self._send(
                200,
                {
                    "id": f"chatcmpl-oracle-{time.time_ns()}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": "oracle",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply},
                            "finish_reason": "stop",
                            "logprobs": None,
                        }
                    ],
                    "usage": {
                        "prompt_tokens": usage["prompt"],
                        "completion_tokens": usage["completion"],
                        "total_tokens": usage["prompt"] + usage["completion"],
                        "prompt_tokens_details": {"cached_tokens": 0},
                        "completion_tokens_details": {"reasoning_tokens": usage["reasoning"]},
                    },
                },
            )

        def _send(self, status: int, data: dict[str, Any]) -> None:
            payload = json.dumps(data).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.send_header("x-request-id", f"req_oracle_{time.time_ns()}")
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


# --- the bench --------------------------------------------------------------------------------------------


def repo_name(repo: Path) -> str:
    url = git(repo, "config", "--get", "remote.origin.url", check=False).strip()
    if match := re.search(r"github\.com[/:]([\w.-]+)/([\w.-]+?)(?:\.git)?$", url):
        return f"{match.group(1)}/{match.group(2)}"
    if match := re.search(r"/([\w.-]+)\+([\w.-]+)/repo/?$", url):  # a mirror named owner+name
        return f"{match.group(1)}/{match.group(2)}"
    return f"local/{repo.resolve().name}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, required=True, help="a git clone of a public Python project")
    parser.add_argument("-n", type=int, default=5, help="tasks (commits)")
    parser.add_argument("--strategies", default="high,medium")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--jobs", default="1,4", help="comma-separated --jobs values, one suite run each")
    parser.add_argument("--out", type=Path, default=Path("/tmp/suitebench/out"))
    parser.add_argument("--scan", type=int, default=400, help="newest non-merge commits to look at")
    parser.add_argument("--compare-strategies", default="high,medium,high-medium-high")
    parser.add_argument("--no-compare", action="store_true")
    parser.add_argument("--check-cmd", help="the check after each step (default: the project's whole pytest suite)")
    args = parser.parse_args()

    out = args.out.resolve()
    if out == HERE or HERE in out.parents:
        parser.error(f"--out must be outside {HERE}")
    repo = args.repo.resolve()
    if not (repo / ".git").exists() and git(repo, "rev-parse", "--is-bare-repository", check=False).strip() != "true":
        parser.error(f"{repo} is not a git repository")
    jobs = [int(j) for j in args.jobs.split(",") if j.strip()]
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    out.mkdir(parents=True, exist_ok=True)
    for name in ("verify", "compare", "home", *(f"suite-jobs{j}" for j in jobs)):
        shutil.rmtree(out / name, ignore_errors=True)  # this bench's own, from an earlier run
    (out / "home").mkdir()
    oracle_log = out / "oracle.jsonl"
    oracle_log.unlink(missing_ok=True)

    def say(text: str = "") -> None:
        print(text, flush=True)

    name = repo_name(repo)
    cmds = Commands.for_python(PY)
    if args.check_cmd:
        cmds = Commands(tests=cmds.tests, check=args.check_cmd)
    say(f"suite bench on {name} ({repo}); {os.cpu_count()} cores")
    say(SCRIPTED)
    say()

    # 1. tasks
    started = time.monotonic()
    found = candidates(repo, args.scan)
    say(f"{len(found)} candidate commits in the newest {args.scan}; verifying each in a scratch clone:")
    scratch = Scratch(repo, out / "verify" / "repo", out)
    kept: list[Candidate] = []
    rejected: list[tuple[str, str]] = []
    for cand in found:
        if len(kept) >= args.n:
            break
        why = verify(repo, cand, scratch, cmds, say)
        if why is None:
            kept.append(cand)
        else:
            rejected.append((cand.sha[:10], why))
            say(f"  skip {cand.sha[:10]} {cand.subject[:60]!r}: {why[:140]}")
    if len(kept) < args.n:
        say(f"only {len(kept)} judgeable commits found; raise --scan")
        if not kept:
            return 1
    rows = [task_row(repo, name, cand, cmds) for cand in kept]
    tasks_file = out / "tasks.jsonl"
    tasks_file.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    say(f"tasks chosen in {time.monotonic() - started:.0f}s, written to {tasks_file}:")
    for cand, row in zip(kept, rows, strict=True):
        say(
            f"  {row['instance_id']}  {cand.subject[:72]}\n"
            f"      source: {', '.join(cand.sources)} ({cand.changed_lines} lines, {len(cand.steps)} step(s)); "
            f"hidden tests: {', '.join(cand.tests)}"
        )
    say()

    # 2. the oracle
    oracle = Oracle(
        [
            OracleTask(
                row["instance_id"],
                cand.message,
                cand.subject,
                cand.steps,
                cand.replies,
                hidden_markers(repo, cand),
            )
            for cand, row in zip(kept, rows, strict=True)
        ],
        oracle_log,
    )
    server = serve(oracle)
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    model = ["--provider", "openai-chat", "--base-url", url, "--model", "oracle"]
    markers = sum(len(t.markers) for t in oracle.tasks)
    say(f"oracle at {url}; {markers} names only the hidden tests hold are watched for in every request")
    say()

    # 3. the suites
    cells = len(rows) * len(strategies) * args.repeat
    times: dict[int, float] = {}
    cpu: dict[int, float] = {}
    loads: dict[int, tuple[float, float]] = {}
    reports: dict[int, dict[str, Any]] = {}
    for j in jobs:
        suite_dir = out / f"suite-jobs{j}"
        command = [
            "suite", "run", str(tasks_file), "--strategies", ",".join(strategies), "--repeat", str(args.repeat),
            "--jobs", str(j), "--out", str(suite_dir), "--test-cmd", cmds.check, *model,
        ]  # fmt: skip
        say(f"$ gearshift {shlex.join(command)}")
        load_before = os.getloadavg()[0]
        cpu_before = _children_cpu()
        begun = time.monotonic()
        done = gearshift(command, out)
        times[j] = time.monotonic() - begun
        cpu[j] = _children_cpu() - cpu_before
        loads[j] = (load_before, os.getloadavg()[0])
        say(indent(done.stderr.strip()))
        if done.returncode != 0:
            say(f"suite run exited {done.returncode}")
        say(
            f"--jobs {j}: {cells} cells in {times[j]:.1f}s wall clock ({times[j] / max(cells, 1):.1f}s a cell), "
            f"{cpu[j]:.0f} CPU seconds, load average {loads[j][0]:.1f} before and {loads[j][1]:.1f} after"
        )
        say()
        report = gearshift(["suite", "report", str(suite_dir), "--json"], out)
        if report.returncode == 0:
            reports[j] = json.loads(report.stdout)
        else:
            say(f"suite report --json failed (exit {report.returncode}): {report.stderr.strip()[-800:]}")

    say("Wall clock of the whole `gearshift suite run` command:")
    for j, seconds in times.items():
        note = f" (oversubscribed: {os.cpu_count()} cores)" if j > (os.cpu_count() or 1) else ""
        say(f"  --jobs {j}: {seconds:7.1f}s for {cells} cells, {cpu[j]:5.0f} CPU seconds{note}")
    if len(times) > 1:
        first = times[jobs[0]]
        for j in jobs[1:]:
            say(f"  speed-up of --jobs {j} over --jobs {jobs[0]}: {first / times[j]:.2f}x")
    say()

    shown = out / f"suite-jobs{jobs[0]}"
    say(f"$ gearshift suite report {shown}   ({SCRIPTED.split('.')[0].lower()})")
    report = gearshift(["suite", "report", str(shown)], out)
    say(report.stdout.rstrip() or report.stderr.strip()[-1500:])
    html = out / "report.html"
    page = gearshift(["suite", "report", str(shown), "--html", str(html)], out)
    say(f"(--html: {'written to ' + str(html) if page.returncode == 0 else 'failed: ' + page.stderr.strip()[-300:]})")
    say()
    if jobs[0] in reports:
        say(f"$ gearshift suite report {shown} --json")
        say(json.dumps(reports[jobs[0]], indent=1))
    for j, data in reports.items():
        figures = ", ".join(
            f"{s}: {v.get('resolved')}/{v.get('judged')} runs resolved, {v.get('tokens', {}).get('total'):.0f} tokens"
            for s, v in (data.get("strategies") or {}).items()
        )
        say(f"suite report --json, --jobs {j}: {figures}")
    results = {j: _results(out / f"suite-jobs{j}") for j in jobs}
    for j, res in results.items():
        statuses: dict[str, int] = {}
        for row in res:
            statuses[row.get("status", "?")] = statuses.get(row.get("status", "?"), 0) + 1
        resolved = sum(1 for row in res if row.get("resolved"))
        say(f"results.jsonl, --jobs {j}: {len(res)} cells, {resolved} resolved, statuses {statuses}")
        for row in res:
            if row.get("error"):
                say(f"    {row.get('instance_id')} {row['strategy']} #{row['repeat']}: {row['error'][:160]}")
    say()

    # 4. one comparison
    compare_out: dict[str, Any] = {}
    if not args.no_compare:
        compare_out = run_compare(repo, kept, rows, cmds, args.compare_strategies, model, out, say)

    say(f"oracle: requests by kind {oracle.counts}")
    say(f"oracle: unexpected requests (a fix, a retry, or none it could answer): {len(oracle.unexpected)}")
    for line in oracle.unexpected[:10]:
        say(f"    {line}")
    say(f"hidden tests in a prompt: {len(oracle.leaks)} (names watched: {markers})")
    for line in oracle.leaks[:10]:
        say(f"    {line}")
    say()
    say(SCRIPTED)
    server.shutdown()
    summary = {
        "repo": name,
        "commits": [c.sha for c in kept],
        "rejected": rejected,
        "cells": cells,
        "cores": os.cpu_count(),
        "seconds": {str(j): round(s, 1) for j, s in times.items()},
        "cpu_seconds": {str(j): round(s, 1) for j, s in cpu.items()},
        "load_average": {str(j): loads[j] for j in loads},
        "reports": {str(j): r for j, r in reports.items()},
        "compare": compare_out,
        "oracle": {"counts": oracle.counts, "unexpected": oracle.unexpected, "leaks": oracle.leaks},
        "scripted": True,
    }
    (out / "bench.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    say(f"bench.json, tasks.jsonl, oracle.jsonl and the suites are in {out}")
    return 0


def run_compare(
    repo: Path,
    kept: list[Candidate],
    rows: list[dict[str, Any]],
    cmds: Commands,
    strategies: str,
    model: list[str],
    out: Path,
    say: Any,
) -> dict[str, Any]:
    """``gearshift compare`` on one task, in a clone at its parent; the acceptance command runs the commit's
    test files from a copy of its tests/ outside the checkout, so no model can see them."""
    base = out / "compare"
    scratch = Scratch(repo, out / "verify" / "repo", out)
    for cand, row in zip(kept, rows, strict=True):
        hidden = base / "hidden"
        shutil.rmtree(hidden, ignore_errors=True)
        for path in git(repo, "ls-tree", "-r", "--name-only", cand.sha, "tests/").splitlines():
            text = blob(repo, cand.sha, path)
            if text is not None:
                (hidden / path).parent.mkdir(parents=True, exist_ok=True)
                (hidden / path).write_text(text, encoding="utf-8")
        accept = f"{cmds.tests} {' '.join(str(hidden / path) for path in cand.tests)}"
        scratch.reset(cand.parent)
        before = run_cmd(accept, scratch.path)[0]
        for path in cand.sources:
            scratch.apply_reply(cand.replies[path])
        after = run_cmd(accept, scratch.path)[0]
        if before == 0 or after != 0:
            say(f"compare: {row['instance_id']} skipped: its hidden tests outside the checkout exit {before}/{after}")
            continue
        checkout = base / "repo"
        git(base, "clone", "-q", "--no-checkout", str(repo), str(checkout))
        git(checkout, "checkout", "-q", "-b", "suitebench-base", cand.parent)
        command = [
            "compare", cand.message, "--strategies", strategies, "--test-cmd", cmds.check,
            "--accept-cmd", accept, *model,
        ]  # fmt: skip
        shown = [c if c != cand.message else f"<the message of {cand.sha[:10]}>" for c in command]
        say(f"$ cd {checkout} && gearshift {shlex.join(shown)}")
        begun = time.monotonic()
        done = gearshift(command, out, cwd=checkout)
        seconds = time.monotonic() - begun
        say(indent(done.stderr.strip()))
        say(done.stdout.rstrip())
        say(f"compare: exit {done.returncode}, {seconds:.1f}s wall clock ({SCRIPTED.split('.')[0].lower()})")
        say()
        return {"instance_id": row["instance_id"], "seconds": round(seconds, 1), "exit": done.returncode}
    say("compare: skipped, no task's tests could judge it from outside the checkout")
    return {}


def _results(directory: Path) -> list[dict[str, Any]]:
    path = directory / "results.jsonl"
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError):
            rows.append(json.loads(line))
    return rows


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


if __name__ == "__main__":
    raise SystemExit(main())
