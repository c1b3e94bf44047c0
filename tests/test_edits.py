from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gearshift.edits import EditBlock, apply_edit_blocks, confined_path, parse_edit_blocks
from gearshift.errors import EditError


def block(path: str, search: str, replace: str) -> str:
    return f"{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def test_parse_several_blocks_with_fences_and_prose() -> None:
    reply = (
        "Here is the change.\n\n`src/a.py`\n```python\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n"
        "and a new file:\n" + block("docs/new.md", "", "# New\n")
    )
    blocks = parse_edit_blocks(reply)
    assert [(b.path, b.search, b.replace) for b in blocks] == [
        ("src/a.py", "x = 1\n", "x = 2\n"),
        ("docs/new.md", "", "# New\n"),
    ]


def test_an_unclosed_block_is_named() -> None:
    with pytest.raises(EditError, match="the edit block at line 2 is not closed"):
        parse_edit_blocks("a.py\n<<<<<<< SEARCH\nx\n=======\ny\n")


def test_apply_exact_then_whitespace_tolerant(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    return 1   \n\n\nclass C:\n    def g(self):\n        return 2\n")
    changed = apply_edit_blocks(
        tmp_path,
        parse_edit_blocks(
            block("a.py", "def f():\n    return 1\n", "def f():\n    return 10\n")  # trailing spaces differ
            # the method copied without its class's indentation: the replacement is shifted to fit
            + block("a.py", "def g(self):\n    return 2\n", "def g(self):\n    x = 2\n    return x * 10\n")
        ),
    )
    assert changed == ["a.py"]
    assert (tmp_path / "a.py").read_text() == (
        "def f():\n    return 10\n\n\nclass C:\n    def g(self):\n        x = 2\n        return x * 10\n"
    )


def test_all_or_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a = 1\n")
    (tmp_path / "b.py").write_text("b = 1\n")
    reply = block("a.py", "a = 1\n", "a = 2\n") + block("b.py", "not there\n", "b = 2\n")
    with pytest.raises(EditError, match=r"\(.b.py.\): SEARCH does not match the file"):
        apply_edit_blocks(tmp_path, parse_edit_blocks(reply))
    assert (tmp_path / "a.py").read_text() == "a = 1\n"
    assert (tmp_path / "b.py").read_text() == "b = 1\n"


def test_ambiguous_search_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\ny = 2\nx = 1\n")
    with pytest.raises(EditError, match="matches more than one place"):
        apply_edit_blocks(tmp_path, parse_edit_blocks(block("a.py", "x = 1\n", "x = 3\n")))


def test_create_and_refuse_to_overwrite(tmp_path: Path) -> None:
    apply_edit_blocks(tmp_path, parse_edit_blocks(block("pkg/new.py", "", "n = 1\n")))
    assert (tmp_path / "pkg" / "new.py").read_text() == "n = 1\n"
    with pytest.raises(EditError, match="already exists"):
        apply_edit_blocks(tmp_path, parse_edit_blocks(block("pkg/new.py", "", "n = 2\n")))
    with pytest.raises(EditError, match="does not exist; to create it, leave SEARCH empty"):
        apply_edit_blocks(tmp_path, parse_edit_blocks(block("other.py", "x\n", "y\n")))


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/etc/passwd", "absolute paths are refused"),
        ("../outside.txt", "'..' is refused"),
        ("src/../../outside.txt", "'..' is refused"),
        (".git/config", "writing under .git/ is refused"),
        (".gearshift/ledger.db", "writing under .gearshift/ is refused"),
        ("C:\\\\Windows\\\\x", "absolute paths are refused"),
        ("link/evil.txt", "is a symbolic link"),
        ("linkfile", "is a symbolic link"),
    ],
)
def test_paths_outside_the_repository_are_refused_and_nothing_is_written(tmp_path: Path, path: str, words: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, repo / "link")
    os.symlink(outside / "target.txt", repo / "linkfile")
    (repo / "ok.py").write_text("ok = 1\n")
    reply = block("ok.py", "ok = 1\n", "ok = 2\n") + block(path, "", "pwned\n")
    with pytest.raises(EditError, match=words):
        apply_edit_blocks(repo, parse_edit_blocks(reply))
    assert (repo / "ok.py").read_text() == "ok = 1\n"  # the good block was not applied either
    assert list(outside.iterdir()) == []
    assert not (tmp_path / "outside.txt").exists()


def test_confined_path_accepts_ordinary_paths(tmp_path: Path) -> None:
    assert confined_path(tmp_path, "src/pkg/mod.py") == tmp_path.resolve() / "src" / "pkg" / "mod.py"


LINE_BREAKS = "\r\n"  # only these break lines: a form feed or U+2028 is part of a line
MARKERS = ("=======", "<<<<<<< SEARCH", ">>>>>>> REPLACE")
one_line_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=LINE_BREAKS + "\x00"), max_size=20
)
lines = st.lists(one_line_text, min_size=1, max_size=6)


@given(before=lines, target=lines, after=lines, replacement=lines)
def test_a_unique_block_replaces_exactly_its_lines(
    tmp_path_factory: pytest.TempPathFactory,
    before: list[str],
    target: list[str],
    after: list[str],
    replacement: list[str],
) -> None:
    marked = [*target[:-1], target[-1] + " #gearshift-target"]
    content = "".join(f"{line}\n" for line in [*before, *marked, *after])
    search = "".join(f"{line}\n" for line in marked)
    replace = "".join(f"{line}\n" for line in replacement)
    if content.count(search) != 1 or any(text.strip() in MARKERS for text in [*marked, *replacement]):
        return
    root = tmp_path_factory.mktemp("edit")
    (root / "f.txt").write_text(content, encoding="utf-8")
    apply_edit_blocks(root, [EditBlock("f.txt", search, replace, 1)])
    assert (root / "f.txt").read_text(encoding="utf-8") == content.replace(search, replace)


