"""Tests that test the change: a step's new tests are run on the base commit's code too."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from scripted_model import ScriptedModel, block
from workflow_helpers import git, workflow

from gearshift.probe import find_test_files, narrowed
from gearshift.workflow import RunOptions

PYTEST = f"{sys.executable} -m pytest -q -p no:cacheprovider"
BUGGY = "def add(a, b):\n    if b < 0:\n        return a - b  # the bug\n    return a + b\n"
FIXED = "def add(a, b):\n    return a + b\n"
TEST_POSITIVE = "import calc\n\n\ndef test_add_positive():\n    assert calc.add(2, 3) == 5\n"
TEST_NEGATIVE = TEST_POSITIVE + "\n\ndef test_add_negative():\n    assert calc.add(2, -3) == -1\n"


def buggy_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "calc.py").write_text(BUGGY)
    (path / "tests").mkdir()
    (path / "tests" / "test_smoke.py").write_text("import calc\n\n\ndef test_zero():\n    assert calc.add(0, 0) == 0\n")
    (path / "conftest.py").write_text("")  # puts the repository root on sys.path for pytest
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "initial")
    return path


def one_step_model(kind: str) -> ScriptedModel:
    model = ScriptedModel()
    model.plan["steps"] = [
        {
            "id": 1,
            "title": "Fix add for negative numbers",
            "description": "add(a, b) must return a + b for every b; add a test.",
            "files": ["calc.py", "tests/test_calc.py"],
            "acceptance": ["add(2, -3) == -1"],
            "kind": kind,
            "security_critical": False,
            "ambiguities": [],
        }
    ]
    # the step fixes the code but its test would pass without the fix
    model.step_edits[1] = block("calc.py", BUGGY, FIXED) + block("tests/test_calc.py", "", TEST_POSITIVE)
    model.fix_edits[1] = block("tests/test_calc.py", TEST_POSITIVE, TEST_NEGATIVE)
    model.review["adherence"] = model.review["adherence"][:1]
    return model


def test_a_bug_fix_whose_test_passes_without_the_fix_gets_one_more_try(tmp_path: Path) -> None:
    repo = buggy_repo(tmp_path / "repo")
    model = one_step_model("bug_fix")
    wf = workflow(repo, model=model)

    run_id = wf.run("Fix add for negative numbers", RunOptions(test_cmd=PYTEST)).run_id

    assert model.asked == ["plan", "step 1", "fix 1", "review"]
    fix_input = model.inputs[model.asked.index("fix 1")]
    assert "These tests pass without the fix, so they do not test it: tests/test_calc.py" in fix_input
    [step] = wf.ledger.steps(run_id)
    assert step["tests_at_base"] == "tests/test_calc.py: fail on the base commit's code: they test the change"
    assert "def test_add_negative" in (repo / "tests" / "test_calc.py").read_text()
    assert "its tests on the base commit's code: tests/test_calc.py: fail" in model.inputs[-1]  # the reviewer knows
    assert git(repo, "worktree", "list").count("\n") == 1  # the scratch worktree is gone


def test_a_test_that_does_not_test_the_change_is_said_everywhere(tmp_path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    repo = buggy_repo(tmp_path / "repo")
    model = one_step_model("implementation")
    wf = workflow(repo, model=model)

    run_id = wf.run("Support negative numbers in add", RunOptions(test_cmd=PYTEST)).run_id

    assert model.asked == ["plan", "step 1", "review"]  # said, not fixed: not a bug fix
    verdict = "tests/test_calc.py: pass on the base commit's code too: they do not test the change"
    assert wf.ledger.steps(run_id)[0]["tests_at_base"] == verdict
    assert f"its tests on the base commit's code: {verdict}" in model.inputs[-1]
    monkeypatch.chdir(repo)
    shown = cli("show", run_id)
    assert "step 1: tests/test_calc.py: pass on the base commit's code too: they do not test the change" in shown.stdout


def test_test_files_are_found_by_the_conventions_of_each_language() -> None:
    paths = [
        "tests/test_api.py",
        "src/app.py",
        "pkg/api_test.py",
        "conftest.py",
        "server/handler_test.go",
        "server/handler.go",
        "src/ky.test.ts",
        "test/retry.ts",
        "web/Button.spec.jsx",
        "src/test/java/AppTest.java",
        "docs/testing.md",
        "src/contest.py",
    ]
    assert find_test_files(paths) == sorted(
        [
            "tests/test_api.py",
            "pkg/api_test.py",
            "conftest.py",
            "server/handler_test.go",
            "src/ky.test.ts",
            "test/retry.ts",
            "web/Button.spec.jsx",
            "src/test/java/AppTest.java",
        ]
    )


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("pytest -q", "pytest -q tests/test_calc.py"),
        ("python -m pytest -x", "python -m pytest -x tests/test_calc.py"),
        ("npm test", "npm test"),
        ("python check.py", "python check.py"),
    ],
)
def test_pytest_is_narrowed_to_the_steps_test_modules(command: str, expected: str) -> None:
    assert narrowed(command, ["tests/test_calc.py", "tests/conftest.py"], shell=False) == expected
