"""What a failed check says, read from its output: the failing tests, the errors, the frames.

Test runners differ, their essentials do not: the name of each failing test, the assertion or
error, and the last frames of its traceback as file:line. Read here from pytest, unittest and
Python tracebacks, go test, jest, vitest and mocha-style output, and compiler and linter lines
(path:line: message). The essential lines are lines of the output itself, in order, never
rewritten; a gap is marked. Output in which none of this is found has no essentials: the caller
falls back to a bounded tail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FRAMES_PER_TRACE = 4  # the last frames of each traceback: where it failed, and what called it
ERROR_LINES = 12  # lines of one failure's error (pytest's E lines, a diff) kept
LAST_LINES = 3  # the output's last lines: runners sum up there
LINE_CHARS = 400  # a kept line is cut to this


@dataclass(frozen=True)
class Frame:
    path: str  # as the output writes it: relative, absolute, or a bare file name (go test)
    line: int


@dataclass(frozen=True)
class Failure:
    tests: tuple[str, ...]  # failing tests as named by the runner (a pytest node id, Go's TestName ...)
    frames: tuple[Frame, ...]  # in the order of the output
    kept: tuple[int, ...]  # the indices of the output's essential lines

    @property
    def parsed(self) -> bool:
        return bool(self.tests or self.frames)


_FILE = r"(?P<path>(?:[A-Za-z]:)?[\w./\\@+~-]*[\w-]\.[A-Za-z][\w]{0,5})"
# (kind, pattern): kinds are test, error, frame, summary; a frame pattern has path and line groups
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("test", re.compile(r"^(?:FAILED|ERROR)\s+(?P<test>\S+?::\S+?|\S+\.py)(?=:\s|\s+-\s|\s*$)")),  # pytest
    ("test", re.compile(r"^_{3,} (?P<test>(?:ERROR collecting )?[\w.\[\]:/ -]+?) _{3,}$")),  # pytest section
    ("test", re.compile(r"^(?:FAIL|ERROR): (?P<test>\w+) \((?P<owner>[\w.]+)\)")),  # unittest
    ("test", re.compile(r"^\s*--- FAIL: (?P<test>\S+)")),  # go test
    ("test", re.compile(r"^\s*● (?P<test>.+?)\s*$")),  # jest
    ("test", re.compile(r"^ *(?:FAIL|×|✗|✕) +(?P<test>\S.*?)(?:\s+\d+\s*ms)?\s*$")),  # vitest; jest's FAIL file
    ("test", re.compile(r"^\s+\d+\) (?P<test>\S.*?):?\s*$")),  # mocha
    ("frame", re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)')),  # a Python traceback
    (
        "frame",
        re.compile(rf"^{_FILE}:(?P<line>\d+):(?: in \S+| \w*(?:Error|Exception|Failed|Warning)\b.*| ?)$"),
    ),  # pytest
    ("frame", re.compile(rf"^\s+{_FILE}:(?P<line>\d+): ")),  # go test's t.Error lines
    ("frame", re.compile(rf"^\s*at (?:.*?\()?(?:file://)?{_FILE}:(?P<line>\d+):\d+\)?\s*$")),  # JS stack
    ("frame", re.compile(rf"^\s*❯ {_FILE}:(?P<line>\d+):\d+")),  # vitest
    ("frame", re.compile(rf"^\s+{_FILE}:(?P<line>\d+)(?: \+0x[0-9a-f]+)?$")),  # a Go panic's stack
    ("frame", re.compile(rf"^{_FILE}\((?P<line>\d+),\d+\): error")),  # tsc
    (
        "frame",
        re.compile(rf"^{_FILE}:(?P<line>\d+)(?::\d+)?:? -? ?(?:error|warning|note)?\b.*\S"),
    ),  # compilers, linters
    ("error", re.compile(r"^E\s{2,}\S")),  # pytest's explanation
    ("error", re.compile(r"^\s*>\s*\d+\s*\|")),  # jest's code frame: the failing line
    ("error", re.compile(r"^\s*expect\(")),  # jest's matcher
    ("error", re.compile(r"^>\s{2,}\S")),  # pytest: the failing source line
    ("error", re.compile(r"^\s*(?:[\w.]+\.)?\w*(?:Error|Exception|Interrupt|Exit)\b(?::.*)?$")),
    (
        "error",
        re.compile(
            r"^\s*(?:panic: |AssertionError|assert |Expected|Received|expected |received |- Expected|\+ Received)"
        ),
    ),
    ("summary", re.compile(r"^=+ .*\b(?:failed|error|errors|passed)\b.* =+$")),  # pytest
    ("summary", re.compile(r"^(?:FAILED \(|Ran \d+ tests?|FAIL\s|ok\s+\S+\s|Tests?:\s|Test Suites:\s|Test Files\s)")),
    ("summary", re.compile(r"^\s*\d+ (?:failed|failing|passed|passing)\b")),
)


def parse_failure(output: str) -> Failure:
    """The failing tests, the frames and the essential lines of a check's ``output``."""
    lines = output.split("\n")
    tests: list[str] = []
    frames: list[Frame] = []
    kept: set[int] = set()
    trace: list[int] = []  # indices of the frames of the traceback being read
    errors = 0

    def close_trace() -> None:
        kept.update(trace[-FRAMES_PER_TRACE:])
        for index in trace[-FRAMES_PER_TRACE:]:  # the frame's source line, when it follows indented
            after = lines[index + 1] if index + 1 < len(lines) else ""
            if after[:1].isspace() and after.strip() and _classify(after)[0] is None:
                kept.add(index + 1)
        trace.clear()

    for index, line in enumerate(lines):
        kind, match = _classify(line)
        if kind == "frame" and match is not None:
            frames.append(Frame(match.group("path"), int(match.group("line"))))
            trace.append(index)
            continue
        if kind is None:
            continue
        close_trace()
        if kind == "test" and match is not None:
            tests.append(match.group("test"))
            errors = 0
        if kind == "error":
            errors += 1
            if errors > ERROR_LINES:
                continue
        kept.add(index)
    close_trace()
    if tests or frames:
        kept.update(_last_lines(lines))
    else:
        kept.clear()
    return Failure(tuple(dict.fromkeys(tests)), tuple(frames), tuple(sorted(kept)))


