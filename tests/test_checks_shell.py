"""A command that needs a shell is refused, before it runs, when no shell will run it."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gearshift.checks import run_check, validate_command
from gearshift.errors import UsageError
from gearshift.shell_syntax import shell_syntax

SHELL_SYNTAX = [
    ("python3 t.py && false", "&&"),
    ("pytest -q || true", "||"),
    ("pytest -q | grep -q passed", "|"),
    ("make; pytest", ";"),
    ("pytest > log.txt", ">"),
    ("pytest 2>&1", ">&"),
    ("pytest < /dev/null", "<"),
    ("pytest &", "&"),
    ("pytest $(git diff --name-only)", "$(...)"),
    ("pytest `cat tests.txt`", "`...`"),
    ('pytest "$TESTS"', "$NAME"),
    ("pytest ${TESTS}", "${...}"),
    ("pytest tests/*.py", "*"),
    ("pytest ~/tests", "~"),
    ("PYTHONPATH=src pytest", "PYTHONPATH=..."),
    ("pytest # the fast ones", "#"),
    ("pytest\nruff check", "a line break"),
    ("(cd sub && pytest)", "("),
]


@pytest.mark.parametrize(("command", "found"), SHELL_SYNTAX)
def test_shell_syntax_is_named_with_how_to_fix_it(command: str, found: str) -> None:
    assert shell_syntax(command) == found
    with pytest.raises(UsageError, match="set checks.shell = true") as caught:
        validate_command(command, shell=False)
    assert f"uses shell syntax ({found})" in caught.value.message
    assert "\n" not in caught.value.message  # one line
    validate_command(command, shell=True)  # with a shell, it means what it says


@pytest.mark.parametrize(
    "command",
    [
        "pytest -q",
        "pytest -q -k 'slow and not net'",
        "pytest 'tests/test_a.py::test_b[1-2]'",
        "pytest tests/test_a.py::test_b[1-2]",  # a shell passes a pattern that matches nothing as it is
        "python3 -c 'import sys; sys.exit(0)'",
        "npm test -- --grep='a|b'",
        "echo \"a && b\" '$HOME'",
        r"pytest a\&\&b",
        "go test ./... -run 'Test(A|B)$'",
        "cargo test --features=x,y",
        "dotnet test /p:CollectCoverage=true",
        "echo $",
    ],
)
def test_what_needs_no_shell_passes(command: str) -> None:
    assert shell_syntax(command) is None
    validate_command(command, shell=False)


def test_an_assignment_is_told_about_env(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"or start it with env \(env NAME=value ...\)"):
        validate_command("PYTHONPATH=src pytest", shell=False)
    result = run_check(f"env GREETING=hi {sys.executable} -c \"import os; print(os.environ['GREETING'])\"", tmp_path)
    assert result.output.strip() == "hi"


def test_a_refused_command_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(UsageError, match=r"shell syntax \(&&\)"):
        run_check(f"{sys.executable} -c \"open('{marker}', 'w')\" && false", tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize(("command", "problem"), [("", "empty"), ("   ", "empty"), ("pytest 'oops", "does not parse")])
def test_an_empty_or_unparsable_command_is_a_usage_error(command: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        validate_command(command, shell=False)


# Any argument list, quoted the way shlex quotes it, is safe without a shell: quoting is the fix
# the refusal suggests, so it must always be accepted (but for a first word that reads as NAME=).
arguments = st.lists(st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1), min_size=1, max_size=6)


@given(arguments)
def test_quoted_arguments_always_pass(args: list[str]) -> None:
    command = shlex.join(["tool", *args])
    assert shell_syntax(command) is None
    validate_command(command, shell=False)
    assert shlex.split(command) == ["tool", *args]


safe_words = st.from_regex(r"[A-Za-z0-9_./:,@%+-]{1,12}", fullmatch=True)
operators = st.sampled_from(["&&", "||", "|", ";", ">", "<", ">>", "&", "$(x)", "`x`", "$X", "*"])


@given(safe_words, operators, safe_words)
def test_an_operator_between_plain_words_is_always_found(before: str, operator: str, after: str) -> None:
    command = f"tool {before} {operator} {after}"
    with pytest.raises(UsageError, match="shell syntax"):
        validate_command(command, shell=False)
    quoted = f"tool {before} {shlex.quote(operator)} {after}"
    validate_command(quoted, shell=False)


@given(st.text())
def test_the_scan_never_fails_on_any_text(command: str) -> None:
    try:
        validate_command(command, shell=False)
    except UsageError as exc:
        assert exc.message
