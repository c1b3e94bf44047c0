"""Counting words and lines."""


def count_words(text: str) -> int:
    """Number of whitespace-separated words in ``text``."""
    return len(text.split())


def count_lines(text: str) -> int:
    """Number of lines in ``text``; a last line without a newline still counts."""
    return len(text.splitlines())
