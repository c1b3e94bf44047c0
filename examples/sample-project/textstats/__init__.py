"""Small text statistics."""

from textstats.core import count_lines, count_words

__all__ = ["count_lines", "count_words"]
