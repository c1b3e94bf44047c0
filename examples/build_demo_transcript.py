"""Write the demo's transcript: hand-written replies, recorded through the real workflow.

    python examples/build_demo_transcript.py

The replies below were written by the gearshift developers, not by a model. This script
plays them through gearshift's real workflow on a fresh copy of the sample project, and
gearshift's recorder writes every request with its reply to the transcript, so that the demo's
replay provider can check that what gearshift asks is what was recorded. Token counts are
estimates from text length (about four characters a token); no reasoning tokens are claimed.
Run it again whenever gearshift's prompts change; the demo's test says when.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from demo import TASK, TEST_CMD, TRANSCRIPT, environment, prepare_project

from gearshift.gateway import Gateway
from gearshift.ledger import Ledger
from gearshift.models import Request, Usage
from gearshift.models.base import ToolCall
from gearshift.models.transcript import RecordingProvider
from gearshift.settings import Settings
from gearshift.testing import FunctionProvider
from gearshift.workflow import RunOptions, Workflow

PLAN = {
    "summary": (
        "Add top_words(text, n) to textstats.core, returning the n most frequent words with their counts,"
        " case-insensitively and without surrounding punctuation, ties in alphabetical order; expose it as"
        " --top N in python -m textstats."
    ),
    "architecture_decisions": [
        "top_words lives in textstats/core.py next to count_words and uses collections.Counter",
        "Words are lowercased and stripped of surrounding punctuation before counting",
        "Ties are ordered alphabetically so the output is deterministic",
        "The command line keeps FILE positional; --top N is parsed with argparse and defaults to 0 (no report)",
    ],
    "steps": [
        {
            "id": 1,
            "title": "Add top_words to textstats.core",
            "description": "Add top_words(text, n) -> list[tuple[str, int]] and export it from the package.",
            "files": ["textstats/core.py", "textstats/__init__.py"],
            "acceptance": [
                "top_words('b a B', 1) == [('b', 2)]",
                "ties are in alphabetical order",
                "n <= 0 gives []",
            ],
            "kind": "implementation",
            "security_critical": False,
            "ambiguities": [],
        },
        {
            "id": 2,
            "title": "Test top_words",
            "description": "Unit tests for case folding, punctuation, ties, and n out of range.",
            "files": ["tests/test_core.py"],
            "acceptance": ["the tests pass with tests/run.py"],
            "kind": "testing",
            "security_critical": False,
            "ambiguities": [],
        },
        {
            "id": 3,
            "title": "Add --top N to the command line",
            "description": "Parse arguments with argparse; after the counts, print the N most frequent words.",
            "files": ["textstats/__main__.py"],
            "acceptance": ["without --top the output is unchanged", "--top 3 lists three words with counts"],
            "kind": "implementation",
            "security_critical": False,
            "ambiguities": [],
        },
        {
            "id": 4,
            "title": "Document --top in the README",
            "description": "Show the --top option in the usage block.",
            "files": ["README.md"],
            "acceptance": ["README.md shows --top N"],
            "kind": "documentation",
            "security_critical": False,
            "ambiguities": [],
        },
    ],
    "risks": [
        {
            "risk": "Punctuation glued to words splits their counts (word, word.)",
            "mitigation": "Strip string.punctuation from each word before counting",
        },
        {
            "risk": "Changing argument parsing breaks the existing usage",
            "mitigation": "Keep FILE positional and the default output identical",
        },
    ],
    "testing_strategy": [
        "Unit tests of top_words: case, punctuation, ties, n out of range",
        "Run the command line on a small file with and without --top",
    ],
}


def block(path: str, search: str, replace: str) -> str:
    return f"{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


# Step 1 forgets the punctuation the plan asked to strip; step 2's tests catch it; the fix mends it.
STEP_REPLIES = {
    1: block(
        "textstats/core.py",
        '"""Counting words and lines."""\n',
        '"""Counting words and lines."""\n\nfrom collections import Counter\n',
    )
    + block(
        "textstats/core.py",
        "    return len(text.splitlines())\n",
        "    return len(text.splitlines())\n\n\n"
        "def top_words(text: str, n: int) -> list[tuple[str, int]]:\n"
        '    """The ``n`` most frequent words of ``text``, case-insensitive, ties in alphabetical order."""\n'
        "    if n <= 0:\n"
        "        return []\n"
        "    counts = Counter(word.lower() for word in text.split())\n"
        "    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]\n",
    )
    + block(
        "textstats/__init__.py",
        'from textstats.core import count_lines, count_words\n\n__all__ = ["count_lines", "count_words"]\n',
        "from textstats.core import count_lines, count_words, top_words\n\n"
        '__all__ = ["count_lines", "count_words", "top_words"]\n',
    ),
    2: block(
        "tests/test_core.py",
        "from textstats.core import count_lines, count_words\n",
        "from textstats.core import count_lines, count_words, top_words\n",
    )
    + block(
        "tests/test_core.py",
        '    assert count_lines("one\\ntwo\\nthree") == 3\n',
        '    assert count_lines("one\\ntwo\\nthree") == 3\n\n\n'
        "def test_top_words_folds_case_and_punctuation():\n"
        '    assert top_words("The cat. the CAT, a dog!", 2) == [("cat", 2), ("the", 2)]\n\n\n'
        "def test_top_words_orders_ties_alphabetically():\n"
        '    assert top_words("b a c", 3) == [("a", 1), ("b", 1), ("c", 1)]\n\n\n'
        "def test_top_words_n_out_of_range():\n"
        '    assert top_words("a a b", 0) == []\n'
        '    assert top_words("a a b", 10) == [("a", 2), ("b", 1)]\n',
    ),
    3: block(
        "textstats/__main__.py",
        "import sys\n\nfrom textstats.core import count_lines, count_words\n",
        "import argparse\nimport sys\n\nfrom textstats.core import count_lines, count_words, top_words\n",
    )
    + block(
        "textstats/__main__.py",
        "    if len(argv) != 1:\n"
        '        print("usage: python -m textstats FILE", file=sys.stderr)\n'
        "        return 2\n"
        '    with open(argv[0], encoding="utf-8") as handle:\n',
        '    parser = argparse.ArgumentParser(prog="python -m textstats", description="Word and line counts.")\n'
        '    parser.add_argument("file")\n'
        "    parser.add_argument(\n"
        '        "--top", type=int, default=0, metavar="N", help="also list the N most frequent words"\n'
        "    )\n"
        "    args = parser.parse_args(argv)\n"
        '    with open(args.file, encoding="utf-8") as handle:\n',
    )
    + block(
        "textstats/__main__.py",
        '    print(f"lines: {count_lines(text)}")\n',
        '    print(f"lines: {count_lines(text)}")\n'
        "    for word, count in top_words(text, args.top):\n"
        '        print(f"{count:>6}  {word}")\n',
    ),
    4: block(
        "README.md",
        "python -m textstats FILE\n",
        "python -m textstats FILE            # words and lines\n"
        "python -m textstats FILE --top 5    # and the 5 most frequent words\n",
    ),
}
FIX_REPLIES = {
    2: block(
        "textstats/core.py",
        "from collections import Counter\n",
        "import string\nfrom collections import Counter\n",
    )
    + block(
        "textstats/core.py",
        "    counts = Counter(word.lower() for word in text.split())\n",
        "    words = (word.strip(string.punctuation).lower() for word in text.split())\n"
        "    counts = Counter(word for word in words if word)\n",
    ),
}
REVIEW = {
    "adherence": [
        {"step_id": 1, "status": "done", "evidence": "top_words added to core.py and exported from the package"},
        {"step_id": 2, "status": "done", "evidence": "three tests cover case, punctuation, ties and range"},
        {"step_id": 3, "status": "done", "evidence": "argparse with FILE and --top N; default output unchanged"},
        {"step_id": 4, "status": "done", "evidence": "README usage shows --top 5"},
    ],
    "issues": [
        {
            "severity": "medium",
            "description": "A negative --top is accepted silently and prints no words; reject it with an error",
            "file": "textstats/__main__.py",
            "line": 11,
        },
        {
            "severity": "low",
            "description": "Step 1 first counted 'cat.' and 'cat,' apart; the fix in step 2 followed the plan",
            "file": "textstats/core.py",
            "line": 20,
        },
    ],
    "recommendations": [
        "Validate --top N >= 0 in argparse (type=a non-negative int)",
        "Add a command-line test that runs python -m textstats with and without --top",
    ],
}


def scripted_reply(request: Request) -> str | list[ToolCall]:
    """The replies above, by what each request asks. Used only to write the transcript.

    The planner reads the module it plans against first, through the read_file tool."""
    schema = request.schema.name if request.schema else None
    if schema == "plan" and request.tools and not request.turns:
        return [ToolCall("call_1", "read_file", {"path": "textstats/core.py"})]
    if schema == "plan":
        return json.dumps(PLAN)
    if schema == "review":
        return json.dumps(REVIEW)
    if "# The check failed after this step" in request.input:
        return FIX_REPLIES[_number(request.input, "so that step ")]
    return STEP_REPLIES[_number(request.input, "Implement step ")]


def estimated_usage(request: Request, text: str) -> Usage:
    read = "".join(result.content for turn in request.turns for result in turn.results)
    return Usage(input_tokens=len(request.instructions + request.input + read) // 4, output_tokens=len(text) // 4)


def _number(text: str, after: str) -> int:
    return int(text.split(after, 1)[1].split()[0])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = prepare_project(Path(tmp) / "textstats")
        os.environ.update(environment(Path(tmp) / "home"))
        TRANSCRIPT.parent.mkdir(parents=True, exist_ok=True)
        TRANSCRIPT.unlink(missing_ok=True)
        with Ledger(Path(tmp) / "ledger.db") as ledger:
            workflow = Workflow(
                project,
                Settings(),
                ledger,
                Gateway(ledger),
                providers=RecordingProvider(
                    FunctionProvider(scripted_reply, name="openai", usage=estimated_usage), TRANSCRIPT
                ),
                say=print,
            )
            result = workflow.run(TASK, RunOptions(test_cmd=TEST_CMD))
            assert result.status == "done", result
    print(f"wrote {TRANSCRIPT}")


if __name__ == "__main__":
    main()
