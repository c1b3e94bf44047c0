"""Rebuild the classifier's learned weights, byte for byte, from the histories in the lock.

    pip install scikit-learn==1.9.1 numpy==2.4.6 scipy==1.17.1   # the lock's versions; training only
    python bench/train_task_words.py --mirrors DIR [--lock FILE] [--out FILE] [--check]
    python bench/train_task_words.py --repo owner/name=PATH ... [--lock FILE]
    python bench/train_task_words.py --mirrors DIR --cross-validate   # leave one history out

bench/task_words.lock.json pins what the weights are made of: each training history (its URL and
the commit whose history is read), the model's settings, the sha256 of the task patterns
(src/gearshift/data/task_patterns.tsv) and the versions of scikit-learn, numpy and scipy; the script
refuses to run, in one line, when the installed versions or the patterns differ. It fetches nothing:
give it a directory of clones (--mirrors DIR: DIR/owner+name/repo, DIR/owner+name or DIR/name, bare
or not) or each clone with --repo. It collects the feat/fix/refactor/docs/test subjects of each
history at its pinned commit the way route_bench.py does and fits one logistic regression on the
features of gearshift.classify.task_features (a first-word marker, words, word pairs and the task
patterns, present or absent). A subject is a commit's text with its type stripped; a task says its
verb, so each subject also comes once more with its type's verb in front ("fix", "refactor",
"document", "test", "implement"; the lock's verb_examples, at a small weight). Classes are weighted
by (subjects / (types x subjects of the class)) ** class_weight_power. Features whose weights all stay
small (below keep_above, in logits) are dropped; the weights are written scaled to points (the lock's
scale), sorted, at fixed precision, as src/gearshift/data/task_words.tsv. --check rebuilds into
memory and says whether the shipped table is the same, byte for byte. --cross-validate trains on all
histories but one and prints the macro-F1 on the one left out, for each: how the settings were chosen.
Measure the result with route_bench.py on repositories that were not trained on (the lock's
"held_out", route_bench.py --held-out --mirrors DIR): that is the figure that counts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from route_bench import labelled_subjects

from gearshift.classify import task_features

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "gearshift" / "data" / "task_words.tsv"
LOCK = Path(__file__).resolve().parent / "task_words.lock.json"
PATTERNS = ROOT / "src" / "gearshift" / "data" / "task_patterns.tsv"


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


def patterns_problem(model: Mapping[str, Any], patterns: Path = PATTERNS) -> str | None:
    """One line when the task patterns are not the ones the lock pins, or None."""
    digest = hashlib.sha256(patterns.read_bytes()).hexdigest()
    if digest == model.get("patterns_sha256"):
        return None
    pinned = str(model.get("patterns_sha256"))[:12]
    return f"{patterns.name} has sha256 {digest[:12]}..., the lock pins {pinned}...: retrain, then pin it"


def training_set(
    pairs: Sequence[tuple[str, str]], model: Mapping[str, Any]
) -> tuple[list[str], list[str], list[float]]:
    """Texts, labels and sample weights: each subject, then each subject with its type's verb in front."""
    counts = Counter(label for _, label in pairs)
    power = float(model["class_weight_power"])
    class_weight = {label: (len(pairs) / (len(counts) * n)) ** power for label, n in counts.items()}
    verbs, verb_weight = model["verb_examples"]["verbs"], float(model["verb_examples"]["weight"])
    said = [(f"{verbs[label]} {text}", label) for text, label in pairs if not text.lower().startswith(verbs[label])]
    texts = [text for text, _ in pairs] + [text for text, _ in said]
    labels = [label for _, label in pairs] + [label for _, label in said]
    weights = [class_weight[label] for _, label in pairs] + [verb_weight * class_weight[label] for _, label in said]
    return texts, labels, weights


