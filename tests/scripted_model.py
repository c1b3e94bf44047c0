"""A scripted model behind the loopback API: it answers each request by what the request asks.

Plan requests (schema 'plan') get the plan; "Implement step N" gets that step's edit blocks;
a failed check gets the fix; review requests (schema 'review') get the review. Because it
answers by content rather than by order, a run killed in one process and resumed in another
sees the same model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fakeapi import Scripted, Seen, responses_reply

from gearshift.testing import FunctionProvider

CALC = "def add(a, b):\n    return a + b\n"
CHECK = """\
import calc

assert calc.add(2, 3) == 5
if hasattr(calc, "mul"):
    assert calc.mul(2, 3) == 6, "mul(2, 3) should be 6"
if hasattr(calc, "sub"):
    assert calc.sub(5, 3) == 2, "sub(5, 3) should be 2"
print("all checks passed")
"""

PLAN = {
    "summary": "Add multiplication and subtraction to calc, and document them.",
    "architecture_decisions": ["Plain functions in calc.py, no classes", "Document in README.md"],
    "steps": [
        {
            "id": 1,
            "title": "Add mul",
            "description": "Add mul(a, b) returning the product.",
            "files": ["calc.py"],
            "acceptance": ["mul(2, 3) == 6"],
            "kind": "implementation",
            "security_critical": False,
            "ambiguities": [],
        },
        {
            "id": 2,
            "title": "Add sub",
            "description": "Add sub(a, b) returning a - b.",
            "files": ["calc.py"],
            "acceptance": ["sub(5, 3) == 2"],
            "kind": "implementation",
            "security_critical": False,
            "ambiguities": [],
        },
        {
            "id": 3,
            "title": "Document the functions",
            "description": "Create README.md listing add, mul and sub.",
            "files": ["README.md"],
            "acceptance": ["README.md names every function"],
            "kind": "documentation",
            "security_critical": False,
            "ambiguities": [],
        },
    ],
    "risks": [{"risk": "Integer overflow", "mitigation": "Python ints do not overflow"}],
    "testing_strategy": ["check.py asserts each function"],
}

REVIEW = {
    "adherence": [
        {"step_id": 1, "status": "done", "evidence": "mul added"},
        {"step_id": 2, "status": "done", "evidence": "sub added"},
        {"step_id": 3, "status": "done", "evidence": "README.md lists the functions"},
    ],
    "issues": [{"severity": "low", "description": "No docstrings", "file": "calc.py", "line": 1}],
    "recommendations": ["Add docstrings"],
}


def block(path: str, search: str, replace: str) -> str:
    return f"{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


# step 1 is wrong at first (a sum, not a product): the check fails and the fix corrects it
STEP_EDITS = {
    1: block("calc.py", "    return a + b\n", "    return a + b\n\n\ndef mul(a, b):\n    return a + b\n"),
    2: block("calc.py", "def add(a, b):\n", "def sub(a, b):\n    return a - b\n\n\ndef add(a, b):\n"),
    3: block("README.md", "", "# calc\n\n- add(a, b)\n- mul(a, b)\n- sub(a, b)\n"),
}
# a fix that never works, and applies again and again: mul(2, 3) becomes 3 - 2
BAD_FIX = block("calc.py", "def mul(a, b):\n", "def mul(a, b):\n    a = -a\n")
FIX_EDITS = {1: block("calc.py", "def mul(a, b):\n    return a + b\n", "def mul(a, b):\n    return a * b\n")}


@dataclass
class ScriptedModel:
    plan: dict[str, Any] = field(default_factory=lambda: json.loads(json.dumps(PLAN)))
    review: dict[str, Any] = field(default_factory=lambda: json.loads(json.dumps(REVIEW)))
    step_edits: dict[int, str] = field(default_factory=lambda: dict(STEP_EDITS))
    fix_edits: dict[int, str] = field(default_factory=lambda: dict(FIX_EDITS))
    asked: list[str] = field(default_factory=list)  # what each request was: plan, step 1, fix 1, review
    inputs: list[str] = field(default_factory=list)  # the text of each request, in order
    before_reply: Callable[[int], None] | None = None  # called with the request number (from 1)

    def __call__(self, seen: Seen) -> Scripted:
        """The model behind the loopback server, in the Responses wire format."""
        body = seen.body
        kind = ((body.get("text") or {}).get("format") or {}).get("name")
        text = body.get("input", "")
        reply = self.answer(kind, text)
        return responses_reply(
            reply, input_tokens=len(text) // 4, output_tokens=len(reply) // 4 + 20, reasoning_tokens=10
        )

    def provider(self) -> FunctionProvider:
        """The same model as a library user's provider: no server, no wire format."""
        return FunctionProvider(
            lambda request: self.answer(request.schema.name if request.schema else None, request.input)
        )

    def answer(self, kind: str | None, text: str) -> str:
        self.inputs.append(text)
        if kind == "plan":
            what, reply = "plan", json.dumps(self.plan)
        elif kind == "review":
            what, reply = "review", json.dumps(self.review)
        elif "# The check failed after this step" in text:
            n = int(re.search(r"so that step (\d+) meets", text).group(1))  # type: ignore[union-attr]
            what, reply = f"fix {n}", self.fix_edits[n]
        else:
            n = int(re.search(r"Implement step (\d+) from the plan", text).group(1))  # type: ignore[union-attr]
            what, reply = f"step {n}", self.step_edits[n]
        self.asked.append(what)
        if self.before_reply:
            self.before_reply(len(self.asked))
        return reply

    def serve(self, api: Any, count: int = 200) -> None:
        api.push(*[self] * count)
