from textstats.core import count_lines, count_words


def test_count_words():
    assert count_words("a b  c\nd") == 4


def test_count_lines():
    assert count_lines("one\ntwo\nthree") == 3