def fit(pairs: Sequence[tuple[str, str]], model: Mapping[str, Any]) -> tuple[list[str], list[str], Any, Any]:
    """Classes, feature names, weights (features x classes) and biases, in logits; the same input, the same floats."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    texts, labels, weights = training_set(pairs, model)
    vectorizer = CountVectorizer(analyzer=task_features, min_df=model["min_df"], binary=True)
    matrix = vectorizer.fit_transform(texts)
    regression = LogisticRegression(C=model["C"], max_iter=model["max_iter"], random_state=0)
    with threadpool_limits(limits=1):  # one thread: sums in one order, so the same floats every time
        regression.fit(matrix, labels, sample_weight=weights)
    names = [str(name) for name in vectorizer.get_feature_names_out()]
    return [str(c) for c in regression.classes_], names, regression.coef_.T, regression.intercept_


def build_table(histories: Sequence[tuple[str, list[tuple[str, str]]]], model: Mapping[str, Any]) -> str:
    """The weights table for these (source, labelled subjects) histories: the same input gives the same bytes."""
    pairs = [pair for _, found in histories for pair in found]
    classes, names, weights, bias = fit(pairs, model)
    places, scale = int(model["decimals"]), float(model["scale"])

    def number(value: float) -> str:
        text = f"{scale * value:.{places}f}"
        return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.000"

    kept = sorted(
        (name, row) for name, row in zip(names, weights, strict=True) if abs(row).max() >= model["keep_above"]
    )
    counts = Counter(label for _, label in pairs)
    lines = [
        f"# gearshift task words: logistic regression on {len(pairs)} commit subjects "
        + str({label: counts[label] for label in sorted(counts)})
        + f", each also with its type's verb in front (weight {model['verb_examples']['weight']:g})",
        f"# from {', '.join(f'{source}:{len(found)}' for source, found in histories)}; weights in points"
        f" (logits x{scale:g}); features: words, word pairs, ~patterns (task_patterns.tsv);"
        " bench/train_task_words.py with bench/task_words.lock.json",
        "feature\t" + "\t".join(classes),
        "(bias)\t" + "\t".join(number(b) for b in bias),
        *(name + "\t" + "\t".join(number(w) for w in row) for name, row in kept),
    ]
    return "\n".join(lines) + "\n"


def cross_validate(histories: Sequence[tuple[str, list[tuple[str, str]]]], model: Mapping[str, Any]) -> float:
    """Train on all histories but one, score the one left out (macro-F1, the kept weights); print each and the mean."""
    import numpy as np
    from route_bench import LABELS, macro_f1

    scores = []
    for source, held in histories:
        classes, names, weights, bias = fit(
            [pair for other, found in histories if other != source for pair in found], model
        )
        table = {name: row for name, row in zip(names, weights, strict=True) if abs(row).max() >= model["keep_above"]}
        predicted = []
        for text, _ in held:
            total = bias + sum((table[f] for f in set(task_features(text)) if f in table), np.zeros(len(classes)))
            predicted.append(classes[int(np.argmax(total))])
        scores.append(macro_f1([label for _, label in held], predicted, list(LABELS.values())))
        print(f"  {source} left out: macro-F1 {scores[-1]:.3f}", flush=True)
    mean = sum(scores) / len(scores)
    print(f"leave one history out: mean macro-F1 {mean:.3f}")
    return mean


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lock", type=Path, default=LOCK)
    parser.add_argument("--mirrors", type=Path, help="a directory of clones (DIR/owner+name/repo, DIR/owner+name)")
    parser.add_argument("--repo", action="append", default=[], help="owner/name=PATH, a clone (repeatable)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="only say whether --out is what the lock rebuilds")
    parser.add_argument("--cross-validate", action="store_true", help="leave each history out once; write nothing")
    args = parser.parse_args(argv)
    lock = json.loads(args.lock.read_text(encoding="utf-8"))
    if problem := version_problem(lock["libraries"]) or patterns_problem(lock["model"]):
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
    if args.cross_validate:
        cross_validate(histories, lock["model"])
        return 0
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
