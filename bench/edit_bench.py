"""Edit blocks made from real commits, each also written with a mistake models make.

    python bench/edit_bench.py --repo PATH [--repo PATH ...] [-n 60] [--seed 0]
        [--baseline REV] [--aider-site DIR] [--show KIND] [--json]

Each case is one hunk of a real commit to a Python file: SEARCH is the hunk's old side, REPLACE
its new side, the file is the commit's parent version, and the right result is that file with
just this hunk applied. Every hunk is written in each of these kinds (when the kind applies):

    exact            as the commit has it
    trailing_spaces  spaces or a tab added at the end of some lines
    flush_left       the whole block shifted left to column 0
    first_unindented the first SEARCH line without its indentation
    elided           inner context lines replaced by one `...` line, in SEARCH and REPLACE
    crlf             the file has CRLF line endings (the block, as models write, LF)
    typo             a one-character slip in a context line (in SEARCH and REPLACE)

and applied through the real parse and apply in a temporary directory; the outcome is right
(the file is exactly the expected bytes), refused, or wrong (anything else: the worst case).
Beside gearshift: ``--baseline REV`` runs the edits module as it was at that commit of this
repository, and aider's matcher runs when ``aider`` is importable (``--aider-site`` adds the
site-packages of another environment where it is installed). Cases are made at run time into a
temporary directory; nothing of the repositories is kept.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import types
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gearshift.context.files import is_secret
from gearshift.errors import EditError

HERE = Path(__file__).resolve().parent.parent
KINDS = ("exact", "trailing_spaces", "flush_left", "first_unindented", "elided", "crlf", "typo")
OUTCOMES = ("right", "refused", "wrong")
_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")
_MARKERS = re.compile(r"^(<<<<<<<|=======|>>>>>>>)|^(\.\.\.|…)$")


@dataclass(frozen=True)
class Hunk:
    repo: str
    path: str
    before: str  # the parent's version of the file
    start: int  # 0-based line of the hunk's old side
    lines: list[tuple[str, str]]  # (" " | "-" | "+", text)


@dataclass(frozen=True)
class Case:
    kind: str
    hunk: Hunk
    data: bytes
    search: str
    replace: str
    expected: bytes


# --- hunks of real commits -------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, errors="replace"
    ).stdout


def name_of(repo: Path) -> str:
    path = repo.resolve()
    return path.parent.name if path.name in ("repo", ".git") else path.name


def hunks_of(repo: Path, wanted: int, rng: random.Random) -> list[Hunk]:
    log = git(repo, "log", "--no-merges", "--diff-filter=M", "--format=%x01%H %P", "-n", "3000", "--", "*.py")
    commits = [line.split() for line in log.split("\x01") if len(line.split()) >= 2]
    rng.shuffle(commits)
    found: list[Hunk] = []
    with subprocess.Popen(
        ["git", "-C", str(repo), "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as batch:
        for sha, parent, *_ in commits:
            if len(found) >= wanted:
                break
            diff = git(repo, "diff", "-U3", "--no-color", "--no-ext-diff", parent, sha, "--", "*.py")
            for path, header, body in _file_hunks(diff):
                if is_secret(path):
                    continue  # a plain temporary directory tracks nothing: gearshift rightly refuses those
                before = _cat(batch, f"{parent}:{path}")
                hunk = _hunk(name_of(repo), path, before, header, body) if before is not None else None
                if hunk is not None:
                    found.append(hunk)
                    break  # one hunk a commit, for variety
    return found


def _file_hunks(diff: str) -> list[tuple[str, str, list[str]]]:
    out: list[tuple[str, str, list[str]]] = []
    path = ""
    for line in diff.splitlines():
        if line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else ""
        elif line.startswith("@@") and path:
            out.append((path, line, []))
        elif out and line[:1] in (" ", "-", "+", "\\") and not line.startswith(("--- ", "+++ ")):
            out[-1][2].append(line)
    return out


def _cat(batch: subprocess.Popen[bytes], spec: str) -> str | None:
    assert batch.stdin is not None and batch.stdout is not None
    batch.stdin.write(spec.encode() + b"\n")
    batch.stdin.flush()
    header = batch.stdout.readline().split()
    if len(header) < 3:
        return None
    data = batch.stdout.read(int(header[2]) + 1)[:-1]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _hunk(repo: str, path: str, before: str, header: str, body: list[str]) -> Hunk | None:
    match = _HUNK.match(header)
    if match is None or "\r" in before or not before.endswith("\n") or any(b.startswith("\\") for b in body):
        return None
    lines = [(b[0], b[1:]) for b in body]
    old = [text for tag, text in lines if tag != "+"]
    new = [text for tag, text in lines if tag != "-"]
    start = int(match.group(1)) - 1 if old else int(match.group(1))
    file_lines = before.split("\n")[:-1]
    if not old or old == new or file_lines[start : start + len(old)] != old:
        return None
    if not any(t.strip() for t in old) or any(_MARKERS.match(t.strip()) for _, t in lines):
        return None
    occurrences = sum(file_lines[i : i + len(old)] == old for i in range(len(file_lines) - len(old) + 1))
    return Hunk(repo, path, before, start, lines) if occurrences == 1 else None


# --- the mistakes ----------------------------------------------------------------------------


def cases_of(hunk: Hunk, rng: random.Random) -> list[Case]:
    out = []
    for kind in KINDS:
        made = MISTAKES[kind](hunk.lines, rng)
        if made is None:
            continue
        lines = made
        data, expected = _expected(hunk)
        if kind == "crlf":
            data, expected = data.replace(b"\n", b"\r\n"), expected.replace(b"\n", b"\r\n")
        search = "".join(text + "\n" for tag, text in lines if tag in (" ", "-", "s"))
        replace = "".join(text + "\n" for tag, text in lines if tag in (" ", "+", "r"))
        if search != replace:  # a mistake that erases the change leaves no case
            out.append(Case(kind, hunk, data, search, replace, expected))
    return out


def _expected(hunk: Hunk) -> tuple[bytes, bytes]:
    file_lines = hunk.before.split("\n")[:-1]
    old = sum(1 for tag, _ in hunk.lines if tag != "+")
    new = [text for tag, text in hunk.lines if tag != "-"]
    after = file_lines[: hunk.start] + new + file_lines[hunk.start + old :]
    return hunk.before.encode(), "".join(line + "\n" for line in after).encode()


Lines = list[tuple[str, str]]  # tags: " " both sides, "-" SEARCH, "+" REPLACE; "s"/"r" one side only


def _same(lines: Lines, rng: random.Random) -> Lines | None:
    return lines


def _trailing(lines: Lines, rng: random.Random) -> Lines | None:
    # SEARCH copied with whitespace at some line ends; REPLACE as the commit has it
    out: Lines = []
    added = {text for tag, text in lines if tag == "+"}
    for tag, text in lines:
        suffix = rng.choice(["", "", " ", "  ", "\t"]) if text.strip() and tag != "+" else ""
        if tag == "-" and text + suffix in added:
            suffix = ""  # the removed line would read as the added one: the change would be gone
        if not suffix:
            out.append((tag, text))
        elif tag == " ":
            out += [("s", text + suffix), ("r", text)]
        else:
            out.append((tag, text + suffix))
    return out if out != lines else None


def _blank_changed(lines: Lines) -> bool:
    """Whether the commit changes a line of whitespace alone, which shifting the block would lose."""
    return any(tag != " " and text and not text.strip() for tag, text in lines)


def _flush_left(lines: Lines, rng: random.Random) -> Lines | None:
    if _blank_changed(lines):
        return None
    solid = [text for _, text in lines if text.strip()]
    common = min(len(t) - len(t.lstrip()) for t in solid)
    if common == 0 or len({t[:common] for t in solid}) != 1:
        return None
    prefix = solid[0][:common]
    return [(tag, text[common:] if text.startswith(prefix) else text.lstrip()) for tag, text in lines]


def _first_unindented(lines: Lines, rng: random.Random) -> Lines | None:
    if _blank_changed(lines):
        return None
    first = next(i for i, (tag, _) in enumerate(lines) if tag != "+")
    tag, text = lines[first]
    if not text.strip() or text == text.lstrip():
        return None
    if tag == " ":  # the line stays in REPLACE as it was; only SEARCH lost its indentation
        return [*lines[:first], ("s", text.lstrip()), ("r", text), *lines[first + 1 :]]
    return [*lines[:first], (tag, text.lstrip()), *lines[first + 1 :]]


def _elided(lines: Lines, rng: random.Random) -> Lines | None:
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j][0] == " ":
            j += 1
        if j - i >= 3:
            runs.append((i, j))
        i = max(j, i + 1)
    if not runs:
        return None
    start, end = rng.choice(runs)
    gap = lines[start + 1][1]
    marker = gap[: len(gap) - len(gap.lstrip())] + "..."
    return [*lines[: start + 1], (" ", marker), *lines[end - 1 :]]


def _typo(lines: Lines, rng: random.Random) -> Lines | None:
    context = [i for i, (tag, text) in enumerate(lines) if tag == " " and len(text.strip()) >= 8]
    if not context:
        return None
    at = rng.choice(context)
    text = lines[at][1]
    spots = [k for k, c in enumerate(text) if c.isalpha()]
    if not spots:
        return None
    k = rng.choice(spots)
    other = rng.choice([c for c in "etaoinsrhl" if c != text[k].lower()])
    return [*lines[:at], (" ", text[:k] + other + text[k + 1 :]), *lines[at + 1 :]]


MISTAKES: dict[str, Callable[[Lines, random.Random], Lines | None]] = {
    "exact": _same,
    "trailing_spaces": _trailing,
    "flush_left": _flush_left,
    "first_unindented": _first_unindented,
    "elided": _elided,
    "crlf": _same,
    "typo": _typo,
}


# --- the matchers ----------------------------------------------------------------------------

Apply = Callable[[Path, Case], None]  # raises EditError (or returns None having refused) to refuse


def gearshift_apply(module: types.ModuleType) -> Apply:
    def apply(root: Path, case: Case) -> None:
        reply = f"{case.hunk.path}\n<<<<<<< SEARCH\n{case.search}=======\n{case.replace}>>>>>>> REPLACE\n"
        module.apply_edit_blocks(root, module.parse_edit_blocks(reply))

    return apply


def baseline_module(rev: str) -> types.ModuleType:
    source = git(HERE, "show", f"{rev}:src/gearshift/edits.py")
    module = types.ModuleType("gearshift_edits_baseline")
    sys.modules[module.__name__] = module  # dataclasses look their module up there
    exec(compile(source, f"{rev}:edits.py", "exec"), module.__dict__)
    return module


def aider_apply() -> Apply | None:
    try:
        from aider.coders.editblock_coder import do_replace  # type: ignore[import-not-found]
    except Exception:
        return None

    def apply(root: Path, case: Case) -> None:
        target = root / case.hunk.path
        content = target.read_text(encoding="utf-8")  # as aider reads: text mode, universal newlines
        new = do_replace(str(target), content, case.search, case.replace, ("```", "```"))
        if new is None:
            raise EditError("aider: no match")
        with open(target, "w", encoding="utf-8") as out:  # and as it writes
            out.write(new)

    return apply


def outcome(apply: Apply, case: Case) -> tuple[str, str]:
    with tempfile.TemporaryDirectory(prefix="edit-bench-") as directory:
        root = Path(directory)
        target = root / case.hunk.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(case.data)
        try:
            apply(root, case)
        except EditError as exc:
            return "refused", str(exc)
        except Exception as exc:
            return "wrong", f"crash: {exc!r}"  # no better than a wrong file: nothing tells the user
        return ("right", "") if target.read_bytes() == case.expected else ("wrong", "")


# --- the run ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", action="append", type=Path, default=[], help="a git repository (repeatable)")
    parser.add_argument("-n", type=int, default=60, help="hunks per repository (default 60)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline", metavar="REV", help="also run src/gearshift/edits.py as it was at REV")
    parser.add_argument("--aider-site", type=Path, help="site-packages of an environment with aider installed")
    parser.add_argument("--show", metavar="KIND", help="print the cases of KIND gearshift did not get right")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.aider_site:
        sys.path.append(str(args.aider_site))
    import gearshift.edits

    matchers: dict[str, Apply] = {"gearshift": gearshift_apply(gearshift.edits)}
    if args.baseline:
        matchers[f"baseline {args.baseline}"] = gearshift_apply(baseline_module(args.baseline))
    aider = aider_apply()
    if aider is not None:
        matchers["aider"] = aider
    rng = random.Random(args.seed)
    cases: list[Case] = []
    for repo in args.repo or [HERE]:
        for hunk in hunks_of(repo, args.n, rng):
            cases += cases_of(hunk, rng)
    results: dict[str, Counter[tuple[str, str]]] = {name: Counter() for name in matchers}
    for case in cases:
        for name, apply in matchers.items():
            got, why = outcome(apply, case)
            results[name][case.kind, got] += 1
            if name == "gearshift" and got != "right" and args.show == case.kind:
                print(f"--- {got} {case.hunk.repo}:{case.hunk.path}:{case.hunk.start + 1} {why[:300]}")
                print(f"{case.search}=======\n{case.replace}")
    repos = Counter(case.hunk.repo for case in cases if case.kind == "exact")
    if args.json:
        table = {n: {f"{k}/{o}": c for (k, o), c in r.items()} for n, r in results.items()}
        print(json.dumps({"cases": len(cases), "hunks": dict(repos), "results": table}, indent=2))
        return
    print(f"{len(cases)} cases from {sum(repos.values())} hunks: " + ", ".join(f"{r} {c}" for r, c in repos.items()))
    _table(results)


def _table(results: dict[str, Counter[tuple[str, str]]]) -> None:
    names = list(results)
    width = max(22, *(len(n) + 2 for n in names))
    print(f"{'kind':<18}{'cases':>6}  " + "".join(f"{n:>{width}}" for n in names))
    print(f"{'':<26}" + "".join(f"{'right refused wrong':>{width}}" for _ in names))
    for kind in (*KINDS, "all"):
        kinds = KINDS if kind == "all" else (kind,)
        row = []
        total = 0
        for name in names:
            counts = [sum(results[name][k, o] for k in kinds) for o in OUTCOMES]
            total = sum(counts)
            row.append(f"{counts[0]:>{width - 14}}{counts[1]:>8}{counts[2]:>6}")
        print(f"{kind:<18}{total:>6}  " + "".join(row))


if __name__ == "__main__":
    main()
