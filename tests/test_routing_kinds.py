"""The decision matrix as the seed means it, on the three kinds of task the held-out cases missed:
small, single-place work; work that only mentions a security area; structural changes. And
security work, escalated per step rather than per task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gearshift.classify import TaskClassifier
from gearshift.context.facts import RepoFacts
from gearshift.effort import Effort
from gearshift.plan import Step
from gearshift.routing import Route, route, security_words_in, step_effort, step_security
from gearshift.settings import Settings
from gearshift.triage import chosen_phases, decide_route, run_summary, strategy_source

classify = TaskClassifier.default().classify
LOW, MEDIUM, HIGH, XHIGH = Effort.LOW, Effort.MEDIUM, Effort.HIGH, Effort.XHIGH
HELD_OUT = Path(__file__).parent / "data" / "routing_heldout.jsonl"


def routed(task: str, facts: RepoFacts | None = None) -> Route:
    return route(task, classify(task), facts)


SMALL = [
    "Write a simple debounce function",
    "Add a helper that clamps a number between a minimum and a maximum",
    "Add a --verbose flag to the export command",
    "Add a method to the Order class that returns the total price",
    "Add an option to skip hidden files when listing a directory",
    "Implement a throttle helper for scroll events",
    "Add a retry parameter to fetch_json()",
]


@pytest.mark.parametrize("task", SMALL)
def test_small_single_place_work_plans_at_medium_or_lower(task: str) -> None:
    result = routed(task)
    assert result.phases["plan"].effort.rank <= MEDIUM.rank
    assert result.phases["implement"].effort.rank <= MEDIUM.rank
    assert result.facts["small"]


def test_the_seeds_debounce_says_why_it_plans_at_medium() -> None:
    result = routed("Write a simple debounce function")
    assert result.phases["plan"].reasons == [
        "plan at medium: a small, single-place change (a simple debounce function): a straightforward plan"
    ]
    assert result.phases["implement"].effort is MEDIUM


@pytest.mark.parametrize(
    "task",
    [
        "Add a word-frequency report: a top_words(text, n) function and a --top N option",  # two places
        "Add a simple REST API for orders",  # an API is not one place
        "Design a simple notification system",  # architecture stays high
        "Add a simple password strength check function",  # security work is never planned down
        "Extract the date helper into its own module",  # structural
    ],
)
def test_small_words_do_not_plan_wide_or_security_work_down(task: str) -> None:
    assert routed(task).phases["plan"].effort.rank >= HIGH.rank


MENTIONS = [
    ("Write tests for the checkout flow", "checkout"),
    ("Refactor the payment module to use dependency injection", "payment"),
    ("Document how to configure OAuth in the README", "oauth"),
    ("Add unit tests for the login form validation", "login"),
    ("Refactor the auth middleware into smaller functions", "auth"),
    ("Add end-to-end tests for the Stripe webhook handler", "stripe"),
    ("Review the session handling code for readability", "session"),
]


@pytest.mark.parametrize(("task", "area"), MENTIONS)
def test_work_that_mentions_a_security_area_keeps_the_matrix(task: str, area: str) -> None:
    result = routed(task)
    assert result.facts["security_words"] == []
    assert area in result.facts["security_area_words"]
    assert result.phases["implement"].effort.rank <= MEDIUM.rank
    assert not any("security work" in r for p in result.phases.values() for r in p.reasons)


def test_a_mention_says_it_is_not_security_work() -> None:
    result = routed("Write tests for the checkout flow")
    assert (result.phases["plan"].effort, result.phases["implement"].effort) == (MEDIUM, LOW)
    assert result.phases["implement"].reasons[-1] == (
        "implement at low: the task mentions checkout but implements or changes no security mechanism (testing);"
        " a step the plan marks security critical goes to high"
    )


@pytest.mark.parametrize(
    "task",
    [
        "Count tokens per phase in the report",
        "Add a hash map cache for parsed files",
        "Change the color of the login button",
        "Show each function signature in the map",
        "Keep the REPL session history between runs",
    ],
)
def test_words_with_another_meaning_are_not_security(task: str) -> None:
    assert security_words_in(task) == []
    assert routed(task).facts["security_words"] == []


STRUCTURAL = [
    "Split the order service into separate inventory and billing services",
    "Extract the notification code into its own package",
    "Re-architect the job scheduler around an event queue",
    "Break the monolith into microservices",
    "Move the database access code into a separate repository layer",
    "Restructure the project into a core library and a CLI package",
    "Decouple the renderer from the document model",
]


@pytest.mark.parametrize("task", STRUCTURAL)
def test_structural_changes_plan_at_high_or_xhigh(task: str) -> None:
    result = routed(task)
    assert result.phases["plan"].effort.rank >= HIGH.rank
    assert result.phases["review"].effort.rank >= HIGH.rank
    assert result.phases["implement"].effort is MEDIUM
    assert result.facts["structural"]


def test_a_structural_change_says_so_and_goes_to_xhigh_in_a_large_codebase() -> None:
    task = "Split the order service into separate inventory and billing services"
    result = routed(task)
    plan = result.phases["plan"].reasons
    assert any(r.startswith("plan at high: a structural change (Split the order") for r in plan)
    assert result.facts["security_words"] == []  # billing is an area: the split changes no security mechanism
    large = RepoFacts(files=900, code_files=800, lines_of_code=150_000, modules=800, import_edges=900, area_reach=12)
    assert routed(task, large).phases["plan"].effort is XHIGH


def test_a_large_coupled_codebase_does_not_plan_small_or_trivial_work_at_xhigh() -> None:
    big = RepoFacts(files=900, code_files=800, lines_of_code=150_000, modules=800, import_edges=2400, area_reach=90)
    assert routed("Write a simple debounce function", big).phases["plan"].effort is MEDIUM
    assert routed("Fix typo in the CLI help text", big).phases["plan"].effort is LOW


MECHANISMS = [
    ("Add JWT authentication to the API", ["authentication", "jwt"]),
    ("Hash passwords with bcrypt instead of storing them in plain text", ["passwords", "hash", "bcrypt"]),
    ("Add rate limiting to the login endpoint", ["login", "rate limiting"]),
    ("Enforce role-based access control on the admin routes", ["role-based", "access control"]),
    ("Rotate refresh tokens on every use", ["tokens"]),
    ("Fix the CSRF check that accepts tokens from other sessions", ["tokens", "sessions", "csrf"]),
    ("Migrate password hashing from md5 to argon2", ["password", "hashing", "argon2"]),
]


@pytest.mark.parametrize(("task", "words"), MECHANISMS)
def test_security_mechanisms_plan_and_review_high_and_escalate_their_steps(task: str, words: list[str]) -> None:
    result = routed(task)
    assert result.facts["security_words"] == words
    assert (result.phases["plan"].effort, result.phases["review"].effort) == (HIGH, HIGH)
    assert result.phases["implement"].effort is MEDIUM
    assert result.phases["implement"].reasons[-1].startswith("implement at high for the steps that implement or change")


def step(**given: object) -> Step:
    fields: dict[str, object] = {
        "id": 1,
        "title": "Add mul",
        "description": "Add mul(a, b).",
        "files": ["calc.py"],
        "acceptance": [],
        "kind": "implementation",
        "security_critical": False,
        "ambiguities": [],
    }
    return Step.model_validate(fields | given)


def test_a_step_is_security_work_by_its_flag_kind_text_or_files_but_never_docs_or_tests() -> None:
    assert step_security(step(security_critical=True)) == "the step is security critical"
    assert step_security(step(kind="security")) == "the step is security work (kind security)"
    assert step_security(step(title="Hash passwords with bcrypt")) == (
        "the step implements or changes passwords, hash, bcrypt"
    )
    assert step_security(step(files=["app/auth/jwt.py"])) == "the step changes security code (app/auth/jwt.py)"
    assert step_security(step()) is None
    readme = step(title="Document JWT login", description="Explain tokens.", files=["README.md"], kind="documentation")
    assert step_security(readme) is None
    code_docs = step(title="Describe the JWT login in the README", files=["README.md", "docs/auth.md"])
    assert step_security(code_docs) is None
    tests = step(title="Test token refresh", files=["tests/test_auth.py"], kind="testing")
    assert step_security(tests) is None
    assert step_security(step(title="Enforce tenant isolation"), ["tenant isolation"]) is not None


def test_step_efforts_follow_the_route_per_step() -> None:
    readme = step(title="Document JWT login in the README", files=["README.md"], kind="documentation")
    assert step_effort(MEDIUM, readme, auto=True, strategy="auto") == (
        MEDIUM,
        "implement at medium: the run's implement effort (auto)",
    )
    hashing = step(title="Hash passwords with bcrypt", files=["app/users.py"])
    assert step_effort(MEDIUM, hashing, auto=True, strategy="auto") == (
        HIGH,
        "implement at high: the step implements or changes passwords, hash, bcrypt",
    )
    effort, why = step_effort(MEDIUM, hashing, auto=False, strategy="high-medium-high")
    assert (effort, why) == (
        MEDIUM,
        "implement at medium: strategy high-medium-high implements every step at medium; the route would use high,"
        " as the step implements or changes passwords, hash, bcrypt: to follow the route, run with --strategy auto",
    )


def test_a_step_with_an_open_question_says_what_to_do() -> None:
    unclear = step(ambiguities=["Which hash: bcrypt or argon2?", "Cost factor?"])
    effort, why = step_effort(MEDIUM, unclear, auto=False, strategy="high-medium-high")
    assert effort is MEDIUM
    assert why == (
        "implement at medium: strategy high-medium-high implements every step at medium; the route would use high,"
        " as the step has 2 ambiguities to interpret (Which hash: bcrypt or argon2?): answer it in plan.md, or run"
        " with --strategy auto"
    )
    assert step_effort(HIGH, unclear, auto=False, strategy="high")[1].startswith(
        "implement at high: the run's implement effort (high); the step has 2 ambiguities"
    )


def test_strategy_sources_read_as_sentences(tmp_path: Path) -> None:
    assert strategy_source("default") == "the default"
    assert strategy_source("flag") == "set by --strategy"
    assert strategy_source("env GEARSHIFT_STRATEGY") == "set by GEARSHIFT_STRATEGY"
    assert strategy_source(str(tmp_path / "gearshift.toml"), tmp_path) == "set in gearshift.toml"


def summary(task: str, strategy: str, where: str | None = None, **settings: object) -> str:
    loaded = Settings.model_validate({"strategy": strategy, **settings})
    decided = decide_route(task, None, loaded)
    return run_summary(decided, chosen_phases(decided, loaded), strategy, where)


def test_route_says_what_run_will_do_under_auto() -> None:
    assert summary("Add JWT authentication to the API", "auto", "the default") == (
        "run will plan at high; implement at medium, and at high the steps that implement or change authentication"
        " or jwt; fix at medium then high; review at high (strategy auto, the default)"
    )
    assert summary("Fix typo in README", "auto") == (
        "run will plan at low; implement at low; fix at low then high; review at medium (strategy auto)"
    )


def test_route_says_what_a_fixed_strategy_overrides_and_where_it_was_set() -> None:
    assert summary("Add JWT authentication to the API", "high-medium-high", "set in gearshift.toml") == (
        "run will plan at high; implement at medium; fix at medium then high; review at high (strategy"
        " high-medium-high, set in gearshift.toml; the route would implement at high the steps that implement or"
        " change authentication or jwt: --strategy auto follows it)"
    )
    assert summary("Fix typo in README", "high-medium-high", "the default") == (
        "run will plan at high; implement at medium; fix at medium then high; review at high (strategy"
        " high-medium-high, the default; the route would plan at low, implement at low, fix at low, review at"
        " medium: --strategy auto follows it)"
    )
    assert summary("Add mul and sub to calc", "high-medium-high").endswith("; the route agrees)")
    pinned = summary("Add mul and sub to calc", "auto", phases={"review": {"effort": "xhigh"}})
    assert "review at xhigh (phases.review.effort)" in pinned


def test_the_held_out_batch_is_in_the_seeds_range(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    cases = [json.loads(line) for line in HELD_OUT.read_text().splitlines() if line.strip()]
    assert {kind: sum(c["kind"] == kind for c in cases) for kind in ("small", "mention", "structural")} == {
        "small": 8,
        "mention": 8,
        "structural": 8,
    }
    monkeypatch.chdir(tmp_path)  # no repository: the route reads the task alone
    out = cli("route", "--batch", "-", stdin="\n".join(c["task"] for c in cases) + "\n")
    assert out.exit_code == 0, out.stderr
    results = [json.loads(line) for line in out.stdout.splitlines()]
    misses = [
        (case["task"], phase, result["phases"][phase]["effort"])
        for case, result in zip(cases, results, strict=True)
        for phase, allowed in case["allowed"].items()
        if result["phases"][phase]["effort"] not in allowed
    ]
    assert misses == []
    assert all(result["run"]["summary"].startswith("run will plan at") for result in results)


@pytest.mark.parametrize(
    ("task", "task_type"),
    [
        ("Add retries to the client with tests", "implementation"),
        ("Add mul and sub to calc, with docs", "implementation"),
        ("Refactor the cache, with unit tests and docs.", "refactoring"),
        ("Write tests and docs", "testing"),
        ("Add permission checks to the document sharing endpoints", "implementation"),
        ("Document the API", "documentation"),
    ],
)
def test_tests_or_docs_that_come_with_the_work_do_not_decide_its_type(task: str, task_type: str) -> None:
    result = classify(task)
    assert result.task_type == task_type
    if task_type != "testing" and "with" in task:
        assert "comes with the work" in result.reasons[0]


def test_route_names_the_file_that_set_a_fixed_strategy(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "gearshift.toml").write_text('strategy = "high-medium-high"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "400")
    out = cli("route", "Add JWT authentication to the API")
    assert out.exit_code == 0, out.stderr
    assert (
        "run will plan at high; implement at medium; fix at medium then high; review at high (strategy"
        " high-medium-high, set in gearshift.toml; the route would implement at high the steps that implement or"
        " change authentication or jwt: --strategy auto follows it)" in " ".join(out.stdout.split())
    )
    data = json.loads(cli("route", "Add JWT authentication to the API", "--json", "--strategy", "auto").stdout)
    assert data["run"]["strategy_set"] == "set by --strategy"
    assert data["run"]["efforts"] == {"plan": "high", "implement": "medium", "fix": "medium", "review": "high"}
