"""suite run: SWE-bench-style tasks, hidden tests applied only after each run, resumable, crash-tolerant."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from fakeapi import FakeAPI
from scripted_model import ScriptedModel, block
from workflow_helpers import TASK, TEST_CMD, git, make_repo, settings

from gearshift.errors import UsageError
from gearshift.evidence.suite import SuiteOptions, plan_suite, run_suite
from gearshift.evidence.tasks import load_tasks
from gearshift.ledger import Ledger

HIDDEN_TESTS = """\
import calc


def test_add():
    assert calc.add(1, 1) == 2


def test_mul_zq7():
    assert calc.mul(3, 4) == 12
"""
PYTEST = f"{sys.executable} -m pytest -q -p no:cacheprovider"


def _test_patch(repo: Path) -> str:
    """A patch adding the hidden test file, made the way SWE-bench's test_patch is: a git diff."""
    (repo / "test_zq7_hidden.py").write_text(HIDDEN_TESTS)
    git(repo, "add", "test_zq7_hidden.py")
    patch = git(repo, "diff", "--cached")
    git(repo, "reset", "-q", "test_zq7_hidden.py")
    (repo / "test_zq7_hidden.py").unlink()
    return patch


def _task_file(tmp_path: Path, repo: Path, **extra: Any) -> Path:
    row = {
        "instance_id": "calc__calc-1",
        "repo": "example/calc",
        "base_commit": git(repo, "rev-parse", "HEAD").strip(),
        "problem_statement": TASK,
        "test_patch": _test_patch(repo),
        # as SWE-bench stores them: JSON strings of lists
        "FAIL_TO_PASS": json.dumps(["test_zq7_hidden.py::test_mul_zq7"]),
        "PASS_TO_PASS": json.dumps(["test_zq7_hidden.py::test_add"]),
        "repo_path": str(repo),
        "test_cmd": PYTEST,
        **extra,
    }
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(row) + "\n")
    return path


def _run(tasks: Path, out: Path, model: ScriptedModel, **options: Any) -> list[dict[str, Any]]:
    opts = SuiteOptions(strategies=("high", "medium"), test_cmd=TEST_CMD, **options)
    plan = plan_suite(tasks, out, opts, settings("http://127.0.0.1:9"))
    return run_suite(plan, out, opts, providers=model.provider())


def test_hidden_tests_judge_each_run_after_it_and_never_reach_a_prompt(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    tasks = _task_file(tmp_path, repo)
    model = ScriptedModel()
    out = tmp_path / "out"
    rows = _run(tasks, out, model)

    assert [(r["instance_id"], r["strategy"], r["resolved"]) for r in rows] == [
        ("calc__calc-1", "high", True),
        ("calc__calc-1", "medium", True),
    ]
    assert not any("zq7" in text for text in model.inputs)
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["run_id"] for r in results] == [r["run_id"] for r in rows]
    for strategy in ("high", "medium"):
        (prediction,) = [
            json.loads(line) for line in (out / "predictions" / f"{strategy}.jsonl").read_text().splitlines()
        ]
        assert prediction["instance_id"] == "calc__calc-1"
        assert prediction["model_name_or_path"] == f"gearshift/{strategy}"
        assert "+def mul(a, b):" in prediction["model_patch"] and "zq7" not in prediction["model_patch"]
    with Ledger(out / "ledger.db") as ledger:
        assert {r["id"] for r in ledger.runs()} == {r["run_id"] for r in rows}
    assert (out / "runs" / rows[0]["run_id"] / "plan.md").exists()


