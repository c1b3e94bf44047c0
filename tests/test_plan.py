from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gearshift.plan import (
    STEP_KINDS,
    Plan,
    PlanSyntaxError,
    Risk,
    Step,
    one_line,
    parse_plan_markdown,
    plan_from_reply,
    plan_json_schema,
    render_plan_markdown,
)
from gearshift.review import review_json_schema

text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
line = text.filter(lambda t: one_line(t) != "")
paragraph = st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40), max_size=4).map(
    "\n".join
)
steps = st.lists(
    st.builds(
        Step,
        id=st.integers(1, 99),
        title=line,
        description=paragraph,
        files=st.lists(line, max_size=3),
        reads=st.lists(line, max_size=2),
        acceptance=st.lists(line, max_size=3),
        kind=st.sampled_from(STEP_KINDS),
        security_critical=st.booleans(),
        ambiguities=st.lists(line, max_size=2),
    ),
    min_size=1,
    max_size=4,
)
plans = st.builds(
    Plan,
    summary=paragraph,
    architecture_decisions=st.lists(line, max_size=3),
    steps=steps,
    risks=st.lists(st.builds(Risk, risk=line, mitigation=text), max_size=3),
    testing_strategy=st.lists(line, max_size=3),
)


def normal(plan: Plan) -> Plan:
    """What survives a trip through plan.md: single-line items, trimmed paragraphs, ids by position."""

    def para(value: str) -> str:
        return "\n".join(line.rstrip() for line in value.strip().splitlines()).strip()

    return Plan(
        summary=para(plan.summary),
        architecture_decisions=[one_line(d) for d in plan.architecture_decisions],
        steps=[
            Step(
                id=n,
                title=one_line(s.title),
                description=para(s.description),
                files=[one_line(f.replace(",", " ")) for f in s.files if one_line(f.replace(",", " "))],
                reads=[one_line(f.replace(",", " ")) for f in s.reads if one_line(f.replace(",", " "))],
                acceptance=[one_line(a) for a in s.acceptance],
                kind=s.kind,
                security_critical=s.security_critical,
                ambiguities=[one_line(a) for a in s.ambiguities],
            )
            for n, s in enumerate(plan.steps, start=1)
        ],
        risks=[Risk(risk=one_line(r.risk), mitigation=one_line(r.mitigation)) for r in plan.risks],
        testing_strategy=[one_line(t) for t in plan.testing_strategy],
    )


@settings(max_examples=300)
@given(plans, text)
def test_markdown_round_trips(plan: Plan, task: str) -> None:
    markdown = render_plan_markdown(plan, task)
    assert parse_plan_markdown(markdown) == normal(plan)
    assert render_plan_markdown(parse_plan_markdown(markdown), task) == markdown or normal(plan) != plan


def test_the_markdown_has_the_seeds_shape() -> None:
    plan = plan_from_reply(
        {
            "summary": "JWT auth.",
            "architecture_decisions": ["JWT tokens with refresh token rotation"],
            "steps": [
                {
                    "id": 7,
                    "title": "Create User model",
                    "description": "Email and password hash.",
                    "files": ["app/models.py"],
                    "acceptance": ["a user can be stored"],
                    "kind": "implementation",
                    "security_critical": False,
                    "ambiguities": [],
                },
                {
                    "id": 9,
                    "title": "Add rate limiting",
                    "description": "On /auth/*.",
                    "files": [],
                    "acceptance": [],
                    "kind": "security",
                    "security_critical": True,
                    "ambiguities": ["which limit?"],
                },
            ],
            "risks": [{"risk": "Brute force", "mitigation": "Implement rate limiting"}],
            "testing_strategy": ["Unit tests: password hashing"],
        }
    )
    markdown = render_plan_markdown(plan, "Add JWT authentication")
    assert [s.id for s in plan.steps] == [1, 2]
    for heading in ("## Architecture Decision", "## Implementation Steps", "## Risk Assessment", "## Testing Strategy"):
        assert heading in markdown
    assert "### 1. Create User model" in markdown
    assert "- Security critical: yes" in markdown
    assert "- Brute force\n  Mitigation: Implement rate limiting" in markdown


def test_a_person_can_reorder_delete_and_add_steps() -> None:
    markdown = """# Plan: x

## Summary
Do it.

## Implementation Steps

### 1. First
Keep this.
- Kind: implementation

### 2. Second
To be deleted.

### 3. Third
Moved up.
- Files: b.py

### 4. Brand new
Added by hand.
- Kind: testing
- Acceptance:
  - it passes
"""
    edited = markdown.replace("### 2. Second\nTo be deleted.\n\n", "")
    plan = parse_plan_markdown(edited)
    assert [(s.id, s.title) for s in plan.steps] == [(1, "First"), (2, "Third"), (3, "Brand new")]
    assert plan.steps[1].files == ["b.py"]
    assert plan.steps[2].kind == "testing"
    assert plan.steps[2].acceptance == ["it passes"]


@pytest.mark.parametrize(
    ("markdown", "line", "words"),
    [
        ("## Summary\nx\n## Implementation Steps\n### 1. A\n- Kind: magic\n", 5, "unknown kind 'magic'"),
        ("## Summary\nx\n## Implementation Steps\n", 1, "no steps"),
        ("## Summary\nx\n## Implementation Steps\n### 1.\n", 4, "needs a title"),
        ("## Summary\n## Implemention Steps\n", 2, "unknown section 'Implemention Steps'"),
        ("## Implementation Steps\nstray text\n### 1. A\n", 2, "text before the first step"),
        ("## Implementation Steps\n### 1. A\n- Security critical: maybe\n", 3, "yes or no"),
        ("## Implementation Steps\n### 1. A\n## Risk Assessment\nno dash\n", 4, "expected '- risk'"),
    ],
)
def test_unparseable_edits_name_their_line(markdown: str, line: int, words: str) -> None:
    with pytest.raises(PlanSyntaxError, match=rf"plan.md line {line}: .*{words}") as caught:
        parse_plan_markdown(markdown)
    assert caught.value.line == line


@given(st.text(max_size=400))
def test_any_text_parses_or_fails_with_a_line(markdown: str) -> None:
    try:
        plan = parse_plan_markdown(markdown)
    except PlanSyntaxError as exc:
        assert exc.line >= 1
    else:
        assert plan.steps


def _objects(node: object) -> list[dict]:  # type: ignore[type-arg]
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found += _objects(value)
    elif isinstance(node, list):
        for value in node:
            found += _objects(value)
    return found


@pytest.mark.parametrize("schema", [plan_json_schema(), review_json_schema()])
def test_schemas_are_strict(schema: dict) -> None:  # type: ignore[type-arg]
    objects = _objects(schema)
    assert objects
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])


def test_a_plan_without_the_right_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="the plan does not fit its schema at steps.0.kind"):
        plan_from_reply(
            {
                "summary": "",
                "architecture_decisions": [],
                "risks": [],
                "testing_strategy": [],
                "steps": [
                    {
                        "id": 1,
                        "title": "t",
                        "description": "",
                        "files": [],
                        "acceptance": [],
                        "kind": "party",
                        "security_critical": False,
                        "ambiguities": [],
                    }
                ],
            }
        )
