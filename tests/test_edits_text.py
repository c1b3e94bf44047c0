"""A file's bytes survive an edit: encoding, byte-order mark, every line ending, bytes that are not UTF-8."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gearshift.edits import EditBlock, edit_bytes
from gearshift.edits.diff import opcodes
from gearshift.edits.textfile import decode
from gearshift.errors import EditError


def block(search: str, replace: str) -> EditBlock:
    return EditBlock("f.py", search, replace, 1)


@given(st.binary(max_size=400).filter(lambda data: b"\0" not in data))
def test_decoding_then_encoding_gives_back_the_same_bytes(data: bytes) -> None:
    assert decode(data).encode() == data


@given(
    st.lists(
        st.tuples(
            st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\0"), max_size=12),
            st.sampled_from(["\n", "\r\n", "\r"]),
        ),
        min_size=1,
        max_size=12,
    ),
    st.data(),
)
def test_an_edit_touches_only_its_lines_in_a_file_of_mixed_line_endings(
    lines: list[tuple[str, str]], data: st.DataObject
) -> None:
    marked = [(f"{text} #{i}", ending) for i, (text, ending) in enumerate(lines)]
    at = data.draw(st.integers(0, len(marked) - 1))
    content = "".join(text + ending for text, ending in marked)
    newline = decode(content.encode()).newline
    result = edit_bytes(content.encode(), [block(marked[at][0] + "\n", "new one\nnew two\n")])
    # new lines take the line ending most lines have; every other line keeps its own
    expected = [*marked[:at], ("new one", newline), ("new two", newline), *marked[at + 1 :]]
    assert result == "".join(text + ending for text, ending in expected).encode()


def test_the_last_line_without_a_line_break_keeps_having_none() -> None:
    assert edit_bytes(b"a = 1\r\nb = 2", [block("b = 2\n", "b = 3\nc = 4\n")]) == b"a = 1\r\nb = 3\r\nc = 4"


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
    ],
)
def test_a_byte_order_mark_and_its_encoding_stay(bom: bytes, encoding: str) -> None:
    data = bom + "x = 'é'\r\ny = 2\r\n".encode(encoding)
    assert edit_bytes(data, [block("y = 2\n", "y = 'ü'\n")]) == bom + "x = 'é'\r\ny = 'ü'\r\n".encode(encoding)


def test_a_file_that_is_not_utf8_keeps_its_bytes_and_takes_only_ascii() -> None:
    latin = "name = 'Zoë'\nx = 1\n".encode("latin-1")
    assert edit_bytes(latin, [block("x = 1\n", "x = 2\n")]) == "name = 'Zoë'\nx = 2\n".encode("latin-1")
    with pytest.raises(EditError, match="only ASCII"):
        edit_bytes(latin, [block("x = 1\n", "x = 'ü'\n")])


def test_a_binary_file_is_refused() -> None:
    with pytest.raises(EditError, match="binary"):
        edit_bytes(b"\x89PNG\r\n\x1a\n\0\0\0", [block("x\n", "y\n")])


def test_lone_surrogates_from_a_reply_are_refused() -> None:
    with pytest.raises(EditError, match="not valid Unicode"):
        edit_bytes(b"x = 1\n", [block("x = 1\n", "x = '\udc80'\n")])


def test_a_form_feed_inside_a_line_is_not_a_line_break() -> None:
    data = b"a = 1\n\x0c\nclass C:\n    pass\n"
    assert edit_bytes(data, [block("\x0c\nclass C:\n", "\x0c\nclass D:\n")]) == b"a = 1\n\x0c\nclass D:\n    pass\n"


def _lcs(a: list[str], b: list[str]) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if a[i] == b[j] else max(table[i + 1][j], table[i][j + 1])
    return table[0][0]


@given(
    st.lists(st.sampled_from(["", "x", "y", ")", "pass"]), max_size=14),
    st.lists(st.sampled_from(["", "x", "z", ")"]), max_size=14),
)
def test_the_line_diff_is_a_shortest_one(a: list[str], b: list[str]) -> None:
    codes = opcodes(a, b)
    rebuilt: list[str] = []
    kept = 0
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
            kept += i2 - i1
        rebuilt += b[j1:j2]
    assert rebuilt == b
    assert [c[1] for c in codes] == sorted(c[1] for c in codes) and (codes[-1][2] if codes else 0) == len(a)
    assert kept == _lcs(a, b)  # every line that can be kept is
