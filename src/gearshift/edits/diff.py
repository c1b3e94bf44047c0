"""A shortest line diff of SEARCH against REPLACE (Myers' algorithm), as difflib-style opcodes.

difflib's SequenceMatcher is not a shortest diff: among lines that repeat (blank lines, ``)``)
it can pair a line with a far copy and call everything between changed. Which lines REPLACE
keeps decides which of the file's own lines stay as they are, so the diff must keep every line
it can.
"""

from __future__ import annotations

MAX_EDITS = 1000  # beyond this many differing lines, the middle is taken as replaced whole

Opcode = tuple[str, int, int, int, int]


def opcodes(a: list[str], b: list[str]) -> list[Opcode]:
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    middle_a, middle_b = a[head : len(a) - tail], b[head : len(b) - tail]
    steps = _steps(middle_a, middle_b)
    if steps is None:  # too far apart to be worth a shortest diff
        steps = ["d"] * len(middle_a) + ["i"] * len(middle_b)
    out: list[Opcode] = [("equal", 0, head, 0, head)] if head else []
    i = j = head
    run: list[str] = []
    for step in [*steps, "="]:
        if step != "=":
            run.append(step)
            continue
        deleted, inserted = run.count("d"), run.count("i")
        if deleted or inserted:
            tag = "replace" if deleted and inserted else "delete" if deleted else "insert"
            out.append((tag, i, i + deleted, j, j + inserted))
            i, j = i + deleted, j + inserted
        run = []
        if i < head + len(middle_a) or j < head + len(middle_b):
            out.append(("equal", i, i + 1, j, j + 1))
            i, j = i + 1, j + 1
    if tail:
        out.append(("equal", i, i + tail, j, j + tail))
    return _merged(out)


def _steps(a: list[str], b: list[str]) -> list[str] | None:
    """The edit script from ``a`` to ``b``: "=" keep, "d" delete, "i" insert; None past MAX_EDITS."""
    n, m = len(a), len(b)
    frontier = {1: 0}
    trace: list[dict[int, int]] = []
    for d in range(min(n + m, MAX_EDITS) + 1):
        trace.append(dict(frontier))
        for k in range(-d, d + 1, 2):
            down = k == -d or (k != d and frontier[k - 1] < frontier[k + 1])
            x = frontier[k + 1] if down else frontier[k - 1] + 1
            y = x - k
            while x < n and y < m and a[x] == b[y]:
                x, y = x + 1, y + 1
            frontier[k] = x
            if x >= n and y >= m:
                return _backtrack(trace, n, m)
    return None


def _backtrack(trace: list[dict[int, int]], x: int, y: int) -> list[str]:
    steps: list[str] = []
    for d in range(len(trace) - 1, -1, -1):
        frontier = trace[d]
        k = x - y
        down = k == -d or (k != d and frontier[k - 1] < frontier[k + 1])
        previous_k = k + 1 if down else k - 1
        previous_x = frontier[previous_k]
        previous_y = previous_x - previous_k
        while x > previous_x and y > previous_y:
            steps.append("=")
            x, y = x - 1, y - 1
        if d > 0:
            steps.append("i" if x == previous_x else "d")
        x, y = previous_x, previous_y
    return steps[::-1]


def _merged(codes: list[Opcode]) -> list[Opcode]:
    out: list[Opcode] = []
    for code in codes:
        if out and out[-1][0] == code[0] == "equal":
            tag, i1, _, j1, _ = out[-1]
            out[-1] = (tag, i1, code[2], j1, code[4])
        else:
            out.append(code)
    return out
