"""The read tools: what they show, how they cap it, and what they never open."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gearshift import tools
from gearshift.models.base import ToolCall, tool_arguments
from gearshift.tools import list_files, read_file, run_tool, search

SECRET = "TOPSECRET-5f2a"  # in every file no read may return
MODELS = "class User:\n    name: str\n\n\ndef load(path):\n    return path\n"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with code, and beside it everything the tools must refuse."""
    root = tmp_path / "repo"
    (root / "src" / "app").mkdir(parents=True)
    (root / "src" / "app" / "models.py").write_text(MODELS)
    (root / "src" / "app" / "__init__.py").write_text("")
    (root / "README.md").write_text("# app\n\nLoads users.\n")
    (root / ".gitignore").write_text("ignored.txt\nbuild/\n")
    (root / "ignored.txt").write_text(SECRET)
    (root / "build").mkdir()
    (root / "build" / "out.py").write_text(SECRET)
    (root / ".env").write_text(f"KEY={SECRET}\n")
    (root / "config").mkdir()
    (root / "config" / "credentials.json").write_text(SECRET)
    (root / "image.bin").write_bytes(b"\0\1\2" + SECRET.encode())
    (tmp_path / "outside.txt").write_text(SECRET)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "init")
    (root / ".git" / "config").write_text((root / ".git" / "config").read_text() + f"# {SECRET}\n")
    (root / ".gearshift").mkdir()
    (root / ".gearshift" / "notes.txt").write_text(SECRET)
    os.symlink(tmp_path / "outside.txt", root / "escape.txt")
    os.symlink(tmp_path, root / "up")
    return root


def test_a_read_numbers_its_lines_and_pages(repo: Path) -> None:
    whole = read_file(repo, "src/app/models.py")
    part = read_file(repo, "src/app/models.py", start_line=5, end_line=6)

    assert whole.splitlines()[:3] == ["src/app/models.py (lines 1-6 of 6)", "1  class User:", "2      name: str"]
    assert part == "src/app/models.py (lines 5-6 of 6)\n5  def load(path):\n6      return path"
    past = read_file(repo, "src/app/models.py", start_line=9)
    assert past == "src/app/models.py has 6 lines; start_line 9 is past the end"


def test_a_long_file_is_cut_and_says_where_to_read_on(repo: Path) -> None:
    (repo / "long.py").write_text("".join(f"x{n} = {n}\n" for n in range(1, 1001)))

    shown = read_file(repo, "long.py")

    assert shown.startswith(f"long.py (lines 1-{tools.MAX_READ_LINES} of 1000)")
    assert shown.endswith(f"[lines {tools.MAX_READ_LINES + 1}-1000 not shown; read on with start_line=401]")
    assert len(shown.splitlines()) == tools.MAX_READ_LINES + 2


def test_a_file_of_huge_lines_is_cut_by_characters(repo: Path) -> None:
    (repo / "wide.js").write_text(("a" * 30_000 + "\n") * 5)

    shown = read_file(repo, "wide.js")

    assert len(shown) < tools.MAX_READ_CHARS + 200
    assert "(lines 1-1 of 5)" in shown and "read on with start_line=2" in shown


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (".env", "looks like a secret"),
        ("config/credentials.json", "looks like a secret"),
        (".git/config", "nothing under .git/"),
        ("src/.git/config", "nothing under .git/"),
        (".gearshift/notes.txt", "nothing under .gearshift/"),
        ("../outside.txt", "'..' is not followed"),
        ("src/../../outside.txt", "'..' is not followed"),
        ("/etc/passwd", "absolute paths"),
        ("C:/Windows/win.ini", "absolute paths"),
        ("ignored.txt", "the repository ignores it"),
        ("build/out.py", "the repository ignores it"),
        ("escape.txt", "symbolic link"),
        ("up/outside.txt", "symbolic link"),
        ("image.bin", "not a text file"),
        ("src/app", "is not a file"),
        ("nothing.py", "no such file"),
        ("", "invalid path"),
    ],
)
def test_a_read_outside_the_listed_files_is_refused_with_its_reason(repo: Path, path: str, reason: str) -> None:
    answer = read_file(repo, path)

    assert reason in answer
    assert SECRET not in answer
    assert "\n" not in answer  # one line: the model reads the reason and goes on


def test_a_missing_file_points_at_files_of_that_name(repo: Path) -> None:
    assert read_file(repo, "models.py") == "models.py: no such file; files of that name: src/app/models.py"


def test_search_gives_numbered_matches_over_the_listed_text_files_only(repo: Path) -> None:
    found = search(repo, r"def \w+|TOPSECRET")

    assert found == "src/app/models.py:5: def load(path):"


def test_search_narrows_by_glob_and_says_when_nothing_matches(repo: Path) -> None:
    assert search(repo, "app", glob="*.md") == "README.md:1: # app"
    assert search(repo, "class", glob="*.md") == "no matches for 'class' in files matching '*.md'"
    assert search(repo, "class", glob="src/*") == "src/app/models.py:1: class User:"


