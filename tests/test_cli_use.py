"""Everyday use: help that fits 80 columns with defaults, environment variables and an example; usage
mistakes in one line; the end of a run that says where the user is and what to do next."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fakeapi import FakeAPI
from scripted_model import REVIEW, ScriptedModel, block
from test_followup import MISSED
from workflow_helpers import TASK, TEST_CMD, git, make_repo

COMMANDS = [
    ["run"],
    ["plan"],
    ["implement"],
    ["review"],
    ["resume"],
    ["followup"],
    ["runs"],
    ["show"],
    ["undo"],
    ["calls"],
    ["stats"],
    ["ask"],
    ["apply"],
    ["context"],
    ["config", "show"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_fits_80_columns_with_an_example_and_no_placeholders(cli, monkeypatch, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "80")
    result = cli(*command, "--help")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "Example: gearshift " in text or "Example: GEARSHIFT_" in text
    for placeholder in (r"<\w+( range)?>", r"\{\w+\}", r"\[\[", "…", r"\.\.\.", "<bool>"):
        assert not re.search(placeholder, text), placeholder
    assert re.search(r"^Usage: gearshift [a-z ]+ \[OPTIONS\]", text)
    options = [line.split()[0] for line in text.splitlines() if line.startswith("  -")]
    assert all(not option.endswith("…") for option in options)


@pytest.mark.parametrize("command", [[], ["config"], ["route"], ["map"], ["compare"], ["suite"], ["suite", "run"]])
def test_every_other_help_fits_80_columns_too(cli, monkeypatch, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "80")
    text = cli(*command, "--help").stdout
    assert max(len(line) for line in text.splitlines()) <= 80
    assert not re.search(r"<\w+( range)?>|\{\w+\}|\[\[|…", text)
    for example in re.findall(r"Example: (.*(?:\\\n.*)*)", text):  # a long example goes on after a backslash
        assert all(line.endswith(" \\") for line in example.splitlines()[:-1])


def test_each_option_says_its_default_and_environment_variable(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "80")
    text = " ".join(cli("run", "--help").stdout.split())
    for option, shown in [
        ("--effort-implement EFFORT", "[default: the strategy's; env var: GEARSHIFT_PHASES__IMPLEMENT__EFFORT]"),
        ("--max-usd USD", "[default: none; env var: GEARSHIFT_BUDGET__MAX_USD]"),
        ("--test-cmd CMD", "[default: none; env var: GEARSHIFT_CHECKS__TEST_CMD]"),
        ("--provider NAME", "[default: openai; env var: GEARSHIFT_PROVIDER]"),
        ("-m, --model MODEL", "[default: gpt-5.4; env var: GEARSHIFT_MODEL]"),
        ("--strategy STRATEGY", "env var: GEARSHIFT_STRATEGY]"),
    ]:
        assert option in text
        assert shown in text[text.index(option) :]
    assert "[default: 20; x>=1]" in " ".join(cli("calls", "--help").stdout.split())


def test_the_model_named_as_default_is_the_settings_default() -> None:
    from gearshift.settings import DEFAULT_MODEL

    assert DEFAULT_MODEL == "gpt-5.4"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "x", "--max-usd", "-1"], "Invalid value for '--max-usd'"),
        (["run", "x", "--no-such-option"], "No such option: --no-such-option"),
        (["calls", "-n", "zero"], "Invalid value for '--limit' / '-n'"),
        (["stats", "extra"], "unexpected extra argument"),
    ],
)
def test_a_bad_option_value_is_one_line_with_exit_2(cli, args: list[str], words: str) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("gearshift: ") and words.lower() in line.lower()
    assert f"(see: gearshift {args[0]} --help)" in line
    assert "╭" not in result.stderr and result.stdout == ""


@pytest.fixture
def repo(hermetic: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = make_repo(hermetic / "repo")
    monkeypatch.chdir(path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("COLUMNS", "80")
    return path


CRITICAL = {
    **REVIEW,
    "issues": [{"severity": "critical", "description": "sub is reversed for negatives", "file": "calc.py", "line": 4}],
}


def test_the_end_of_a_run_over_a_critical_issue_says_so_where_the_user_is_and_what_next(  # type: ignore[no-untyped-def]
    cli, repo: Path, fake_api: FakeAPI
) -> None:
    ScriptedModel(review=json.loads(json.dumps(CRITICAL))).serve(fake_api)
    result = cli("run", TASK, "--yes", "--test-cmd", TEST_CMD, "--base-url", fake_api.url)
    assert result.exit_code == 0, result.stderr
    [run] = json.loads(cli("runs", "--json").stdout)
    short, branch, base = run["id"][-4:], run["branch"], run["base_commit"][:7]
    out = result.stdout
    assert f"Run {short} done, but its review found 1 high or critical issue:" in out
    assert "  - [critical] sub is reversed for negatives (calc.py:4)" in out
    assert f"Run {short} done:" not in out  # never a plain "done" over a critical issue
    flat = " ".join(out.split())
    assert f"This checkout is now on the run's branch {branch}; it started from main at {base}." in flat
    ending = out[out.index(f"Run {short} done, but") :].splitlines()
    assert max(len(line) for line in ending if "gearshift/" not in line) <= 80  # prose wraps; commands do not
    assert f"git diff {base}..{branch}" in out
    assert f"git switch main && git merge {branch}" in out
    assert f"gearshift undo {short} && git switch main" in out
    assert f"gearshift followup {short}" in out
    assert git(repo, "branch", "--show-current").strip() == branch
    # each step says the files it changed, with +/- counts, as soon as it is committed
    commits = re.findall(r"step (\d): committed ([0-9a-f]{7}): (.*)", result.stderr)
    assert [(n, files) for n, _, files in commits] == [("1", "calc.py +4"), ("2", "calc.py +4"), ("3", "README.md +5")]
    assert commits[0][1] == git(repo, "rev-parse", "--short=7", f"{branch}~2").strip()
    assert result.stderr.index("step 1: committed") < result.stderr.index("step 2/3")


def test_review_says_it_runs_the_tests_and_that_it_replaces_review_md(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedModel()
    model.serve(fake_api)
    assert cli("run", TASK, "--yes", "--test-cmd", TEST_CMD, "--base-url", fake_api.url).exit_code == 0
    [run] = json.loads(cli("runs", "--json").stdout)
    folder = repo / ".gearshift" / "runs" / run["id"]
    (folder / "review.md").write_text("my notes on the first review\n")
    model.review = json.loads(json.dumps(MISSED))

    again = cli("review", run["id"][-4:], "--base-url", fake_api.url)
    assert again.exit_code == 0, again.stderr
    assert f"running the test command on the result for the review: {TEST_CMD}" in again.stderr
    assert "the test command passed in" in again.stderr
    assert f"replacing the earlier review in {folder / 'review.md'}; it is kept as review.previous.md" in again.stderr
    assert (folder / "review.previous.md").read_text() == "my notes on the first review\n"
    assert "## Adherence to Plan" in again.stdout
    assert "its review found 1 step not done as planned and 1 high or critical issue:" in " ".join(again.stdout.split())
    assert f"gearshift followup {run['id'][-4:]}" in again.stdout


def test_followup_runs_what_the_review_found_planned_one_level_higher(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedModel(review=json.loads(json.dumps(MISSED)))
    model.serve(fake_api)
    fixed = ("--strategy", "high-medium-high")
    first = cli("run", TASK, "--yes", "--test-cmd", TEST_CMD, *fixed, "--base-url", fake_api.url)
    assert first.exit_code == 0, first.stderr
    [run] = json.loads(cli("runs", "--json").stdout)
    model.plan = {**model.plan, "steps": [{**model.plan["steps"][2], "id": 1, "title": "Finish the README"}]}
    model.step_edits = {1: block("README.md", "- sub(a, b)\n", "- sub(a, b): a - b\n")}
    model.review = {**REVIEW, "adherence": REVIEW["adherence"][:1]}

    second = cli("followup", run["id"][-4:], "--yes", "--base-url", fake_api.url)
    assert second.exit_code == 0, second.stderr
    assert f"follow-up of {run['id']}: plan at xhigh, because the high plan missed:" in second.stderr
    runs = json.loads(cli("runs", "--json").stdout)
    assert [r["status"] for r in runs] == ["done", "done"]
    newest = runs[0]
    assert newest["base_commit"] == git(repo, "rev-parse", run["branch"]).strip()
    plans = [c for c in json.loads(cli("calls", "--json", "--run", newest["id"]).stdout) if c["phase"] == "plan"]
    assert {c["effort_requested"] for c in plans} == {"xhigh"}
    shown = json.loads(cli("show", newest["id"], "--json").stdout)
    assert shown["run"]["test_cmd"] == TEST_CMD  # the first run's test command
    assert "Run " in second.stdout and "gearshift followup" not in second.stdout


def test_followup_help_and_nothing_to_follow_up(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedModel()
    model.serve(fake_api)
    assert cli("run", TASK, "--yes", "--test-cmd", TEST_CMD, "--base-url", fake_api.url).exit_code == 0
    asked = len(model.asked)
    nothing = cli("followup", "--yes", "--base-url", fake_api.url)
    assert nothing.exit_code == 2
    assert "found nothing to follow up" in nothing.stderr and len(nothing.stderr.strip().splitlines()) == 1
    assert len(model.asked) == asked


def test_implement_takes_a_test_command_and_plan_refuses_a_dirty_tree(cli, repo: Path, fake_api: FakeAPI) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedModel()
    model.serve(fake_api)
    planned = cli("plan", TASK, "--base-url", fake_api.url)
    assert planned.exit_code == 0, planned.stderr
    run_id = planned.stdout.strip()
    bad = cli("implement", run_id, "--test-cmd", "pytest && rm -rf x", "--base-url", fake_api.url)
    assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1

    done = cli("implement", run_id[-4:], "--test-cmd", TEST_CMD, "--base-url", fake_api.url)
    assert done.exit_code == 0, done.stderr
    assert "the check on the base commit passed" in done.stderr and "step 1: check failed" in done.stderr
    assert json.loads(cli("show", run_id, "--json").stdout)["run"]["test_cmd"] == TEST_CMD
    assert model.asked == ["plan", "step 1", "fix 1", "step 2", "step 3"]

    git(repo, "switch", "-q", "main")
    (repo / "calc.py").write_text("changed\n")
    dirty = cli("plan", TASK, "--base-url", fake_api.url)
    assert dirty.exit_code == 2
    assert dirty.stderr.strip().startswith("gearshift: uncommitted changes to tracked files (calc.py)")
    assert model.asked == ["plan", "step 1", "fix 1", "step 2", "step 3"]  # refused before any call
