"""A fix sees the failure's essentials and the files it names, around the lines it names."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from scripted_model import ScriptedModel
from workflow_helpers import TASK, TEST_CMD, make_repo, workflow

from gearshift.checks import CheckResult
from gearshift.context.failure import Frame, essential_output, failing_places, parse_failure
from gearshift.context.fix_files import failure_context
from gearshift.context.tokens import counter_for
from gearshift.effort import Effort
from gearshift.phases.implement_prompts import FAILURE_CHARS, build_fix_request, build_step_request
from gearshift.plan import Plan, Step
from gearshift.workflow import RunOptions

COUNTER = counter_for("gpt-5.4")

PYTEST = """\
============================= test session starts ==============================
collected 3 items

tests/test_heroes.py .F.                                                 [100%]

=================================== FAILURES ===================================
_______________________________ test_create_hero _______________________________

client = <FlaskClient <Flask 'app'>>

    def test_create_hero(client):
        token = login(client)
>       response = client.post("/heroes", json={"name": "x"}, headers=auth(token))

tests/test_heroes.py:42:\x20
_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _
app/routes.py:17: in create_hero
    user = current_user(request)
/usr/lib/python3/site-packages/werkzeug/local.py:311: in __get__
    obj = instance._get_current_object()
app/auth.py:30: in current_user
    raise KeyError("sub")
E   KeyError: 'sub'
=========================== short test summary info ============================
FAILED tests/test_heroes.py::test_create_hero - KeyError: 'sub'
========================= 1 failed, 2 passed in 0.12s =========================
"""
UNITTEST = """\
.F
======================================================================
FAIL: test_save (tests.test_store.StoreTest.test_save)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "/home/u/proj/tests/test_store.py", line 12, in test_save
    self.assertEqual(store.save("x"), 2)
AssertionError: 1 != 2

----------------------------------------------------------------------
Ran 2 tests in 0.003s

FAILED (failures=1)
"""
GO = """\
=== RUN   TestParse
    parse_test.go:42: got 3, want 4
--- FAIL: TestParse (0.00s)
=== RUN   TestSplit/empty
--- FAIL: TestSplit/empty (0.00s)
panic: runtime error: index out of range [3] with length 3 [recovered]
goroutine 7 [running]:
github.com/x/y/internal/parse.Split(...)
\t/home/u/y/internal/parse/split.go:17 +0x1d
FAIL\tgithub.com/x/y/internal/parse\t0.005s
"""
JEST = """\
 FAIL  src/sum.test.ts
  ● math › adds numbers

    expect(received).toBe(expected) // Object.is equality

    Expected: 4
    Received: 5

    > 11 |     expect(sum(2, 2)).toBe(4);

      at Object.<anonymous> (src/sum.test.ts:11:23)

Tests:       1 failed, 3 passed, 4 total
"""
VITEST = """\
 FAIL  test/retry.test.ts > retry > retries on 408
AssertionError: expected 1 to be 2 // Object.is equality
 ❯ test/retry.test.ts:14:22
 ❯ source/core/retry.ts:30:5

 Test Files  1 failed (1)
