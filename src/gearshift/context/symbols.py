"""Key symbols of a source file (classes, functions, methods with signatures), with tree-sitter."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from gearshift.context.facts import LANGUAGES

# Test cases in JS/TS are calls, not definitions: test('...'), it('...'), describe('...'), also as
# test.each(...)('...'), it.only('...') and the like; their names are what a planner looks for.
_TEST_CALLS = """
        (call_expression
            function: [
                (identifier) @callee
                (member_expression object: (identifier) @callee)
                (call_expression function: (member_expression object: (identifier) @callee))]
            arguments: (arguments . [(string (string_fragment) @name) (template_string) @name])) @test"""
_TEST_FUNCTIONS = {"test", "it", "describe", "suite", "bench"}

# language -> (grammar module, its language function, query of definitions)
_GRAMMARS: dict[str, tuple[str, str, str]] = {
    "python": (
        "tree_sitter_python",
        "language",
        """
        (class_definition name: (identifier) @name) @class
        (function_definition name: (identifier) @name) @function""",
    ),
    "javascript": (
        "tree_sitter_javascript",
        "language",
        """
        (class_declaration name: (identifier) @name) @class
        (function_declaration name: (identifier) @name) @function
        (method_definition name: (property_identifier) @name) @method
        (variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @function
"""
        + _TEST_CALLS,
    ),
    "typescript": (
        "tree_sitter_typescript",
        "language_typescript",
        """
        (class_declaration name: (type_identifier) @name) @class
        (interface_declaration name: (type_identifier) @name) @interface
        (type_alias_declaration name: (type_identifier) @name) @type
        (function_declaration name: (identifier) @name) @function
        (method_definition name: (property_identifier) @name) @method
        (variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @function
"""
        + _TEST_CALLS,
    ),
    "tsx": (
        "tree_sitter_typescript",
        "language_tsx",
        """
        (class_declaration name: (type_identifier) @name) @class
        (interface_declaration name: (type_identifier) @name) @interface
        (function_declaration name: (identifier) @name) @function
        (method_definition name: (property_identifier) @name) @method
        (variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @function
"""
        + _TEST_CALLS,
    ),
    "go": (
        "tree_sitter_go",
        "language",
        """
        (function_declaration name: (identifier) @name) @function
        (method_declaration name: (field_identifier) @name) @method
        (type_spec name: (type_identifier) @name) @type""",
    ),
    "rust": (
        "tree_sitter_rust",
        "language",
        """
        (function_item name: (identifier) @name) @function
        (struct_item name: (type_identifier) @name) @struct
        (enum_item name: (type_identifier) @name) @enum
        (trait_item name: (type_identifier) @name) @trait""",
    ),
    "java": (
        "tree_sitter_java",
        "language",
        """
        (class_declaration name: (identifier) @name) @class
        (interface_declaration name: (identifier) @name) @interface
        (method_declaration name: (identifier) @name) @method
        (constructor_declaration name: (identifier) @name) @method""",
    ),
}
_CLASS_LIKE = {"class_definition", "class_declaration", "class_body", "impl_item", "interface_declaration"}
_FUNCTION_LIKE = {
    "function_definition",
    "function_declaration",
    "method_definition",
    "method_declaration",
    "function_item",
    "arrow_function",
    "function_expression",
    "constructor_declaration",
}


@dataclass(frozen=True)
class Symbol:
    name: str
    kind: str  # class, function, method, interface, type, struct, enum, trait, test (a JS/TS test call)
    line: int  # 1-based
    end_line: int
    signature: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "line": self.line, "signature": self.signature}


def language_of(path: str) -> str | None:
    """The grammar for a file: its language (from the one table in facts), with TSX apart from TypeScript."""
    suffix = PurePosixPath(path).suffix.lower()
    language = "tsx" if suffix == ".tsx" else LANGUAGES.get(suffix)
    return language if language in _GRAMMARS else None


@functools.cache
def _parser_and_query(language: str) -> tuple[Any, Any]:
    import importlib

    import tree_sitter

    module_name, function, query = _GRAMMARS[language]
    grammar = tree_sitter.Language(getattr(importlib.import_module(module_name), function)())
    return tree_sitter.Parser(grammar), tree_sitter.Query(grammar, query)


def extract_symbols(path: str, source: bytes) -> list[Symbol]:
    language = language_of(path)
    if language is None:
        return []
    import tree_sitter

    parser, query = _parser_and_query(language)
    tree = parser.parse(source)
    symbols: list[Symbol] = []
    for _, captures in tree_sitter.QueryCursor(query).matches(tree.root_node):
        names = captures.get("name")
        if not names:
            continue
        kind, nodes = next((k, v) for k, v in captures.items() if k not in ("name", "callee"))
        node = nodes[0]
        name = (names[0].text or b"").decode("utf-8", "replace").strip("`")
        if kind == "test":  # tests nest inside describe() callbacks: every one of them counts
            callee = (captures["callee"][0].text or b"").decode()
            if callee not in _TEST_FUNCTIONS:  # the query matches any call with a string first
                continue
            symbols.append(Symbol(name, kind, node.start_point[0] + 1, node.end_point[0] + 1, f"{callee}({name!r})"))
            continue
        place = _enclosing(node)
        if place == "function":
            continue  # a helper nested in a function is not a key symbol of the file
        if kind == "function" and place == "class":
            kind = "method"
        symbols.append(
            Symbol(
                name=name,
                kind=kind,
                line=node.start_point[0] + 1,
                end_line=node.end_point[0] + 1,
                signature=_signature((node.text or b"").decode("utf-8", "replace")),
            )
        )
    symbols.sort(key=lambda s: s.line)
    return symbols


def _enclosing(node: Any) -> str | None:
    """'class' or 'function' for the nearest enclosing definition of either kind, else None."""
    parent = node.parent
    while parent is not None:
        if parent.type in _CLASS_LIKE:
            return "class"
        if parent.type in _FUNCTION_LIKE:
            return "function"
        parent = parent.parent
    return None


def _signature(text: str, limit: int = 160) -> str:
    """The definition's head, on one line: up to its body's ':' or '{' outside any brackets."""
    head = " ".join(text.split("\n", 1)[0].split())
    depth = 0
    for index, char in enumerate(head):
        if char in "([<":
            depth += 1
        elif char in ")]>" and depth:
            depth -= 1
        elif depth == 0 and (
            (char == "{" and index) or (char == ":" and head.startswith(("def ", "async def ", "class ")))
        ):
            head = head[:index]
            break
    head = head.rstrip()
    return head if len(head) <= limit else head[: limit - 3] + "..."
