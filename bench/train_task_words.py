"""Learn the classifier's word weights from conventional-commit histories.

    pip install scikit-learn      # training only; gearshift itself never imports it
    python bench/train_task_words.py --repo PATH [--repo PATH ...] [--out FILE]

Collects the feat/fix/refactor/docs/test subjects of each repository the way route_bench.py
does, fits a class-balanced logistic regression on the features of gearshift.classify
(a first-word marker, words and word pairs, present or absent), drops the features whose
weights stay small, and writes the weights, scaled to the rule scores' points, as
src/gearshift/data/task_words.tsv. Measure the result with route_bench.py on repositories
that were not in --repo: that is the figure that counts.
"""

from __future__ import annotations

import argparse
import subprocess
from collections import Counter
from pathlib import Path

from route_bench import labelled_subjects

from gearshift.classify import word_features

OUT = Path(__file__).resolve().parent.parent / "src" / "gearshift" / "data" / "task_words.tsv"
# One point of the word model is worth this many rule points; chosen on the training
# repositories by held-out repository (leave one out), not on the repositories reported.
POINTS = 6.0
KEEP_ABOVE = 0.2  # a feature whose largest weight is below this barely moves a decision


def head(repo: Path) -> str:
    out = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip() or "?"


def main() -> None:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", action="append", type=Path, required=True, help="a git repository (repeatable)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    pairs: list[tuple[str, str]] = []
    sources = []
    for repo in args.repo:
        found = labelled_subjects(repo, None)
        sources.append(f"{repo.resolve().parent.name if repo.name == 'repo' else repo.name}@{head(repo)}:{len(found)}")
        pairs += found
    texts = [text for text, _ in pairs]
    labels = [label for _, label in pairs]
    vectorizer = CountVectorizer(analyzer=word_features, min_df=3, binary=True)
    matrix = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=0.25, max_iter=5000, class_weight="balanced").fit(matrix, labels)
    classes = list(model.classes_)
    names = vectorizer.get_feature_names_out()
    weights = model.coef_.T  # one row a feature, one column a class
    kept = [(str(name), row) for name, row in zip(names, weights, strict=True) if abs(row).max() >= KEEP_ABOVE]
    lines = [
        f"# gearshift task words: logistic regression on {len(pairs)} commit subjects {dict(Counter(labels))}",
        f"# from {', '.join(sources)}; weights in rule points (x{POINTS:g}); bench/train_task_words.py",
        "feature\t" + "\t".join(classes),
        "(bias)\t" + "\t".join(f"{POINTS * b:.2f}" for b in model.intercept_),
        *(name + "\t" + "\t".join(f"{POINTS * w:.2f}" for w in row) for name, row in sorted(kept)),
    ]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(kept)} of {len(names)} features -> {args.out} ({args.out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
