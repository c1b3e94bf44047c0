"""Rebuild the classifier's learned word weights, byte for byte, from the histories in the lock.

    pip install scikit-learn==1.9.1 numpy==2.4.6 scipy==1.17.1   # the lock's versions; training only
    python bench/train_task_words.py --mirrors DIR [--lock FILE] [--out FILE] [--check]
    python bench/train_task_words.py --repo owner/name=PATH ... [--lock FILE]

bench/task_words.lock.json pins what the weights are made of: each training history (its URL and
the commit whose history is read), the model's settings, and the versions of scikit-learn, numpy
and scipy; the script refuses to run, in one line, when the installed versions differ. It fetches
nothing: give it a directory of clones (--mirrors DIR: DIR/owner+name/repo, DIR/owner+name or
DIR/name, bare or not) or each clone with --repo. It collects the feat/fix/refactor/docs/test
subjects of each history at its pinned commit the way route_bench.py does, fits a logistic
regression on the features of gearshift.classify (a first-word marker, words and word pairs,
present or absent), drops the features whose weights stay small (below the lock's keep_above, in
logits), and writes the weights, scaled to the rule scores' points (the lock's scale), sorted, at
fixed precision, as src/gearshift/data/task_words.tsv. --check rebuilds into
memory and says whether the shipped table is the same, byte for byte.
Measure the result with route_bench.py on repositories that were not trained on (the lock's
"held_out", route_bench.py --held-out --mirrors DIR): that is the figure that counts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from route_bench import labelled_subjects

from gearshift.classify import word_features

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "gearshift" / "data" / "task_words.tsv"
LOCK = Path(__file__).resolve().parent / "task_words.lock.json"


def installed_version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def version_problem(
    pinned: Mapping[str, str], installed: Callable[[str], str | None] = installed_version
) -> str | None:
    """One line saying which installed libraries differ from the lock's, or None when all match."""
    wrong = [(name, installed(name), version) for name, version in sorted(pinned.items())]
    wrong = [(name, have, want) for name, have, want in wrong if have != want]
    if not wrong:
        return None
    found = ", ".join(f"{name} {have or 'not installed'} (lock: {want})" for name, have, want in wrong)
    wanted = " ".join(f"{name}=={version}" for name, version in sorted(pinned.items()))
    return f"the installed libraries differ from the lock: {found}; the weights would not rebuild: pip install {wanted}"


def find_history(mirrors: Path, repo: str) -> Path:
    owner_name = repo.replace("/", "+")
    for candidate in (mirrors / owner_name / "repo", mirrors / owner_name, mirrors / repo.split("/")[-1]):
        if candidate.is_dir():
            return candidate
    raise SystemExit(f"train_task_words: no clone of {repo} under {mirrors} (looked for {owner_name}/repo)")


def has_commit(path: Path, commit: str) -> bool:
    args = ["git", "-C", str(path), "cat-file", "-e", f"{commit}^{{commit}}"]
    return subprocess.run(args, capture_output=True).returncode == 0


def build_table(histories: Sequence[tuple[str, list[tuple[str, str]]]], model: Mapping[str, Any]) -> str:
    """The weights table for these (source, labelled subjects) histories: the same input gives the same bytes."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    pairs = [pair for _, found in histories for pair in found]
    texts = [text for text, _ in pairs]
    labels = [label for _, label in pairs]
    vectorizer = CountVectorizer(analyzer=word_features, min_df=model["min_df"], binary=True)
    matrix = vectorizer.fit_transform(texts)
    regression = LogisticRegression(
        C=model["C"], max_iter=model["max_iter"], class_weight=model["class_weight"], random_state=0
    )
    with threadpool_limits(limits=1):  # one thread: sums in one order, so the same floats every time
        regression.fit(matrix, labels)
    classes = [str(c) for c in regression.classes_]
    names = [str(name) for name in vectorizer.get_feature_names_out()]
    places, scale = int(model["decimals"]), float(model["scale"])

    def number(value: float) -> str:
        text = f"{scale * value:.{places}f}"
        return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.000"

    weights = regression.coef_.T  # one row a feature, one column a class
    kept = sorted(
        (name, row) for name, row in zip(names, weights, strict=True) if abs(row).max() >= model["keep_above"]
    )
    counts = Counter(labels)
    lines = [
        f"# gearshift task words: logistic regression on {len(pairs)} commit subjects "
        + str({label: counts[label] for label in sorted(counts)}),
        f"# from {', '.join(f'{source}:{len(found)}' for source, found in histories)}; weights in rule points"
        f" (logits x{scale:g});"
        " bench/train_task_words.py with bench/task_words.lock.json",
        "feature\t" + "\t".join(classes),
        "(bias)\t" + "\t".join(number(b) for b in regression.intercept_),
        *(name + "\t" + "\t".join(number(w) for w in row) for name, row in kept),
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lock", type=Path, default=LOCK)
    parser.add_argument("--mirrors", type=Path, help="a directory of clones (DIR/owner+name/repo, DIR/owner+name)")
    parser.add_argument("--repo", action="append", default=[], help="owner/name=PATH, a clone (repeatable)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="only say whether --out is what the lock rebuilds")
    args = parser.parse_args(argv)
    lock = json.loads(args.lock.read_text(encoding="utf-8"))
    if problem := version_problem(lock["libraries"]):
        print(f"train_task_words: {problem}", file=sys.stderr)
        return 2
    given = dict(entry.split("=", 1) for entry in args.repo)
    histories = []
    for history in lock["histories"]:
        name, commit = history["repo"], history["commit"]
        if name in given:
            path = Path(given[name])
        elif args.mirrors:
            path = find_history(args.mirrors, name)
        else:
            parser.error(f"no clone of {name}: give --mirrors DIR or --repo {name}=PATH")
        if not has_commit(path, commit):
            print(f"train_task_words: {path} has no commit {commit} ({name}); fetch it first", file=sys.stderr)
            return 2
        histories.append((f"{name}@{commit[:10]}", labelled_subjects(path, None, commit)))
    table = build_table(histories, lock["model"])
    if args.check:
        same = args.out.is_file() and args.out.read_bytes() == table.encode("utf-8")
        print(f"{args.out}: {'the same, byte for byte' if same else 'DIFFERS from the rebuild'}")
        return 0 if same else 1
    args.out.write_bytes(table.encode("utf-8"))  # "\n" line ends on every platform
    features = sum(1 for line in table.splitlines() if not line.startswith("#")) - 2
    print(f"{features} features -> {args.out} ({args.out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