def _classify(line: str) -> tuple[str | None, re.Match[str] | None]:
    if len(line) > 2_000:  # a regular expression on a huge line costs too much; such a line is data
        line = line[:2_000]
    for kind, pattern in _PATTERNS:
        match = pattern.search(line)
        if match:
            return kind, match
    return None, None


def _last_lines(lines: list[str]) -> list[int]:
    found = [i for i in range(len(lines) - 1, -1, -1) if lines[i].strip()]
    return found[:LAST_LINES]


def essential_output(output: str, failure: Failure, *, limit: int) -> str:
    """The essential lines of ``output``, each cut to a bound, gaps marked, within ``limit`` characters."""
    lines = output.split("\n")
    out: list[str] = []
    after = -1
    for index in failure.kept:
        if index > after + 1:
            out.append(_gap(index - after - 1))
        line = lines[index]
        out.append(line if len(line) <= LINE_CHARS else line[:LINE_CHARS] + f" [... {len(line) - LINE_CHARS:,} more]")
        after = index
    if after < len(lines) - 1 and any(line.strip() for line in lines[after + 1 :]):
        out.append(_gap(len(lines) - after - 1))
    text = "\n".join(out)
    return text if len(text) <= limit else _clip(out, limit)


def _clip(lines: list[str], limit: int) -> str:
    """Whole lines from the start (the first failure) and the end (the summary) within ``limit``."""
    head: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > limit * 2 // 3:
            break
        head.append(line)
        used += len(line) + 1
    tail: list[str] = []
    for line in reversed(lines[len(head) :]):
        if used + len(line) + 1 > limit:
            break
        tail.append(line)
        used += len(line) + 1
    return "\n".join([*head, _gap(len(lines) - len(head) - len(tail)), *reversed(tail)])


def _gap(count: int) -> str:
    return f"[... {count} line{'s' if count > 1 else ''} ...]"


def failing_places(tests: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The files and the test names (as a file's symbols name them) that failing tests' names give:
    pytest's path::Class::test[id], Go's TestName/subtest, jest's and vitest's path > suite > test."""
    files: list[str] = []
    names: list[str] = []
    for test in tests:
        if "::" in test:
            path, *rest = test.split("::")
            files.append(path)
            names.extend(re.sub(r"\[.*$", "", part) for part in rest)
        elif " › " in test or " > " in test:
            parts = re.split(r" › | > ", test)
            if _PATH_LIKE.fullmatch(parts[0]):
                files.append(parts[0])
            names.append(parts[-1])
        elif _PATH_LIKE.fullmatch(test):
            files.append(test)
        else:
            names.append(test.split("/", 1)[0])
    return list(dict.fromkeys(files)), list(dict.fromkeys(n for n in names if n))


_PATH_LIKE = re.compile(_FILE)
