"""The repository map against BM25, on real commits; and its speed on a large tree.

    python bench/context_bench.py --repo PATH [-n 100] [--seed 0]
    python bench/context_bench.py --speed-tree PATH      # e.g. the Django 5.2 source distribution

Localisation: sample non-merge commits that modify 1 to 4 existing source files; for each,
check out its parent, map it with the commit's subject as the task, and see where the modified
files rank. Prints recall@5, recall@10 and MRR for gearshift's ranking and for a BM25 baseline
over paths and contents, measured in the same run on the same commits.
Speed: cold and warm map time and peak memory of the library call (each in a fresh process), and
the cold and warm time of the whole `gearshift map TASK` command as a user runs it.
Also prints how far the token estimate is from o200k_base on the repository's files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path, PurePosixPath

from gearshift.context.facts import LANGUAGES
from gearshift.context.files import list_files, read_text
from gearshift.context.index import RepoIndex
from gearshift.context.ranking import rank, recent_changes

_PLAIN = re.compile(r"[a-z0-9]+")


def sample_commits(repo: Path, n: int, seed: int) -> list[tuple[str, str, list[str]]]:
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "--no-merges", "--format=%x01%H%x00%s", "--name-status", "-n", "4000"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    commits = []
    for record in out.split("\x01")[1:]:
        head, _, body = record.partition("\n")
        sha, _, subject = head.partition("\x00")
        changes = [line.split("\t") for line in body.strip().splitlines() if line.strip()]
        if not changes or any(c[0] != "M" for c in changes):
            continue  # only commits that modify existing files
        source = [c[1] for c in changes if PurePosixPath(c[1]).suffix.lower() in LANGUAGES]
        if 1 <= len(source) <= 4:
            commits.append((sha, subject, source))
    random.Random(seed).shuffle(commits)
    return commits[:n]


class BM25Baseline:
    """Plain BM25 over each file's path and contents: lower-case alphanumeric words, no stemming."""

    def __init__(self) -> None:
        self._cache: dict[str, Counter[str]] = {}

    def rank(self, root: Path, files: list[str], task: str) -> list[str]:
        docs = {}
        for path in files:
            data = (root / path).read_bytes() if (root / path).stat().st_size < 1_000_000 else b""
            key = hashlib.sha1(path.encode() + b"\0" + data).hexdigest()
            if key not in self._cache:
                text = path + "\n" + (data.decode("utf-8", "replace") if b"\0" not in data[:8192] else "")
                self._cache[key] = Counter(_PLAIN.findall(text.lower()))
            docs[path] = self._cache[key]
        average = sum(sum(c.values()) for c in docs.values()) / max(1, len(docs))
        terms = set(_PLAIN.findall(task.lower()))
        frequency = Counter(t for c in docs.values() for t in terms if t in c)
        scores = {}
        for path, counts in docs.items():
            length = sum(counts.values())
            score = 0.0
            for term in terms:
                tf = counts.get(term, 0)
                if tf:
                    idf = math.log(1 + (len(docs) - frequency[term] + 0.5) / (frequency[term] + 0.5))
                    score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / average))
            scores[path] = score
        return [p for p, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]


def metrics(ranked: list[str], relevant: list[str]) -> tuple[float, float, float]:
    positions = {path: i for i, path in enumerate(ranked)}
    ranks = sorted(positions[p] + 1 for p in relevant if p in positions)
    recall5 = sum(r <= 5 for r in ranks) / len(relevant)
    recall10 = sum(r <= 10 for r in ranks) / len(relevant)
    return recall5, recall10, (1 / ranks[0] if ranks else 0.0)


def localisation(repo: Path, n: int, seed: int) -> None:
    commits = sample_commits(repo, n, seed)
    print(f"\n{repo}: {len(commits)} commits modifying 1-4 existing source files")
    totals = {"gearshift": [0.0, 0.0, 0.0], "bm25": [0.0, 0.0, 0.0]}
    baseline = BM25Baseline()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "checkout"
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(repo), str(scratch)], check=True)
        index = RepoIndex(scratch, Path(tmp) / "cache" / "index.db")
        for sha, subject, relevant in commits:
            subprocess.run(["git", "-C", str(scratch), "checkout", "-q", "-f", f"{sha}^"], check=True)
            files = index.refresh()
            ours = [p for p, _ in rank(index, files, subject, history=recent_changes(scratch))]
            theirs = baseline.rank(scratch, [f.path for f in files], subject)
            for name, ranked in (("gearshift", ours), ("bm25", theirs)):
                for i, value in enumerate(metrics(ranked, relevant)):
                    totals[name][i] += value
        index.close()
        estimate_line = token_estimate_error(scratch)
    count = max(1, len(commits))
    for name, (r5, r10, mrr) in totals.items():
        print(f"  {name:<10} recall@5 {r5 / count:.3f}  recall@10 {r10 / count:.3f}  MRR {mrr / count:.3f}")
    g, b = totals["gearshift"], totals["bm25"]
    print(
        f"  difference recall@5 {(g[0] - b[0]) / count:+.3f}  MRR {(g[2] - b[2]) / count:+.3f}"
        f"  ({time.perf_counter() - started:.0f} s)"
    )
    print(estimate_line)