def test_a_run_that_does_not_fix_the_bug_is_not_resolved(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    tasks = _task_file(tmp_path, repo, FAIL_TO_PASS=["test_zq7_hidden.py::test_mul_zq7", "test_zq7_hidden.py::nope"])
    rows = _run(tasks, tmp_path / "out", ScriptedModel())
    assert [r["resolved"] for r in rows] == [False, False]
    assert all(r["status"] == "done" for r in rows)


def test_a_killed_suite_resumes_without_counting_a_cell_twice(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    tasks = _task_file(tmp_path, repo)
    out = tmp_path / "out"
    first = _run(tasks, out, ScriptedModel())
    results = out / "results.jsonl"
    # as after a kill while the second cell's line was being written: half a line
    lines = results.read_text().splitlines()
    results.write_text(lines[0] + "\n" + lines[1][:25])

    model = ScriptedModel()
    again = _run(tasks, out, model)
    assert [(r["strategy"], r["repeat"]) for r in again] == [("medium", 1)]
    assert model.asked.count("plan") == 1  # only the unfinished cell ran
    kept = [
        json.loads(line) for line in results.read_text().splitlines() if line.startswith("{") and line.endswith("}")
    ]
    assert [(r["strategy"], r["run_id"]) for r in kept] == [
        ("high", first[0]["run_id"]),
        ("medium", again[0]["run_id"]),
    ]
    with Ledger(out / "ledger.db") as ledger:
        runs = ledger.runs()
        # the first attempt's medium run was copied before its results line was cut; it is there once
        assert len(runs) == 3 and len({r["id"] for r in runs}) == 3
    assert _run(tasks, out, ScriptedModel()) == []  # everything done: nothing runs


def test_a_cell_that_crashes_is_an_error_and_the_suite_goes_on(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    good = json.loads(_task_file(tmp_path, repo).read_text())
    bad = {**good, "instance_id": "calc__calc-2", "base_commit": "0" * 40}
    tasks = tmp_path / "two.jsonl"
    tasks.write_text(json.dumps(bad) + "\n" + json.dumps(good) + "\n")
    opts = SuiteOptions(strategies=("high",), test_cmd=TEST_CMD)
    out = tmp_path / "out"
    rows = run_suite(
        plan_suite(tasks, out, opts, settings("http://127.0.0.1:9")), out, opts, providers=ScriptedModel().provider()
    )
    by_id = {r["instance_id"]: r for r in rows}
    assert by_id["calc__calc-2"]["status"] == "error" and by_id["calc__calc-2"]["resolved"] is False
    assert "no commit" in by_id["calc__calc-2"]["error"]
    assert by_id["calc__calc-1"]["resolved"] is True


def test_task_files_load_swe_bench_rows_and_refuse_bad_lines_by_number(tmp_path: Path) -> None:
    swe = {
        "instance_id": "astropy__astropy-12907",
        "repo": "astropy/astropy",
        "base_commit": "d16bfe05a744909de4b27f5875fe0d4ed41ce607",
        "problem_statement": "Modeling's `separability_matrix` does not compute separability correctly",
        "hints_text": "",
        "created_at": "2022-03-03T15:14:54Z",
        "version": "4.3",
        "test_patch": "diff --git a/x b/x\n",
        "FAIL_TO_PASS": '["astropy/modeling/tests/test_separable.py::test_separable[compound_model6-result6]"]',
        "PASS_TO_PASS": "[]",
        "environment_setup_commit": "298ccb478e6bf092953bca67a3d29dc6c35f6752",
    }
    path = tmp_path / "lite.jsonl"
    path.write_text(json.dumps(swe) + "\n\n")
    (task,) = load_tasks(path)
    assert task.fail_to_pass == ("astropy/modeling/tests/test_separable.py::test_separable[compound_model6-result6]",)
    assert task.pass_to_pass == () and task.repo == "astropy/astropy" and task.repo_path is None

    path.write_text(json.dumps(swe) + "\n" + json.dumps({**swe, "FAIL_TO_PASS": "not a list"}) + "\n")
    with pytest.raises(UsageError, match=r"lite.jsonl:2: FAIL_TO_PASS is a string but not a JSON list"):
        load_tasks(path)
    path.write_text("{nope\n")
    with pytest.raises(UsageError, match=r"lite.jsonl:1: not a JSON object"):
        load_tasks(path)
    path.write_text(json.dumps({k: v for k, v in swe.items() if k != "base_commit"}) + "\n")
    with pytest.raises(UsageError, match=r"lite.jsonl:1: missing base_commit"):
        load_tasks(path)


def test_the_ray_executor_runs_cells_on_a_real_local_ray(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_api: FakeAPI
) -> None:
    pytest.importorskip("ray", reason="Ray is installed with the dev extras: python3 dev.py test installs it")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    repo = make_repo(tmp_path / "repo")
    tasks = _task_file(tmp_path, repo)
    ScriptedModel().serve(fake_api)
    out = tmp_path / "out"
    opts = SuiteOptions(strategies=("high", "medium"), test_cmd=TEST_CMD, executor="ray", jobs=2)
    rows = run_suite(plan_suite(tasks, out, opts, settings(fake_api.url)), out, opts)
    assert sorted((r["strategy"], r["resolved"]) for r in rows) == [("high", True), ("medium", True)]
    with Ledger(out / "ledger.db") as ledger:  # the workers' calls, written by the driver alone
        calls = ledger.calls()
    assert {c["run_id"] for c in calls} == {r["run_id"] for r in rows}
    assert sum(r["total_tokens"] for r in rows) == sum(c["input_tokens"] + c["output_tokens"] for c in calls)


def test_a_test_the_run_wrote_in_the_hidden_tests_file_gives_way_to_them(tmp_path: Path) -> None:
    """SWE-bench's rule: the files the test patch touches go back to the base before it is applied."""
    repo = make_repo(tmp_path / "repo")
    tasks = _task_file(tmp_path, repo)
    model = ScriptedModel()
    # the run's first step also writes its own test_zq7_hidden.py: the hidden patch creates that file too
    model.step_edits[1] += "\n" + block("test_zq7_hidden.py", "", "def test_by_the_model():\n    assert True\n")
    rows = _run(tasks, tmp_path / "out", model)
    assert [r["resolved"] for r in rows] == [True, True]


def test_a_test_patch_alone_judges_nothing_and_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    tasks = _task_file(tmp_path, repo, FAIL_TO_PASS=[], PASS_TO_PASS=[])
    with pytest.raises(UsageError, match="nothing judges the task"):
        load_tasks(tasks)


def test_a_judge_command_that_cannot_run_is_refused_before_anything_is_paid(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    tasks = _task_file(tmp_path, repo, test_cmd=f"{PYTEST} && true")
    model = ScriptedModel()
    with pytest.raises(UsageError, match=r"task calc__calc-1: .*shell syntax"):
        _run(tasks, tmp_path / "out", model)
    assert model.asked == []


def test_each_repeat_has_its_own_predictions_file_with_one_line_per_instance(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    tasks = _task_file(tmp_path, repo)
    out = tmp_path / "out"
    _run(tasks, out, ScriptedModel(), repeat=2)
    files = sorted(p.name for p in (out / "predictions").iterdir())
    assert files == ["high.jsonl", "high.repeat-2.jsonl", "medium.jsonl", "medium.repeat-2.jsonl"]
    for path in (out / "predictions").iterdir():
        (line,) = path.read_text().splitlines()
        assert json.loads(line)["instance_id"] == "calc__calc-1"
    assert json.loads((out / "strategies.json").read_text()) == {"strategies": ["high", "medium"]}