def test_a_bad_regular_expression_is_an_answer_not_an_exception(repo: Path) -> None:
    assert search(repo, "def (").startswith("search: bad regular expression 'def (': missing ), unterminated")


def test_search_caps_its_matches_and_their_length(repo: Path) -> None:
    (repo / "many.py").write_text("".join(f"hit{n} = '{'y' * 500}'\n" for n in range(200)))

    found = search(repo, "hit")

    lines = found.splitlines()
    assert len(lines) == tools.MAX_MATCHES + 1
    assert lines[-1] == f"[{200 - tools.MAX_MATCHES} more matches not shown; narrow the pattern or glob]"
    assert all(len(line) <= len("many.py:200: ") + tools.MAX_MATCH_CHARS for line in lines[:-1])


def test_list_files_lists_what_reads_may_open(repo: Path) -> None:
    assert list_files(repo) == ".gitignore\nREADME.md\nimage.bin\nsrc/app/__init__.py\nsrc/app/models.py"
    assert list_files(repo, "src/app/") == "src/app/__init__.py\nsrc/app/models.py"
    assert list_files(repo, "build") == "no files under build"
    assert "refused" in list_files(repo, "../")


def test_a_large_tree_is_listed_one_level_deep_with_counts(repo: Path) -> None:
    for group in ("a", "b"):
        (repo / "pkg" / group).mkdir(parents=True)
        for n in range(150):
            (repo / "pkg" / group / f"m{n}.py").write_text("")
    (repo / "pkg" / "top.py").write_text("")

    listed = list_files(repo, "pkg")

    assert listed.splitlines() == [
        "301 files; by directory (list one for its files):",
        "pkg/a/ (150 files)",
        "pkg/b/ (150 files)",
        "pkg/top.py",
    ]


def test_run_tool_answers_bad_arguments_and_unknown_tools_in_words(repo: Path) -> None:
    assert run_tool(repo, ToolCall("1", "read_file", {})) == "read_file: path must be a non-empty string"
    assert run_tool(repo, ToolCall("2", "read_file", {"path": "README.md", "start_line": 0})) == (
        "read_file: start_line must be a line number from 1"
    )
    assert run_tool(repo, ToolCall("3", "search", {"pattern": 3})) == "search: pattern must be a non-empty string"
    assert run_tool(repo, ToolCall("4", "write_file", {"path": "x"})) == (
        "unknown tool 'write_file'; the tools are read_file, search, list_files"
    )
    assert run_tool(repo, ToolCall("5", "read_file", {"path": "README.md"})).startswith("README.md (lines 1-3 of 3)")


def test_arguments_that_are_not_a_json_object_become_empty_and_the_tool_says_what_it_lacks(repo: Path) -> None:
    assert [tool_arguments(raw) for raw in ('{"path": "a.py"}', "{bad", "[1]", None, "")] == [
        {"path": "a.py"},
        {},
        {},
        {},
        {},
    ]
    assert run_tool(repo, ToolCall("1", "read_file", tool_arguments("{bad"))) == (
        "read_file: path must be a non-empty string"
    )


PARTS = st.sampled_from(
    [
        *["..", ".", "", ".git", ".gearshift", "config", ".env", "credentials.json", "ignored.txt", "build"],
        *["out.py", "escape.txt", "up", "outside.txt", "src", "app", "models.py", "README.md", "/", "\\", "~"],
        *["C:", "%2e%2e"],
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(parts=st.lists(PARTS, min_size=1, max_size=5), absolute=st.booleans(), separator=st.sampled_from(["/", "\\"]))
def test_no_path_reaches_a_file_outside_the_listed_ones(
    repo: Path, parts: list[str], absolute: bool, separator: str
) -> None:
    path = ("/" if absolute else "") + separator.join(parts)
    listed = tools.listing(repo)

    answer = read_file(repo, path, listed=listed)

    assert SECRET not in answer
    try:
        opened = tools.readable(repo, path, listed)
    except tools.Refused:
        return
    # whatever opens is a listed file, inside the repository by its real path
    assert opened.resolve().is_relative_to(repo.resolve())
    assert opened.relative_to(repo.resolve()).as_posix() in listed


@pytest.mark.parametrize("spelling", [".env/.", "./.env/."])
def test_the_tools_never_open_a_secret_file_by_another_spelling(repo: Path, spelling: str) -> None:
    (repo / ".env").write_text("STRIPE_SECRET=abc\n")
    answer = run_tool(repo, ToolCall("c1", "read_file", {"path": spelling}))
    assert "abc" not in answer and "refused" in answer


def test_a_name_too_long_for_the_filesystem_is_an_answer_not_a_crash(repo: Path) -> None:
    answer = run_tool(repo, ToolCall("c1", "read_file", {"path": "a" * 300 + ".py"}))
    assert answer.startswith("read_file: ") and "too long" in answer.lower()
    listed = run_tool(repo, ToolCall("c2", "list_files", {"directory": "d" * 300}))
    assert listed.startswith("no files under ddd")  # answered from the listing, nothing opened
