"""A step's file context on real commits: how much of each file it shows, and whether the edit is in it.

    python bench/step_context_bench.py --repo PATH [--repo PATH ...] [-n 50] [--seed 0] [--tokens 24000]
        [--baseline REV]

Samples non-merge commits that modify 1 to 4 existing text files (lock files and snapshots left
out). For each, the files as they were in the parent go into a scratch directory, and a step is
written as a good plan would write it: the commit's subject, then for each file what its hunks
touch, in backticks: the functions and classes (methods as Class.method, a class's field as
Class.field, a function nested in another too; outside definitions, the one a decorator belongs
to, the top-level assignment, or the one an insertion follows); in a document, the headings of the
sections; in JSON, YAML or TOML, the keys; in code without a grammar, the nearest definition. Both
step contexts are computed on it: gearshift's own and that of gearshift ``--baseline`` (default:
the commit before step context by need, whose step_files showed whole files, or symbol views once
over budget).

Per file size class (lines of the parent's file), it prints the tokens of the whole files and of
what each step context shows of them, the median per file of shown over whole, the same for the
totals, and the share of the commit's changed lines inside the shown ranges: old-side lines the
commit removes or rewrites, and for a pure insertion the line it follows (the line a SEARCH would
quote). Goal: coverage >= 0.95 with a median ratio <= 0.35 for files over 400 lines.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import tempfile
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from gearshift.context.symbols import Symbol, extract_symbols, language_of
from gearshift.context.tokens import TokenCounter, counter_for

BASELINE = "a5129f1"  # main before step context by need
CLASSES = ((0, 199, "<200"), (200, 399, "200-400"), (400, 999, "400-1000"), (1000, 10**9, ">1000"))
# generated files: a plan does not edit them by hand
SKIPPED = re.compile(
    r"(^|/)(go\.sum|[\w.-]+\.lock|package-lock\.json|pnpm-lock\.yaml|yarn\.lock|[\w.-]+\.snap"
    r"|[\w.-]+\.(ai|eps|svg|pdf|psd))$"  # drawings stored as text are not code a step edits
)
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", re.MULTILINE)
_ASSIGNMENT = re.compile(r"^(?:export\s+)?(?:const\s+|let\s+|var\s+)?([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=[^=]")
_NESTED = re.compile(  # a function defined inside another: Python, JavaScript and TypeScript, Go
    r"^(\s+)(?:(?:async\s+)?def\s+(\w+)|(?:async\s+)?function\s*\*?\s*([\w$]+)"
    r"|(?:const|let|var)\s+([\w$]+)\s*(?::[^=]+)?=\s*(?:async\s*)?(?:function\b|\(|[\w$]+\s*=>)|([\w$]+)\s*:=\s*func\b)"
)
_FIELD = re.compile(  # a class's field, a function or a value: name = ..., name: Type = ..., name(...) {
    r"^(\s+)(?:(?:public|private|protected|static|readonly|override|declare)\s+)*"
    r"(?!(?:if|for|while|switch|return|catch|else|try|new|await|throw|typeof|super|this|do)\b)([\w$#]+)[?!]?\s*[:=(<]"
)
_DEFINITION = re.compile(  # a definition in a language gearshift has no grammar for: Ruby, shell, Perl, Lua ...
    r"^\s*(?:(?:def|function|func|fn|sub|proc|class|module|local\s+function)\s+([\w$.?!]+)|([\w-]+)\s*\(\)\s*\{)"
)
_KEY = re.compile(r"^(\s*)(?:\"([^\"]+)\"\s*:|([\w.-]+)\s*[:=]|\[+([\w.\"-]+)\]+\s*$)")  # JSON, YAML, TOML
_DATA = (".json", ".yaml", ".yml", ".toml")
_DOCUMENTS = {".md", ".markdown", ".mdx", ".rst", ".txt", ".adoc", ".asciidoc", ".rdoc"}
_CLASS_LIKE = ("class", "interface", "struct")
_RST_RULE = re.compile(r"^([=\-~^\"'#*+])\1{2,}\s*$")

# (path, shown tokens, shown ranges) for each file of a step
Shown = list[tuple[str, int, list[tuple[int, int]]]]
Variant = Callable[[Path, list[str], str, int, TokenCounter], Shown]


@dataclass
class Tally:
    ratios: list[float] = field(default_factory=list)
    shown: int = 0
    whole: int = 0
    changed: int = 0
    covered: int = 0


def sample_commits(repo: Path, n: int, seed: int) -> list[tuple[str, str, list[str]]]:
    out = git(repo, "log", "--no-merges", "--format=%x01%H%x00%s", "--name-status", "-n", "6000")
    commits = []
    for record in out.split("\x01")[1:]:
        head, _, body = record.partition("\n")
        sha, _, subject = head.partition("\x00")
        changes = [line.split("\t") for line in body.strip().splitlines() if line.strip()]
        if not changes or any(c[0] != "M" for c in changes) or any(SKIPPED.search(c[1]) for c in changes):
            continue
        if 1 <= len(changes) <= 4:
            commits.append((sha, subject, [c[1] for c in changes]))
    random.Random(seed).shuffle(commits)
    return commits


def git(repo: Path, *args: str) -> str:
    # a commit may carry non-UTF-8 bytes (a logo, a fixture): read them as replacement characters
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, errors="replace", check=True
    ).stdout


def changed_lines(diff: str) -> list[int]:
    """Old-side lines a commit changes; for a pure insertion, the line it follows (or the first)."""
    lines: list[int] = []
    for match in _HUNK.finditer(diff):
        start, count = int(match.group(1)), int(match.group(2) or "1")
        lines.extend(range(start, start + count) if count else [max(1, start)])
    return sorted(set(lines))


def touched_names(symbols: list[Symbol], lines: list[int], text: str) -> list[str]:
    """What a good plan would name: the innermost definition around each changed line (Class.method for
    a method); outside definitions, the one a decorator belongs to, the top-level assignment the line is
    in, or the definition an insertion follows."""
    rows = text.split("\n")
    names: list[str] = []
    for line in lines:
        around = [s for s in symbols if s.line <= line <= s.end_line]
        if around:
            inner = min(around, key=lambda s: s.end_line - s.line)
            outer = [s for s in around if s is not inner and s.kind in _CLASS_LIKE]
            if inner.kind in _CLASS_LIKE:  # a field of a class: Class.field, as a plan writes it
                field = _nested_above(rows, inner.line, line, _FIELD)
                names.append(f"{inner.name}.{field}" if field else inner.name)
                continue
            names.append(f"{outer[-1].name}.{inner.name}" if inner.kind == "method" and outer else inner.name)
            nested = _nested_above(rows, inner.line, line, _NESTED)
            if nested:
                names.append(nested)
            continue
        after = [s for s in symbols if s.line > line]
        following = min(after, key=lambda s: s.line) if after else None
        if following and all(row.strip() for row in rows[line - 1 : following.line - 1]):
            names.append(following.name)  # a decorator's line: it belongs to the definition below
            continue
        assigned = _assignment_above(rows, line)
        if assigned:
            names.append(assigned)
            continue
        quoted = _word_above(rows, line, symbols)
        if quoted:  # in a block no definition holds (Go's const ( ... )): the line it goes after, quoted
            names.append(quoted)
            continue
        before = [s for s in symbols if s.end_line < line]
        if before:
            last = max(before, key=lambda s: (s.end_line, -s.line))
            names.append(last.name)
    return list(dict.fromkeys(names))


def _word_above(rows: list[str], line: int, symbols: list[Symbol]) -> str | None:
    """The first name on the nearest line at or above ``line`` when it is indented and no definition holds it."""
    for index in range(min(line, len(rows)) - 1, max(-1, line - 4), -1):
        row = rows[index]
        if row.strip():
            match = re.match(r"\s+([A-Za-z_]\w{2,})", row)
            inside = any(s.line <= index + 1 <= s.end_line for s in symbols)
            return match.group(1) if match and not inside else None
    return None


def _nested_above(rows: list[str], first: int, line: int, pattern: re.Pattern[str]) -> str | None:
    """The function (or class field) defined inside a definition, which the symbols leave out, that holds
    ``line``: the nearest definition above it whose indented block reaches it."""
    for number in range(line, first, -1):
        match = pattern.match(rows[number - 1])
        if not match:
            continue
        indent = len(match.group(1))
        body = [row for row in rows[number : line - 1] if row.strip()]
        if all(len(row) - len(row.lstrip()) > indent or row.lstrip().startswith((")", "]")) for row in body):
            return next(group for group in match.groups()[1:] if group)
    return None


def _assignment_above(rows: list[str], line: int) -> str | None:
    for index in range(min(line, len(rows)) - 1, -1, -1):
        row = rows[index]
        if row.strip() and not row[0].isspace() and not row.startswith((")", "]", "}")):
            match = _ASSIGNMENT.match(row)
            return match.group(1) if match else None
    return None


def heading_above(text: str, line: int) -> str | None:
    """The nearest markdown or reStructuredText heading at or above ``line``, outside fenced code."""
    rows = text.split("\n")
    found, fenced = None, False
    for index, row in enumerate(rows[: max(0, line)]):
        if row.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif fenced:
            continue
        elif row.startswith("#") and row.lstrip("#").startswith(" "):
            found = row.lstrip("#").strip()
        elif index + 1 < len(rows) and _RST_RULE.match(rows[index + 1]) and row.strip() and not _RST_RULE.match(row):
            found = row.strip()
    return found


def step_text(subject: str, files: dict[str, str], changes: dict[str, list[int]]) -> str:
    parts = [subject, ""]
    for path, text in files.items():
        if language_of(path):
            names = touched_names(extract_symbols(path, text.encode("utf-8")), changes[path], text)
            parts.append(f"In {path}, change {', '.join(f'`{n}`' for n in names)}." if names else f"Change {path}.")
        elif path.endswith(_DATA):
            keys = list(dict.fromkeys(k for k in (_key_above(text, ln) for ln in changes[path]) if k))
            parts.append(f"In {path}, change {', '.join(f'`{k}`' for k in keys)}." if keys else f"Change {path}.")
        else:
            document = PurePosixPath(path).suffix.lower() in _DOCUMENTS or (
                "." not in PurePosixPath(path).name and not text.startswith("#!")
            )
            headings = (heading_above(text, ln) for ln in changes[path]) if document else ()
            found = list(dict.fromkeys(h for h in headings if h))
            defined = list(dict.fromkeys(d for d in (_definition_above(text, ln) for ln in changes[path]) if d))
            parts.append(
                f"In {path}, under {', '.join(chr(34) + h + chr(34) for h in found)}."
                if found
                else f"In {path}, change {', '.join(f'`{d}`' for d in defined)}."
                if defined
                else f"Change {path}."
            )
    return "\n".join(parts)


def _key_above(text: str, line: int) -> str | None:
    """The key of the block a changed line of JSON, YAML or TOML is in (the line's own when it has one)."""
    rows = text.split("\n")
    if line > len(rows):
        return None
    indent = len(rows[line - 1]) - len(rows[line - 1].lstrip()) + 1
    for index in range(line - 1, -1, -1):
        match = _KEY.match(rows[index])
        if match and (len(match.group(1)) < indent or index == line - 1):
            return next(group for group in match.groups()[1:] if group)
    return None


def _definition_above(text: str, line: int) -> str | None:
    """In code gearshift has no grammar for, the nearest definition at or above a changed line."""
    rows = text.split("\n")
    for index in range(min(line, len(rows)) - 1, -1, -1):
        match = _DEFINITION.match(rows[index])
        if match:
            return match.group(1) or match.group(2)
    return None


# --- the two step contexts ------------------------------------------------------------------


def ours(root: Path, paths: list[str], text: str, budget: int, counter: TokenCounter) -> Shown:
    from gearshift.context.step_files import step_context

    shown = step_context(root, paths, counter, budget=budget, step_text=text)
    return [(f.path, f.tokens, list(f.ranges)) for f in shown.files]


def baseline(rev: str) -> Variant:
    """The step_files of gearshift at ``rev``, loaded from git, measured from what it prints."""
    source = git(Path(__file__).resolve().parent, "show", f"{rev}:src/gearshift/context/step_files.py")
    module = types.ModuleType("baseline_step_files")
    exec(compile(source, f"{rev}:step_files.py", "exec"), module.__dict__)
    marker = re.compile(r"^\[gearshift: lines (\d+)-(\d+) not shown")

    def run(root: Path, paths: list[str], text: str, budget: int, counter: TokenCounter) -> Shown:
        out: str = module.step_files_context(root, paths, counter, budget=budget, step_text=text)
        result: Shown = []
        for path in paths:
            heading = f"## {path}\n"
            rest = out[out.index(heading) + len(heading) :]
            fence = rest.split("\n", 1)[0]
            if not fence.startswith("```"):  # a note instead of the file: a secrets file, say
                result.append((path, counter.count(heading + rest.split("\n", 1)[0]), []))
                continue
            close = rest.index(f"\n{fence}\n", len(fence))  # the closing fence: the file's text has none
            body = rest[len(fence) + 1 : close + 1]
            section = rest[: close + len(fence) + 2]
            total = len((root / path).read_text(encoding="utf-8", errors="replace").splitlines())
            hidden = [(int(m.group(1)), int(m.group(2))) for m in map(marker.match, body.splitlines()) if m]
            if "[gearshift: the rest of the file is left out]" in body:
                hidden.append((len([r for r in body.splitlines() if not marker.match(r)]), total))
            ranges, first = [], 1
            for start, end in sorted(hidden):
                if start > first:
                    ranges.append((first, start - 1))
                first = end + 1
            if first <= total:
                ranges.append((first, total))
            result.append((path, counter.count(heading + section), ranges))
        return result

    return run


# --- measuring ------------------------------------------------------------------------------


def measure(repo: Path, n: int, seed: int, budget: int, variants: dict[str, Variant], misses: bool = False) -> None:
    counter = counter_for("gpt-5.4")
    tallies = {name: {label: Tally() for *_, label in CLASSES} for name in variants}
    used = files_seen = 0
    started = time.perf_counter()
    for sha, subject, paths in sample_commits(repo, 10 * n, seed):
        if used >= n:
            break
        files: dict[str, str] = {}
        for path in paths:
            data = subprocess.run(["git", "-C", str(repo), "show", f"{sha}^:{path}"], capture_output=True).stdout
            if b"\0" in data[:8192] or not data.strip() or len(data) > 400_000:
                break
            files[path] = data.decode("utf-8", "replace")
        if len(files) != len(paths):
            continue
        changes = {p: changed_lines(git(repo, "diff", "-U0", f"{sha}^", sha, "--", p)) for p in paths}
        if not all(changes.values()):
            continue
        used += 1
        files_seen += len(paths)
        text = step_text(subject, files, changes)
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for path, content in files.items():
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_text(content, encoding="utf-8")
            for name, variant in variants.items():
                for path, tokens, ranges in variant(root, paths, text, budget, counter):
                    size = len(files[path].splitlines())
                    tally = tallies[name][next(label for low, high, label in CLASSES if low <= size <= high)]
                    whole = counter.count(files[path])
                    tally.ratios.append(tokens / max(1, whole))
                    tally.shown += tokens
                    tally.whole += whole
                    tally.changed += len(changes[path])
                    missed = [ln for ln in changes[path] if not any(a <= ln <= b for a, b in ranges)]
                    tally.covered += len(changes[path]) - len(missed)
                    if misses and missed and name == "after":
                        print(f"  missed {sha[:10]} {path} ({size} lines): {missed[:12]} shown {ranges[:12]}")
    elapsed = time.perf_counter() - started
    print(f"\n{repo}: {used} commits, {files_seen} files, step budget {budget:,} tokens ({elapsed:.0f} s)")
    first = next(iter(tallies.values()))
    header = "".join(f"  | {name + ': tokens, median, total, coverage':<44}" for name in variants)
    print(f"  {'lines':<9} {'files':>5} {'whole tokens':>12}{header}")
    for *_, label in CLASSES:
        row = [f"  {label:<9} {len(first[label].ratios):>5} {first[label].whole:>12,}"]
        for name in variants:
            t = tallies[name][label]
            total = t.shown / max(1, t.whole)
            row.append(f"  | {t.shown:>10,} {_median(t.ratios):>7.2f} {total:>6.2f} {_share(t):>9.3f}{'':9}")
        print("".join(row))
    for name in variants:
        big = [r for label in (">1000", "400-1000") for r in tallies[name][label].ratios]
        every = tallies[name].values()
        coverage = sum(t.covered for t in every) / max(1, sum(t.changed for t in every))
        print(f"  {name}: files over 400 lines, median ratio {_median(big):.2f}; changed-line coverage {coverage:.3f}")


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _share(tally: Tally) -> float:
    return tally.covered / tally.changed if tally.changed else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", action="append", type=Path, required=True)
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tokens", type=int, default=24_000, help="the step budget (context.step_tokens)")
    parser.add_argument("--baseline", default=BASELINE, help="gearshift revision to compare with")
    parser.add_argument("--only", choices=("baseline", "gearshift"), help="measure one of the two")
    parser.add_argument("--misses", action="store_true", help="list the changed lines gearshift did not show")
    args = parser.parse_args()
    variants: dict[str, Variant] = {}
    if args.only != "gearshift":
        variants["before"] = baseline(args.baseline)
    if args.only != "baseline":
        variants["after"] = ours
    for repo in args.repo:
        measure(repo, args.n, args.seed, args.tokens, variants, args.misses)


if __name__ == "__main__":
    main()
