"""The word weights' trainer (bench/train_task_words.py), its lock, and the rule priors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gearshift.classify import RULE_ONLY_TYPES, RULE_PRIORS, TaskClassifier, parse_rule_priors

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import train_task_words  # noqa: E402


def test_the_lock_pins_every_history_and_the_libraries() -> None:
    lock = json.loads(train_task_words.LOCK.read_text(encoding="utf-8"))
    assert len(lock["histories"]) == 11
    for entry in lock["histories"] + lock["held_out"]:
        assert entry["url"] == f"https://github.com/{entry['repo']}"
        assert len(entry["commit"]) == 40
    trained = {entry["repo"] for entry in lock["histories"]}
    assert trained.isdisjoint(entry["repo"] for entry in lock["held_out"])
    assert set(lock["libraries"]) == {"scikit-learn", "numpy", "scipy"}
    # the shipped table names the same histories at the same commits
    header = (BENCH.parent / "src/gearshift/data/task_words.tsv").read_text(encoding="utf-8").splitlines()[1]
    for entry in lock["histories"]:
        assert f"{entry['repo']}@{entry['commit'][:10]}:" in header


def test_other_library_versions_are_refused_in_one_line() -> None:
    pinned = {"numpy": "2.4.6", "scikit-learn": "1.9.1", "scipy": "1.17.1"}
    installed = {"numpy": "2.4.6", "scikit-learn": "1.8.0"}.get
    problem = train_task_words.version_problem(pinned, installed)
    assert problem is not None and "\n" not in problem
    assert "scikit-learn 1.8.0 (lock: 1.9.1)" in problem
    assert "scipy not installed (lock: 1.17.1)" in problem
    assert "numpy" not in problem.split(":")[1].split(";")[0]
    assert train_task_words.version_problem(pinned, pinned.get) is None


def test_the_trainer_stops_before_training_when_the_versions_differ(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / "lock.json"
    lock.write_text(json.dumps({"libraries": {"scikit-learn": "0.0.1"}, "histories": [], "model": {}}))
    assert train_task_words.main(["--lock", str(lock), "--out", str(tmp_path / "out.tsv")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "lock: 0.0.1" in err
    assert not (tmp_path / "out.tsv").exists()


def _history(path: Path, subjects: list[str]) -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True, text=True).stdout

    path.mkdir(parents=True)
    git("init", "-q")
    for subject in subjects:
        git(
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            subject,
        )
    return git("rev-parse", "HEAD").strip()


SUBJECTS = [
    "feat: add a {} option to the cli",
    "fix: crash when the {} file is empty",
    "docs: fix typo in the {} guide",
    "test: add tests for the {} parser",
    "refactor: rename the {} helpers",
]


def test_the_trainer_rebuilds_the_same_bytes_from_a_lock(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    lock = json.loads(train_task_words.LOCK.read_text(encoding="utf-8"))
    histories = []
    for name, words in (("a/one", ["alpha", "beta", "gamma", "delta"]), ("b/two", ["red", "green", "blue"])):
        subjects = [s.format(w) for w in words for s in SUBJECTS]
        histories.append({"repo": name, "commit": _history(tmp_path / "mirrors" / name.replace("/", "+"), subjects)})
    installed = {name: train_task_words.installed_version(name) for name in lock["libraries"]}
    small = {"libraries": installed, "histories": histories, "model": {**lock["model"], "min_df": 2}}
    (tmp_path / "lock.json").write_text(json.dumps(small))
    outs = [tmp_path / "first.tsv", tmp_path / "second.tsv"]
    for out in outs:
        args = ["--lock", str(tmp_path / "lock.json"), "--mirrors", str(tmp_path / "mirrors"), "--out", str(out)]
        assert train_task_words.main(args) == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert train_task_words.main([*args, "--check"]) == 0
    text = outs[0].read_text()
    assert "a/one@" in text and "-0.00\t" not in text and "\t-0.00\n" not in text
    words = text.splitlines()
    assert words[2].split("\t") == ["feature", "bug_fix", "documentation", "implementation", "refactoring", "testing"]
    assert words[4:] == sorted(words[4:])


def test_the_rule_priors_are_only_for_the_types_no_history_labels() -> None:
    assert {rule.task_type for rule in RULE_PRIORS} == set(RULE_ONLY_TYPES)
    with pytest.raises(ValueError, match="not a rule prior"):
        parse_rule_priors("type\tweight\tpattern\nbug_fix\t4\tfix\\w*\n")
    with pytest.raises(ValueError, match="not a rule-priors table"):
        parse_rule_priors("kind\tweight\n")


@pytest.mark.parametrize(
    ("task", "task_type"),
    [
        ("Design a high-level design for the billing microservices", "architecture"),
        ("Write the acceptance criteria for the export feature", "requirements"),
        ("Audit the dependency licences", "review"),
        ("Assess the error handling of the importer", "review"),
        ("Gather user stories for the mobile app", "requirements"),
    ],
)
def test_the_rule_prior_types_are_classified(task: str, task_type: str) -> None:
    result = TaskClassifier.default().classify(task)
    assert result.task_type == task_type
    assert result.reasons[0].startswith(f"{task_type}: '")
