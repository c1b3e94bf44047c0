"""Task classification on real commit subjects, against a majority-class baseline.

    python bench/route_bench.py --repo PATH [--repo PATH ...] [--limit N]
    python bench/route_bench.py --held-out --mirrors DIR     # the README's figures

--held-out measures the repositories named under "held_out" in bench/task_words.lock.json, each at
its pinned commit, from clones under DIR (DIR/owner+name/repo, DIR/owner+name or DIR/name): none
of them was trained on.

Keeps the feat/fix/refactor/docs/test commits of each repository (conventional-commit
prefixes), strips the prefix, its scope and any PR number, classifies the rest with the
default classifier, and prints accuracy, macro-F1 and the confusion matrix.
Labels: feat -> implementation, fix -> bug_fix, refactor -> refactoring, docs -> documentation,
test -> testing. Goal: macro-F1 of 0.75 or better.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import time
from collections import Counter
from pathlib import Path

from gearshift.classify import TaskClassifier

LABELS = {
    "feat": "implementation",
    "fix": "bug_fix",
    "refactor": "refactoring",
    "docs": "documentation",
    "test": "testing",
}
PREFIX = re.compile(r"^(feat|fix|refactor|docs|test)(\([^)]*\))?!?:\s*(.+)$")
PR_NUMBER = re.compile(r"\s*\((?:#|[\w.-]+/[\w.-]+#)\d+\)\s*$|\s*#\d+\s*$")


def labelled_subjects(repo: Path, limit: int | None, rev: str = "HEAD") -> list[tuple[str, str]]:
    args = ["git", "-C", str(repo), "log", "--no-merges", "--format=%s", rev, "--"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    pairs = []
    for subject in out.splitlines():
        match = PREFIX.match(subject.strip())
        if not match:
            continue
        text = PR_NUMBER.sub("", match.group(3)).strip()
        if text:
            pairs.append((text, LABELS[match.group(1)]))
    return pairs[:limit] if limit else pairs


def macro_f1(truth: list[str], predicted: list[str], labels: list[str]) -> float:
    scores = []
    for label in labels:
        tp = sum(t == p == label for t, p in zip(truth, predicted, strict=True))
        fp = sum(p == label != t for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == label != p for t, p in zip(truth, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def report(name: str, pairs: list[tuple[str, str]]) -> None:
    classifier = TaskClassifier.default()
    labels = list(LABELS.values())
    truth = [label for _, label in pairs]
    started = time.perf_counter()
    predicted = [classifier.classify(text).task_type for text, _ in pairs]
    per_task_ms = (time.perf_counter() - started) * 1000 / max(1, len(pairs))
    majority = Counter(truth).most_common(1)[0][0]
    baseline = [majority] * len(truth)
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)
    print(f"\n{name}: {len(pairs)} commits ({', '.join(f'{k} {v}' for k, v in Counter(truth).most_common())})")
    print(
        f"  classifier: accuracy {accuracy:.3f}  macro-F1 {macro_f1(truth, predicted, labels):.3f}"
        f"  ({per_task_ms:.3f} ms a task)"
    )
    print(
        f"  majority ({majority}): accuracy {truth.count(majority) / len(truth):.3f}"
        f"  macro-F1 {macro_f1(truth, baseline, labels):.3f}"
    )
    short = {
        "implementation": "impl",
        "bug_fix": "fix",
        "refactoring": "refac",
        "documentation": "docs",
        "testing": "test",
    }
    others = sorted(set(predicted) - set(labels))
    columns = labels + others
    print("  confusion (rows: truth, columns: predicted)")
    print("  " + " " * 8 + "".join(f"{short.get(c, c[:6]):>8}" for c in columns))
    for label in labels:
        row = Counter(p for t, p in zip(truth, predicted, strict=True) if t == label)
        print(f"  {short[label]:>8}" + "".join(f"{row.get(c, 0):>8}" for c in columns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", action="append", type=Path, default=[], help="a git repository (repeatable)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many commits per repository")
    parser.add_argument("--held-out", action="store_true", help="the lock's held-out repositories (needs --mirrors)")
    parser.add_argument("--mirrors", type=Path, help="a directory of clones, for --held-out")
    args = parser.parse_args()
    repos: list[tuple[str, Path, str]] = [(str(repo), repo, "HEAD") for repo in args.repo]
    if args.held_out:
        from train_task_words import LOCK, find_history

        if args.mirrors is None:
            parser.error("--held-out needs --mirrors DIR")
        for entry in json.loads(LOCK.read_text(encoding="utf-8"))["held_out"]:
            commit = entry["commit"]
            repos.append((f"{entry['repo']}@{commit[:10]}", find_history(args.mirrors, entry["repo"]), commit))
    repos = repos or [("this repository", Path(__file__).resolve().parent.parent, "HEAD")]
    everything: list[tuple[str, str]] = []
    for name, repo, rev in repos:
        pairs = labelled_subjects(repo, args.limit, rev)
        if not pairs:
            print(f"\n{name}: no feat/fix/refactor/docs/test commits")
            continue
        report(name, pairs)
        everything += pairs
    if len(repos) > 1 and everything:
        report("all repositories", everything)


if __name__ == "__main__":
    main()