def token_estimate_error(repo: Path) -> str:
    """How far the character estimate is from o200k_base on a checkout's files."""
    from gearshift.context.tokens import CHARS_PER_TOKEN, counter_for

    exact = counter_for("gpt-5.4")
    if not exact.exact:
        return "  (o200k_base unavailable: no token-estimate figures)"
    errors = []
    for path in list_files(repo)[:2000]:
        text = read_text(repo / path)
        if text and len(text) > 200:
            real = exact.count(text)
            errors.append((len(text) / CHARS_PER_TOKEN - real) / real)
    if not errors:
        return "  (no files to measure the token estimate on)"
    errors.sort()
    mean = sum(errors) / len(errors)
    return (
        f"  token estimate vs o200k_base over {len(errors)} files: mean {mean:+.1%},"
        f" 10th percentile {errors[len(errors) // 10]:+.1%}, 90th {errors[9 * len(errors) // 10]:+.1%}"
    )


_SPEED_CHILD = """
import json, resource, sys, time
from pathlib import Path
from gearshift.context.repomap import build_map
started = time.perf_counter()
m = build_map(Path(sys.argv[1]), sys.argv[2], cache_path=Path(sys.argv[3]), budget=8192)
elapsed = time.perf_counter() - started
# VmHWM is this process's own peak; ru_maxrss on Linux keeps the peak of the parent it was forked from
try:
    peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mb": peak, "files": len(m.files), "tokens": m.tokens}))
"""


WARM_RUNS = 7


def speed(tree: Path, task: str) -> None:
    files = list_files(tree)
    python = sum(1 for f in files if f.endswith(".py"))
    print(f"\n{tree}: {len(files)} files, {python} Python files; task: {task!r}")
    print("  the library call, build_map(budget=8192):")
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "index.db"
        runs = []
        for _ in range(1 + WARM_RUNS):  # the first is cold; the rest find the cache
            result = subprocess.run(
                [sys.executable, "-c", _SPEED_CHILD, str(tree), task, str(cache)],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(result.stdout))
    cold, warm = runs[0], runs[1:]
    seconds = sorted(r["seconds"] for r in warm)
    print(
        f"    cold: {cold['seconds']:.2f} s, peak memory {cold['peak_mb']:.0f} MB"
        f" (map: {cold['files']} files, {cold['tokens']} tokens)"
    )
    print(
        f"    warm: median {seconds[len(seconds) // 2]:.2f} s (min {seconds[0]:.2f}, max {seconds[-1]:.2f},"
        f" {len(seconds)} runs), peak memory {max(r['peak_mb'] for r in warm):.0f} MB"
    )
    with tempfile.TemporaryDirectory() as tmp:  # memory again, sampled: timing is not taken from this run
        child = subprocess.Popen(
            [sys.executable, "-c", _SPEED_CHILD, str(tree), task, str(Path(tmp) / "i.db")], stdout=subprocess.DEVNULL
        )
        total_peak = 0
        while child.poll() is None:  # the map and the indexing workers it starts, together
            total_peak = max(total_peak, _tree_rss_kb(child.pid))
            time.sleep(0.2)
        print(f"    cold, all its processes together (indexing workers included): {total_peak / 1024:.0f} MB peak")
    command(tree, task)


def command(tree: Path, task: str) -> None:
    """The map as a user feels it: a whole `gearshift map TASK` process, start-up and settings included."""
    print(f"  the whole command, `gearshift map TASK` in {tree} (default budget):")
    if (tree / ".git").exists():
        print("    (a git checkout keeps its cache in its own .gearshift/: the first run is cold only if that is new)")
    with tempfile.TemporaryDirectory() as home:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("GEARSHIFT_")}
        environment["GEARSHIFT_HOME"] = home  # no user settings; a plain tree's cache goes here
        runs = []
        for _ in range(1 + WARM_RUNS):
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "gearshift", "map", task],
                cwd=tree,
                env=environment,
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(time.perf_counter() - started)
    summary = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    warm = sorted(runs[1:])
    print(f"    cold: {runs[0]:.2f} s ({summary})")
    print(f"    warm: median {warm[len(warm) // 2]:.2f} s (min {warm[0]:.2f}, max {warm[-1]:.2f}, {len(warm)} runs)")


def _tree_rss_kb(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc (Linux)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry.name)] = int(fields.get("PPid", "0").strip())
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0])
    family = {root_pid}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in family and pid not in family:
                family.add(pid)
                grew = True
    return sum(rss.get(pid, 0) for pid in family)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", action="append", type=Path, default=[])
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed-tree", type=Path)
    parser.add_argument("--task", default="Fix the admin changelist filter for related fields")
    args = parser.parse_args()
    for repo in args.repo:
        localisation(repo, args.n, args.seed)
    if args.speed_tree:
        speed(args.speed_tree, args.task)
    if not args.repo and not args.speed_tree:
        parser.error("give --repo PATH and/or --speed-tree PATH")


if __name__ == "__main__":
    main()
