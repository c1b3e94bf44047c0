"""What an agent or a program is sent, and how its answer is read: pure functions.

An API call sends instructions, input and a JSON schema apart; a program takes one text. The
schema goes into that text where the program has no way of its own to take it, and the answer
must then be one JSON object, alone or in a single fenced block: anything else is refused by the
gateway's strict parse, never guessed at.
"""

from __future__ import annotations

import json
import re

from gearshift.models.base import Request

READ_ONLY = """\
You are working in a repository, read-only: read any file you need, search it, but change
nothing and run nothing that writes. Your answer is your final message."""

_FENCED = re.compile(r"\A\s*```(?:json|JSON)?[ \t]*\n(?P<body>.*?)\n```\s*\Z", re.DOTALL)


def render_prompt(request: Request, *, schema_in_prompt: bool, read_only: bool) -> str:
    """The request as one text: instructions, input, and (unless the program takes it apart) the schema."""
    parts = [request.instructions.strip()]
    if read_only:
        parts.append(READ_ONLY)
    parts.append(request.input.strip())
    if request.schema is not None and schema_in_prompt:
        parts.append(schema_section(request))
    return "\n\n".join(part for part in parts if part) + "\n"


def schema_section(request: Request) -> str:
    """How a structured answer must look, for a program that cannot be given the schema apart."""
    assert request.schema is not None
    schema = json.dumps(request.schema.schema, indent=1, sort_keys=True)
    return (
        f"# Answer format\nAnswer with exactly one JSON object and nothing else (no prose before or after),"
        f" fitting this JSON schema ({request.schema.name}); every property is required:\n```json\n{schema}\n```"
    )


def json_answer(text: str) -> str:
    """The JSON text of an answer that is one object, bare or in a single fenced block; else the text as
    it is, for the gateway's strict parse to refuse with the reason."""
    match = _FENCED.match(text)
    return match.group("body").strip() if match else text.strip()
