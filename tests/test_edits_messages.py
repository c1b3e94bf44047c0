"""What a refusal says: enough for the model to fix its block, bounded, and never a secret's lines."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gearshift.edits import EditBlock, apply_edit_blocks, edit_bytes, parse_edit_blocks
from gearshift.edits.bounds import MAX_REPLY_CHARS
from gearshift.errors import EditError


def block(path: str, search: str, replace: str) -> str:
    return f"{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def refusal(data: bytes, search: str, replace: str, path: str = "f.py") -> str:
    with pytest.raises(EditError) as caught:
        edit_bytes(data, [EditBlock(path, search, replace, 1)])
    return caught.value.message


def test_no_match_quotes_the_nearest_lines_with_their_numbers() -> None:
    data = b"import os\n\ndef run():\n    return os.getcwd()\n\n\nx = 1\n"
    message = refusal(data, "def run():\n    return os.getcwd( )\n", "def run():\n    return 1\n")
    assert message.startswith("the block at line 1 ('f.py'): SEARCH does not match the file; the nearest lines are 3-4")
    assert "    3 | def run():" in message


def test_a_slip_in_a_line_the_block_changes_is_refused_and_named() -> None:
    data = b"a = 1\nb = 2\nc = compute(3)\nd = 4\n"
    message = refusal(data, "a = 1\nb = 2\nc = compote(3)\nd = 4\n", "a = 1\nb = 2\nc = compute(30)\nd = 4\n")
    assert "differs from the file's line" in message
    assert "3 | c = compute(3)" in message


def test_an_ambiguous_part_after_an_elision_is_named() -> None:
    data = b"def f():\n    a\n    return x\n    b\n    return x\n"
    message = refusal(data, "def f():\n    ...\n    return x\n", "def f():\n    ...\n    return 0\n")
    assert "part 2 of SEARCH's 2 (between `...` lines) starting 'return x' matches more than one place" in message
    assert "(lines 3, 5…)" in message


@pytest.mark.parametrize(
    "path", [".env", ".npmrc", "id_rsa", "config/credentials.yml", "deploy.pem", ".env/.", "./.env/.", "sub\\.env"]
)
def test_a_secret_looking_file_is_never_quoted(path: str) -> None:
    data = b"TOKEN=hunter2-very-secret\nOTHER=value\n"
    message = refusal(data, "TOKEN=hunter2-very-secret \nOTHER=valuex\n", "TOKEN=x\n", path=path)
    assert "hunter2" not in message
    assert "its lines are not quoted" in message


def test_a_reply_over_the_limit_is_not_read_or_echoed() -> None:
    garbage = ("<<<<<<< SEARCH\n" + "A" * 1000 + "\n") * (MAX_REPLY_CHARS // 1000)
    with pytest.raises(EditError) as caught:
        parse_edit_blocks(garbage)
    assert len(caught.value.message) < 200
    assert "AAAA" not in caught.value.message


def test_many_refused_blocks_give_one_bounded_message(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("".join(f"line {i}\n" for i in range(2000)))
    reply = "".join(block("a.py", f"line {i} but not quite\n" * 50, "x\n") for i in range(500))
    with pytest.raises(EditError) as caught:
        apply_edit_blocks(tmp_path, parse_edit_blocks(reply))
    message = caught.value.message
    assert message.startswith("500 problems, nothing was applied; the first: the block at line 2 ('a.py')")
    assert len(message) < 6000
    assert "… and 495 more" in message


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=1, max_size=3000), st.text(max_size=3000))
def test_every_refusal_is_bounded_whatever_the_block(search: str, path_tail: str) -> None:
    long_line = "x" * 100_000
    data = f"{long_line}\n{search}\n".encode("utf-8", "replace")
    try:
        edit_bytes(data, [EditBlock("p" + path_tail, long_line[:-1] + search + "\n" + search, "r\n", 1)])
    except EditError as exc:
        assert len(exc.message) < 4000


def test_the_message_goes_back_as_the_first_line_alone_for_a_step(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "a.py").write_text("a = 1\n")
    with pytest.raises(EditError) as caught:
        apply_edit_blocks(tmp_path, parse_edit_blocks(block("a.py", "b = 1\n", "b = 2\n")))
    first = caught.value.message.splitlines()[0]
    assert "a.py" in first and "does not match" in first
