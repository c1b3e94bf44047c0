"""python -m textstats FILE: print the word and line counts of FILE."""

import sys

from textstats.core import count_lines, count_words


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m textstats FILE", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        text = handle.read()
    print(f"words: {count_words(text)}")
    print(f"lines: {count_lines(text)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
