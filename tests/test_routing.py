from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakeapi import FakeAPI, responses_reply
from hypothesis import given
from hypothesis import strategies as st

from gearshift.classify import (
    TASK_TYPES,
    TaskClassifier,
    WordWeights,
    default_word_weights,
    rules_from_settings,
    word_features,
)
from gearshift.context.facts import RepoFacts, repo_facts
from gearshift.effort import Effort
from gearshift.plan import Step
from gearshift.routing import apply_strategy, route, step_effort, step_security
from gearshift.settings import STRATEGIES, Settings
from gearshift.triage import chosen_phases, decide_route

classify = TaskClassifier.default().classify


def routed(task: str, facts: RepoFacts | None = None):  # type: ignore[no-untyped-def]
    return route(task, classify(task), facts)


@pytest.mark.parametrize(
    ("task", "task_type"),
    [
        ("Add JWT authentication with refresh tokens to the API", "implementation"),
        ("Fix typo in the CLI help text", "documentation"),
        ("Fix crash when the config file is empty", "bug_fix"),
        ("Write unit tests for the parser", "testing"),
        ("Refactor the storage layer and rename the helpers", "refactoring"),
        ("Design the architecture of the notification system", "architecture"),
        ("Review the payment module for security issues", "review"),
        ("Analyze the requirements for offline sync and write user stories", "requirements"),
    ],
)
def test_classification(task: str, task_type: str) -> None:
    result = classify(task)
    assert result.task_type == task_type
    assert result.reasons and task_type in result.reasons[0]


def test_no_evidence_means_implementation_and_says_so() -> None:
    result = classify("zorblax quuxification")
    assert result.task_type == "implementation"
    assert "no word points at a task type" in result.reasons[0]


def test_learned_words_decide_where_no_rule_matches_and_are_shown() -> None:
    rules_only = TaskClassifier().classify("dark mode")
    assert rules_only.scores["implementation"] == 0
    result = classify("dark mode")
    assert result.task_type == "implementation"
    assert result.reasons[0].startswith("implementation: learned 'mode' +")


def test_learned_words_add_to_the_rules() -> None:
    words = WordWeights.parse(
        "# a tiny table\nfeature\tbug_fix\timplementation\n(bias)\t0\t0\n^make\t0\t1\nflicker\t9\t0\n"
    )
    result = TaskClassifier(words=words).classify("Make the tooltip flicker less")
    assert (result.task_type, result.scores["bug_fix"], result.scores["implementation"]) == ("bug_fix", 9, 1)
    assert result.reasons == ["bug_fix: learned 'flicker' +9.0 (score 9.0)"]


def test_types_only_the_rules_know_are_not_outvoted_by_learned_words() -> None:
    words = WordWeights.parse("feature\timplementation\n(bias)\t50\ntweak\t1\n")
    classifier = TaskClassifier(words=words)
    assert classifier.classify("Design the architecture of the billing system").task_type == "architecture"
    assert classifier.classify("Tweak the architecture diagram").task_type == "architecture"
    assert classifier.classify("Tweak billing").task_type == "implementation"


def test_a_broken_word_table_is_refused() -> None:
    with pytest.raises(ValueError, match="not a task-words table"):
        WordWeights.parse("feature\tbug_fix\tpoetry\n(bias)\t0\t0\n")


def test_the_shipped_word_table_matches_the_features() -> None:
    words = default_word_weights()
    assert set(words.types) == {"implementation", "bug_fix", "refactoring", "documentation", "testing"}
    # articles are style, not the kind of work: left out of the words and pairs
    assert word_features("Fix the Login page") == ["^fix", "fix", "login", "page", "fix login", "login page"]
    assert {"^fix", "fix", "typo", "~typos", "~crash"} <= words.weights.keys()
    best = {feature: words.types[row.index(max(row))] for feature, row in words.weights.items()}
    assert (best["fix"], best["typo"], best["refactor"]) == ("bug_fix", "documentation", "refactoring")


def test_security_work_implements_its_security_steps_at_high_and_says_why() -> None:
    result = routed("Add JWT authentication with refresh tokens to the API")
    # per step, not per task (issue 14): the task's other steps implement at the matrix's level
    assert result.phases["implement"].effort is Effort.MEDIUM
    assert result.phases["implement"].reasons[-1] == (
        "implement at high for the steps that implement or change authentication, jwt, tokens"
        " (a critical security feature); the other steps at medium"
    )
    assert result.phases["plan"].effort is Effort.HIGH
    assert result.facts["security_words"] == ["authentication", "jwt", "tokens"]