"""


def test_pytest_output_gives_the_test_the_error_and_the_frames() -> None:
    failure = parse_failure(PYTEST)
    assert failure.tests == ("test_create_hero", "tests/test_heroes.py::test_create_hero")
    assert [f.path for f in failure.frames][-3:] == [
        "app/routes.py",
        "/usr/lib/python3/site-packages/werkzeug/local.py",
        "app/auth.py",
    ]
    assert Frame("tests/test_heroes.py", 42) in failure.frames
    text = essential_output(PYTEST, failure, limit=4_000)
    for wanted in (
        "E   KeyError: 'sub'",
        "app/auth.py:30: in current_user",
        '    raise KeyError("sub")',
        "1 failed, 2 passed",
    ):
        assert wanted in text
    assert "collected 3 items" not in text and "[... " in text


def test_other_runners_give_their_tests_and_frames() -> None:
    unittest = parse_failure(UNITTEST)
    assert unittest.tests == ("test_save",) and unittest.frames == (Frame("/home/u/proj/tests/test_store.py", 12),)
    assert "AssertionError: 1 != 2" in essential_output(UNITTEST, unittest, limit=4_000)
    go = parse_failure(GO)
    assert go.tests == ("TestParse", "TestSplit/empty")
    assert Frame("parse_test.go", 42) in go.frames and Frame("/home/u/y/internal/parse/split.go", 17) in go.frames
    assert "panic: runtime error" in essential_output(GO, go, limit=4_000)
    jest = parse_failure(JEST)
    assert "math › adds numbers" in jest.tests and jest.frames == (Frame("src/sum.test.ts", 11),)
    assert "Received: 5" in essential_output(JEST, jest, limit=4_000)
    vitest = parse_failure(VITEST)
    assert vitest.tests == ("test/retry.test.ts > retry > retries on 408",)
    assert vitest.frames == (Frame("test/retry.test.ts", 14), Frame("source/core/retry.ts", 30))


def test_failing_test_names_give_their_files_and_definitions() -> None:
    files, names = failing_places(
        (
            "tests/a.py::TestA::test_b[1-2]",
            "TestSplit/empty",
            "test/r.test.ts > retry > retries on 408",
            "src/x.test.ts",
        )
    )
    assert files == ["tests/a.py", "test/r.test.ts", "src/x.test.ts"]
    assert names == ["TestA", "test_b", "TestSplit", "retries on 408"]


def test_output_without_a_failure_in_it_has_no_essentials() -> None:
    assert not parse_failure("make: *** [all] Error 2\nsomething went wrong\n").parsed
    assert parse_failure("").kept == ()


_OUTPUT_LINE = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=60),
    st.sampled_from(PYTEST.splitlines() + UNITTEST.splitlines() + GO.splitlines() + JEST.splitlines()),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_OUTPUT_LINE, max_size=60), st.integers(min_value=200, max_value=5_000))
def test_the_parser_reads_any_output_and_invents_nothing(lines: list[str], limit: int) -> None:
    output = "\n".join(lines)
    failure = parse_failure(output)
    rows = output.split("\n")
    assert list(failure.kept) == sorted(set(failure.kept)) and all(0 <= i < len(rows) for i in failure.kept)
    for frame in failure.frames:
        assert frame.path in output and frame.line >= 0
    text = essential_output(output, failure, limit=limit)
    assert len(text) <= limit + 60
    for line in text.split("\n"):
        if not re.fullmatch(r"\[\.\.\. .* (lines?|characters left out) \.\.\.\]", line):
            assert any(row.startswith(line.split(" [... ")[0][:50]) for row in rows)


def make_project(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "tests").mkdir()
    helpers = "".join(f"def helper_{n}(x):\n" + "    x += 1\n" * 12 + "    return x\n\n\n" for n in range(60))
    (root / "app" / "auth.py").write_text(
        helpers[: len(helpers) // 2] + "def current_user(request):\n    raise KeyError('sub')\n\n\n" + helpers
    )
    (root / "app" / "routes.py").write_text(
        "from app.auth import current_user\n\n\ndef create_hero(request):\n    return current_user(request)\n"
    )
    tests = "".join(f"def test_other_{n}(client):\n" + "    assert client\n" * 10 + "\n\n" for n in range(40))
    (root / "tests" / "test_heroes.py").write_text(
        tests + "def test_create_hero(client):\n    assert client.post('/heroes')\n"
    )
    return root


def test_a_fix_sees_the_files_the_traceback_names_tests_included(tmp_path: Path) -> None:
    root = make_project(tmp_path / "repo")
    auth = (root / "app" / "auth.py").read_text().split("\n")
    line = auth.index("    raise KeyError('sub')") + 1
    output = PYTEST.replace("app/auth.py:30:", f"{root}/app/auth.py:{line}:")
    shown = failure_context(
        root,
        ["app/routes.py"],
        COUNTER,
        budget=8_000,
        step_text="Require a token in `create_hero`",
        failure=parse_failure(output),
    )
    paths = [f.path for f in shown.files]
    assert paths[0] == "app/routes.py" and set(paths[1:]) == {"tests/test_heroes.py", "app/auth.py"}
    auth_view = next(f for f in shown.files if f.path == "app/auth.py")
    assert not auth_view.whole and any(a <= line <= b for a, b in auth_view.ranges)
    assert "## app/auth.py (named by the failure" in shown.text
    test_view = next(f for f in shown.files if f.path == "tests/test_heroes.py")
    last = len((root / "tests" / "test_heroes.py").read_text().splitlines())
    assert any(a <= last - 1 and last <= b for a, b in test_view.ranges)  # the failing test, whole
    assert "werkzeug" not in shown.text and shown.tokens <= 8_000


def test_go_s_bare_file_names_are_found_in_the_repository(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "internal" / "parse").mkdir(parents=True)
    (root / "internal" / "parse" / "parse_test.go").write_text("package parse\n\nfunc TestParse(t *testing.T) {}\n")
    (root / "internal" / "parse" / "split.go").write_text("package parse\n\nfunc Split() {}\n")
    output = GO.replace("/home/u/y/", f"{root}/")
    shown = failure_context(root, [], COUNTER, budget=4_000, step_text="", failure=parse_failure(output))
    assert [f.path for f in shown.files] == ["internal/parse/split.go", "internal/parse/parse_test.go"]


def _step() -> tuple[Plan, Step]:
    step = Step(
        id=1,
        title="Add a greeting",
        description="Add greet() to app.py.",
        files=["app.py"],
        reads=["lib/names.py"],
        acceptance=["greet() returns 'hi'"],
        kind="implementation",
        security_critical=False,
        ambiguities=[],
    )
    return Plan(summary="Greet.", architecture_decisions=[], steps=[step], risks=[], testing_strategy=[]), step


def test_a_fix_prompt_quotes_the_essentials_not_the_whole_output() -> None:
    plan, step = _step()
    noise = "".join(f"tests/test_heroes.py::test_other_{n} PASSED\n" for n in range(2_000))
    check = CheckResult("pytest -q", False, 1, noise + PYTEST, 3.0)
    fix = build_fix_request("greet", plan, step, "## app.py\n", check, "gpt-5.4", Effort.MEDIUM)
    assert "E   KeyError: 'sub'" in fix.input and "FAILED tests/test_heroes.py::test_create_hero" in fix.input
    assert "test_other_1500 PASSED" not in fix.input and "essential lines" in fix.input
    unparsed = CheckResult("make", False, 2, "start\n" + "x\n" * 5_000 + "make: *** Error 2\n", 1.0)
    fallback = build_fix_request("greet", plan, step, "## app.py\n", unparsed, "gpt-5.4", Effort.MEDIUM)
    assert "start" in fallback.input and "make: *** Error 2" in fallback.input
    assert len(fallback.input) < len(fix.input) + FAILURE_CHARS


def test_a_step_prompt_has_what_it_reads_the_check_and_the_earlier_steps() -> None:
    plan, step = _step()
    request = build_step_request(
        "greet", plan, step, "## app.py\n", "gpt-5.4", Effort.MEDIUM, test_cmd="pytest -q", earlier=" a.py | 3 +++\n"
    )
    assert "Files: app.py\nReads: lib/names.py" in request.input
    assert "# The check run after this step\n$ pytest -q" in request.input
    assert "# Changed by the earlier steps (git diff --stat)\n a.py | 3 +++" in request.input
    assert "never copy them into SEARCH" in request.instructions


def test_in_a_run_the_fix_sees_the_failing_check_s_file_and_later_steps_the_diffstat(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    model = ScriptedModel()
    workflow(repo, model=model).run(TASK, RunOptions(test_cmd=TEST_CMD), lambda plan_md, path: True)
    assert model.asked[:3] == ["plan", "step 1", "fix 1"]
    fix = model.inputs[2]
    assert "## check.py (named by the failure)" in fix and 'assert calc.mul(2, 3) == 6, "mul(2, 3) should be 6"' in fix
    assert "AssertionError: mul(2, 3) should be 6" in fix
    step2 = model.inputs[3]
    assert f"# The check run after this step\n$ {TEST_CMD}" in step2
    assert re.search(r"# Changed by the earlier steps \(git diff --stat\)\n calc\.py \| +\d+ \+", step2)
    assert "# Changed by the earlier steps" not in model.inputs[1]
