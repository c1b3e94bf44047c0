"""The learned model's trainer (bench/train_task_words.py), its lock, the task patterns and the rule priors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gearshift.classify import (
    DEFAULT_RULES,
    RULE_ONLY_TYPES,
    RULE_PRIORS,
    TaskClassifier,
    default_word_weights,
    parse_patterns,
    parse_rule_priors,
    rules_from_settings,
    task_features,
    task_patterns,
)

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
    assert lock["model"]["features"] == "gearshift.classify.task_features"
    assert train_task_words.patterns_problem(lock["model"]) is None  # the shipped patterns are the pinned ones
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


def test_other_task_patterns_are_refused_in_one_line(tmp_path: Path) -> None:
    lock = json.loads(train_task_words.LOCK.read_text(encoding="utf-8"))
    changed = tmp_path / "task_patterns.tsv"
    changed.write_text(train_task_words.PATTERNS.read_text(encoding="utf-8") + "hotfix\thotfix\n", encoding="utf-8")
    problem = train_task_words.patterns_problem(lock["model"], changed)
    assert problem is not None and "\n" not in problem and "retrain" in problem


def test_each_subject_also_comes_with_its_types_verb() -> None:
    model = json.loads(train_task_words.LOCK.read_text(encoding="utf-8"))["model"]
    pairs = [("crash when empty", "bug_fix"), ("fix typo", "documentation"), ("fixes the parser", "bug_fix")]
    texts, labels, weights = train_task_words.training_set(pairs, model)
    assert texts == [*(text for text, _ in pairs), "fix crash when empty", "document fix typo"]
    assert labels == ["bug_fix", "documentation", "bug_fix", "bug_fix", "documentation"]
    power, verb = model["class_weight_power"], model["verb_examples"]["weight"]
    assert weights[0] == pytest.approx((3 / (2 * 2)) ** power) and weights[1] == pytest.approx((3 / 2) ** power)
    assert weights[3] == pytest.approx(verb * weights[0])


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
    assert any(line.startswith("~") for line in words[4:])  # the patterns' weights are learned with the words'


def test_one_model_the_patterns_are_features_without_weights() -> None:
    assert DEFAULT_RULES == RULE_PRIORS  # no hand-set weights for the types the histories label
    names = {name for name, _ in task_patterns()}
    assert len(names) > 150
    learned = {feature[1:] for feature in default_word_weights().weights if feature.startswith("~")}
    assert learned and learned <= names
    assert {"~crash", "~fix", "fix", "crashes", "^fix"} <= set(task_features("Fix the crashes"))
    with pytest.raises(ValueError, match="not a task-patterns table"):
        parse_patterns("name\tweight\tpattern\ncrash\t4\tcrash\\w*\n")
    with pytest.raises(ValueError, match="not a task pattern"):
        parse_patterns("name\tpattern\nCrash!\tcrash\n")


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


@pytest.mark.parametrize(
    ("task", "task_type"),
    [
        ("Document the architecture of the plugin system", "documentation"),  # a mention: the learned weights are sure
        ("Review the docs of the CLI", "review"),  # the task's verb
        ("Fix the crash in the code review panel", "bug_fix"),
    ],
)
def test_a_prior_decides_at_the_tasks_start_or_when_the_learned_weights_are_unsure(task: str, task_type: str) -> None:
    assert TaskClassifier.default().classify(task).task_type == task_type


def test_the_users_words_are_not_outvoted_by_the_learned_weights() -> None:
    classifier = TaskClassifier.default(rules_from_settings({"review": ["sanity check"], "testing": ["qa pass"]}))
    assert classifier.classify("Fix the typos in the readme docs, then sanity check them").task_type == "review"
    result = classifier.classify("Do a qa pass on the docs typo fix")
    assert result.task_type == "testing" and result.reasons[0].startswith("testing: 'qa pass'; learned ")