def test_a_trivial_task_plans_low_with_one_step() -> None:
    result = routed("Fix typo in the CLI help text")
    assert (result.phases["plan"].effort, result.phases["implement"].effort) == (Effort.LOW, Effort.LOW)
    assert result.facts["trivial"] is True
    assert any("a trivial change (typo): a one-step plan" in r for r in result.phases["plan"].reasons)


def test_a_complex_bug_gets_high() -> None:
    simple = routed("Fix the wrong label on the save button")
    assert simple.phases["plan"].effort is Effort.MEDIUM
    hard = routed("Fix a race condition in the job queue")
    assert (hard.phases["plan"].effort, hard.phases["implement"].effort) == (Effort.HIGH, Effort.HIGH)
    assert "a complex bug (race, race condition)" in hard.phases["implement"].reasons[0]


def test_a_known_pattern_plans_at_medium() -> None:
    result = routed("Add a /health endpoint like the existing /version one")
    assert result.phases["plan"].effort is Effort.MEDIUM
    assert "an existing pattern to follow (like the existing)" in result.phases["plan"].reasons[0]


def test_uncharted_territory_implements_at_high() -> None:
    assert routed("Prototype a WebGPU renderer").phases["implement"].effort is Effort.HIGH


def test_a_large_coupled_codebase_plans_at_xhigh() -> None:
    big = RepoFacts(files=900, code_files=800, lines_of_code=150_000, modules=800, import_edges=2400, area_reach=90)
    result = routed("Add caching to the query planner", big)
    assert result.phases["plan"].effort is Effort.XHIGH
    assert (
        "a large codebase (800 code files, 150,000 lines) with cross-module dependencies"
        in result.phases["plan"].reasons[0]
    )
    small = RepoFacts(files=20, code_files=10, lines_of_code=900, modules=10, import_edges=30, area_reach=9)
    assert routed("Add caching to the query planner", small).phases["plan"].effort is Effort.HIGH


def test_the_json_shape_is_the_contract() -> None:
    data = routed("Add a --json flag").to_json()
    assert set(data) == {"task_type", "phases", "facts"}
    assert data["task_type"] in TASK_TYPES
    assert set(data["phases"]) == {"plan", "implement", "fix", "review"}
    for phase in data["phases"].values():
        assert set(phase) == {"effort", "reasons"}
        assert phase["reasons"]


def test_a_fixed_strategy_says_what_it_overrode() -> None:
    result = routed("Add OAuth login")
    chosen = apply_strategy(result, STRATEGIES["high-medium-high"], "high-medium-high")
    assert chosen["implement"].effort is Effort.MEDIUM
    assert (
        chosen["implement"]
        .reasons[0]
        .startswith(
            "implement at medium: strategy high-medium-high, overriding the route (implement at high for the steps"
            " that implement or change login, oauth"
        )
    )
    assert chosen["plan"].reasons[0] == "plan at high: strategy high-medium-high"


def test_per_phase_settings_go_on_top(tmp_path: Path) -> None:
    settings = Settings.model_validate({"strategy": "auto", "phases": {"review": {"effort": "xhigh"}}})
    phases = chosen_phases(decide_route("Add a --json flag", None, settings), settings)
    assert phases["review"].effort is Effort.XHIGH
    assert phases["review"].reasons[0] == "review at xhigh: set in the settings (phases.review.effort)"


def plan_step(security_critical: bool = False, ambiguities: tuple[str, ...] = ()) -> Step:
    return Step(
        id=1,
        title="Add mul",
        description="Add mul(a, b).",
        files=["calc.py"],
        acceptance=[],
        kind="implementation",
        security_critical=security_critical,
        ambiguities=list(ambiguities),
    )


def test_step_efforts() -> None:
    assert step_effort(Effort.MEDIUM, plan_step(True), auto=True, strategy="auto") == (
        Effort.HIGH,
        "implement at high: the step is security critical",
    )
    effort, why = step_effort(Effort.MEDIUM, plan_step(ambiguities=("which hash?",)), auto=True, strategy="auto")
    assert (effort, why) == (Effort.HIGH, "implement at high: the step has 1 ambiguity to interpret (which hash?)")
    effort, why = step_effort(Effort.MEDIUM, plan_step(True), auto=False, strategy="high-medium-high")
    assert effort is Effort.MEDIUM
    assert "the route would use high, as the step is security critical" in why
    assert step_effort(Effort.MEDIUM, plan_step(), auto=True, strategy="auto")[0] is Effort.MEDIUM