@given(st.text(max_size=300))
def test_parsing_never_crashes_on_arbitrary_replies(reply: str) -> None:
    try:
        blocks = parse_edit_blocks(reply)
    except EditError:
        return
    for parsed in blocks:
        assert parsed.path


def test_a_block_right_after_another_without_a_path_edits_the_same_file() -> None:
    reply = block("a.py", "x = 1\n", "x = 2\n") + "<<<<<<< SEARCH\ny = 1\n=======\ny = 2\n>>>>>>> REPLACE\n"
    assert [(b.path, b.search) for b in parse_edit_blocks(reply)] == [("a.py", "x = 1\n"), ("a.py", "y = 1\n")]


def test_a_reply_with_crlf_line_breaks_parses_as_with_lf() -> None:
    reply = block("a.py", "x = 1\n", "x = 2\n")
    assert parse_edit_blocks(reply.replace("\n", "\r\n")) == parse_edit_blocks(reply)


def test_check_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a = 1\n")
    assert apply_edit_blocks(tmp_path, parse_edit_blocks(block("a.py", "a = 1\n", "a = 2\n")), check=True) == ["a.py"]
    assert (tmp_path / "a.py").read_text() == "a = 1\n"


def test_two_spellings_of_one_file_are_one_file(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a = 1\nb = 1\n")
    reply = block("a.py", "a = 1\n", "a = 2\n") + block("./a.py", "b = 1\n", "b = 2\n")
    assert apply_edit_blocks(tmp_path, parse_edit_blocks(reply)) == ["a.py"]
    assert (tmp_path / "a.py").read_text() == "a = 2\nb = 2\n"


def test_an_elision_comment_in_replace_alone_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    a = 1\n    b = 2\n")
    reply = block("a.py", "def f():\n    a = 1\n    b = 2\n", "def f():\n    a = 10\n    # ... rest unchanged\n")
    with pytest.raises(EditError, match="SEARCH has no `...`"):
        apply_edit_blocks(tmp_path, parse_edit_blocks(reply))


def test_a_python_ellipsis_in_search_is_code_first(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("class P(Protocol):\n    def f(self) -> int:\n        ...\n")
    reply = block("a.py", "    def f(self) -> int:\n        ...\n", "    def f(self) -> str:\n        ...\n")
    apply_edit_blocks(tmp_path, parse_edit_blocks(reply))
    assert (tmp_path / "a.py").read_text() == "class P(Protocol):\n    def f(self) -> str:\n        ...\n"


@pytest.mark.parametrize(
    ("line", "path"),
    [
        ("src/a.py", "src/a.py"),
        ("`src/a.py`", "src/a.py"),
        ("**src/a.py**", "src/a.py"),
        ("# src/a.py", "src/a.py"),
        ("File: src/a.py", "src/a.py"),
        ("In `src/a.py`:", "src/a.py"),
        ("src/a.py:", "src/a.py"),
    ],
)
def test_the_path_line_may_be_dressed(line: str, path: str) -> None:
    assert parse_edit_blocks(f"{line}\n<<<<<<< SEARCH\n=======\nx\n>>>>>>> REPLACE\n")[0].path == path


def test_a_line_of_prose_is_not_taken_for_a_path() -> None:
    with pytest.raises(EditError, match="has no file path"):
        parse_edit_blocks("Here is the new file:\n<<<<<<< SEARCH\n=======\nx\n>>>>>>> REPLACE\n")


def test_a_comment_starting_with_dots_is_code_even_when_search_slips(tmp_path: Path) -> None:
    # the slip sends the block past the exact levels; the comment must not turn into an elision there
    (tmp_path / "a.py").write_text("x = compute(0)\nif y:\n    # ... naming-a-file#win32\n    a = 1\n")
    search = "x = compote(0)\nif y:\n    # ... naming-a-file#win32\n    a = 1\n"
    replace = "x = compote(0)\n# ... naming-a-file#win32\na = 1\n"
    apply_edit_blocks(tmp_path, parse_edit_blocks(block("a.py", search, replace)))
    assert (tmp_path / "a.py").read_text() == "x = compute(0)\n# ... naming-a-file#win32\na = 1\n"


def test_a_python_ellipsis_line_with_a_slip_elsewhere_is_read_as_code(tmp_path: Path) -> None:
    before = "def f():\n    x = compute(1)\n    y = compute(2)\n    ...\n    z = compute(3)\n"
    (tmp_path / "a.py").write_text(before)
    search = "def f():\n    x = compute(1)\n    y = compote(2)\n    ...\n    z = compute(3)\n"
    replace = "def f():\n    x = compute(1)\n    y = compote(2)\n    return None\n    z = compute(3)\n"
    apply_edit_blocks(tmp_path, parse_edit_blocks(block("a.py", search, replace)))
    assert (tmp_path / "a.py").read_text() == before.replace("    ...\n", "    return None\n")


def test_one_search_line_cannot_tell_how_several_replace_lines_are_off(tmp_path: Path) -> None:
    # the block shifted left as a whole, or only its first lines unindented? The two put new_5 apart
    (tmp_path / "a.py").write_text("    pass\n" * 5 + "\n")
    with pytest.raises(EditError, match="SEARCH has one line, indented unlike the file"):
        apply_edit_blocks(tmp_path, parse_edit_blocks(block("a.py", "pass\n\n", "new_4()\n\n    new_5()\n")))