def test_settings_override_the_matrix_keywords_and_thresholds() -> None:
    settings = Settings.model_validate(
        {
            "routing": {
                "keywords": {"testing": ["qa pass"]},
                "matrix": {"testing": {"implement": "medium"}},
                "security_words": ["tenant isolation"],
                "thresholds": {"large_files": 5, "large_lines": 10, "coupled_degree": 0.1, "coupled_reach": 1},
            }
        }
    )
    result = decide_route("Do a QA pass on the cart page", None, settings)
    assert result.task_type == "testing"
    assert result.phases["implement"].effort is Effort.MEDIUM
    tenants = decide_route("Enforce tenant isolation", None, settings)
    assert tenants.security_words == ["tenant isolation"]
    assert tenants.phases["plan"].effort is Effort.HIGH
    assert step_security(plan_step().model_copy(update={"title": "Enforce tenant isolation"}), tenants.security_words)
    assert next(r.pattern for r in rules_from_settings({"review": ["sanity check"]})) == "sanity\\ check"


def test_unknown_task_types_in_settings_are_refused() -> None:
    from gearshift.errors import ConfigError
    from gearshift.settings import load_settings

    with pytest.raises(ConfigError, match="unknown task type 'chores'"):
        load_settings(environ={}, flags={"routing.matrix": {"chores": {"plan": "low"}}})


@given(st.text(max_size=200))
def test_any_task_gets_a_route_with_reasons(task: str) -> None:
    data = routed(task).to_json()
    assert data["task_type"] in TASK_TYPES
    assert all(p["reasons"] for p in data["phases"].values())


def test_repo_facts_count_languages_and_imports(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "auth.py").write_text("from pkg import tokens\nimport pkg.store\n")
    (tmp_path / "pkg" / "tokens.py").write_text("from .store import save\n")
    (tmp_path / "pkg" / "store.py").write_text("x = 1\n")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "app.ts").write_text("import { a } from './util'\nimport x from 'react'\n")
    (tmp_path / "web" / "util.ts").write_text("export const a = 1\n")
    (tmp_path / ".env").write_text("SECRET=1\n")
    facts = repo_facts(tmp_path, "Fix token auth", cache_dir=tmp_path.parent / f"{tmp_path.name}-cache")
    assert facts.languages == {"python": {"files": 4, "lines": 4}, "typescript": {"files": 2, "lines": 3}}
    # auth -> pkg/__init__, auth -> tokens, auth -> store, tokens -> store, app -> util
    assert facts.import_edges == 5
    assert facts.area[:2] == ["pkg/auth.py", "pkg/tokens.py"]
    assert facts.area_reach == 4
    again = repo_facts(tmp_path, "Fix token auth", cache_dir=tmp_path.parent / f"{tmp_path.name}-cache")
    assert again.to_json() == facts.to_json()


def test_route_cli_json_batch_and_model(
    cli, fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    text = cli("route", "Add JWT authentication with refresh tokens to the API")
    assert text.exit_code == 0, text.stderr
    assert "implement at high for the steps that implement or change authentication" in text.stdout
    assert "run will plan at high; implement at medium" in text.stdout
    one = json.loads(cli("route", "Fix typo in the CLI help text", "--json").stdout)
    assert one["task_type"] == "documentation"
    assert one["phases"]["plan"]["effort"] == "low"
    fixed = json.loads(cli("route", "Add OAuth login", "--json", "--strategy", "high").stdout)
    assert fixed["phases"]["implement"]["effort"] == "high"
    assert fixed["phases"]["review"]["reasons"][0].startswith("review at high: strategy high")

    tasks = tmp_path / "tasks.txt"
    tasks.write_text("Fix typo in README\n\nAdd OAuth login\n")
    lines = cli("route", "--batch", str(tasks)).stdout.splitlines()
    assert [json.loads(line)["task"] for line in lines] == ["Fix typo in README", "Add OAuth login"]
    from_stdin = cli("route", "--batch", "-", stdin="Write tests for the parser\n").stdout
    assert json.loads(from_stdin)["task_type"] == "testing"

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    fake_api.push(responses_reply(json.dumps({"task_type": "review", "reasons": ["'audit' asks for a review"]})))
    modelled = cli("route", "Look over the cache code", "--json", "--classifier", "model", "--base-url", fake_api.url)
    assert modelled.exit_code == 0, modelled.stderr
    assert json.loads(modelled.stdout)["task_type"] == "review"
    sent = fake_api.seen[0].body
    assert (sent["text"]["format"]["name"], sent["reasoning"]["effort"]) == ("classify", "low")
    [call] = json.loads(cli("calls", "--json").stdout)
    assert (call["phase"], call["effort_requested"]) == ("classify", "low")
    assert cli("route").exit_code == 2
