"""Key symbols of a source file, with tree-sitter: definitions with their signatures in full, and
(on request) the assignments at class and module level, with the words of their values."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from gearshift.context.facts import LANGUAGES
from gearshift.context.grammars import BODY_TYPES, CLASS_LIKE, FUNCTION_LIKE, GRAMMARS, TEST_FUNCTIONS
from gearshift.context.words import words

ASSIGNMENTS = ("attribute", "constant")
SIGNATURE_LIMIT = 1000  # characters: whole signatures, short of generated code's
SHORT_EXPRESSION = 80  # bytes: an arrow function or a type alias this short is shown whole
VALUE_LIMIT = 120  # an assignment shows its head; its value's words are matched in full
VALUE_WORDS_LIMIT = 400


@dataclass(frozen=True)
class Symbol:
    name: str
    kind: str  # class, function, method, interface, type, struct, enum, trait, test, attribute, constant
    line: int  # 1-based
    end_line: int
    signature: str
    words: tuple[str, ...] = ()  # an assignment's: the words of its name and value, to match a task

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "kind": self.kind, "line": self.line, "signature": self.signature}
        if self.words:
            data["words"] = list(self.words)
        return data


def language_of(path: str) -> str | None:
    """The grammar for a file: its language (from the one table in facts), with TSX apart from TypeScript."""
    suffix = PurePosixPath(path).suffix.lower()
    language = "tsx" if suffix == ".tsx" else LANGUAGES.get(suffix)
    return language if language in GRAMMARS else None


@functools.cache
def _parser_and_queries(language: str) -> tuple[Any, Any, Any]:
    import importlib

    import tree_sitter

    module_name, function, definitions, assignments = GRAMMARS[language]
    grammar = tree_sitter.Language(getattr(importlib.import_module(module_name), function)())
    return tree_sitter.Parser(grammar), tree_sitter.Query(grammar, definitions), tree_sitter.Query(grammar, assignments)


def extract_symbols(path: str, source: bytes, *, assignments: bool = False) -> list[Symbol]:
    """The file's definitions in line order; with ``assignments``, its class attributes and module constants too."""
    language = language_of(path)
    if language is None:
        return []
    import tree_sitter

    parser, definitions, assigned = _parser_and_queries(language)
    tree = parser.parse(source)
    symbols: list[Symbol] = []
    for _, captures in tree_sitter.QueryCursor(definitions).matches(tree.root_node):
        symbol = _definition(captures)
        if symbol is not None:
            symbols.append(symbol)
    if assignments:
        seen = {(s.line, s.name) for s in symbols}
        for _, captures in tree_sitter.QueryCursor(assigned).matches(tree.root_node):
            symbol = _assignment(captures)
            if symbol is not None and (symbol.line, symbol.name) not in seen:
                seen.add((symbol.line, symbol.name))
                symbols.append(symbol)
    symbols.sort(key=lambda s: s.line)
    return symbols


def _definition(captures: dict[str, list[Any]]) -> Symbol | None:
    names = captures.get("name")
    if not names:
        return None
    kind, nodes = next((k, v) for k, v in captures.items() if k not in ("name", "callee"))
    node = nodes[0]
    name = _text(names[0]).strip("`")
    if kind == "test":  # tests nest inside describe() callbacks: every one of them counts
        callee = _text(captures["callee"][0])
        if callee not in TEST_FUNCTIONS:  # the query matches any call with a string first
            return None
        return Symbol(name, kind, node.start_point[0] + 1, node.end_point[0] + 1, f"{callee}({name!r})")
    place = _enclosing(node)
    if place == "function":
        return None  # a helper nested in a function is not a key symbol of the file
    if kind == "function" and place == "class":
        kind = "method"
    return Symbol(name, kind, node.start_point[0] + 1, node.end_point[0] + 1, signature(node))


def _assignment(captures: dict[str, list[Any]]) -> Symbol | None:
    names = captures.get("name")
    if not names:
        return None
    kind, nodes = next((k, v) for k, v in captures.items() if k != "name")
    node = nodes[0]
    name = _text(names[0])
    value = node.child_by_field_name("value")
    if name.startswith("__") or (value is not None and value.type in FUNCTION_LIKE):
        return None  # __all__ and the like match every task; a function value is listed as a function
    if _inside_function(node):
        return None  # a class defined in a function, or a local: not the file's shape
    # the head is all a map shows: a long value's comments need not be looked for past it
    text = _without_comments(node, min(node.end_byte, node.start_byte + 8 * VALUE_LIMIT)).decode("utf-8", "replace")
    # matched on its name and value (or, without one, its type and tags), not on keywords like const
    matched = f"{name} {_text(value) if value is not None else text}"
    if node.type in ("variable_declarator", "const_spec", "var_spec") and node.parent is not None:
        keyword = _text(node.parent.children[0]) if node.parent.child_count else ""
        text = f"{keyword} {text}" if keyword in ("const", "let", "var") else text
    found = tuple(dict.fromkeys(words(matched[:8000])))[:VALUE_WORDS_LIMIT]
    head = _folded(text).rstrip(";")
    head = head if len(head) <= VALUE_LIMIT else head[: VALUE_LIMIT - 1].rstrip() + "…"
    return Symbol(name, kind, node.start_point[0] + 1, node.end_point[0] + 1, head, found)


def _text(node: Any) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _inside_function(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in FUNCTION_LIKE:
            return True
        parent = parent.parent
    return False


def _enclosing(node: Any) -> str | None:
    """'class' or 'function' for the nearest enclosing definition of either kind, else None."""
    parent = node.parent
    while parent is not None:
        if parent.type in CLASS_LIKE:
            return "class"
        if parent.type in FUNCTION_LIKE:
            return "function"
        parent = parent.parent
    return None


def signature(node: Any) -> str:
    """A definition's head in full, on one line: everything before its body, however many lines it takes."""
    body = node.child_by_field_name("body")
    whole_body = body is not None and body.type in BODY_TYPES
    if node.type == "variable_declarator":  # const f = (a, b) => ...: the function's body, block or expression
        value = node.child_by_field_name("value")
        body = value.child_by_field_name("body") if value is not None else None
        whole_body = body is not None
    elif node.type == "type_alias_declaration":  # type T<A> = ...: the type is the body
        body = node.child_by_field_name("value")
        whole_body = body is not None
    source = node.text or b""
    if body is not None and body.type not in BODY_TYPES and node.end_byte - node.start_byte <= SHORT_EXPRESSION:
        return _folded(_without_comments(node, node.end_byte).decode("utf-8", "replace"))  # type A = 'a' | 'b'
    if body is not None and whole_body and body.start_byte > node.start_byte:
        head = _folded(_without_comments(node, body.start_byte).decode("utf-8", "replace")).rstrip(":{= ")
    else:
        head = _head_of(_folded(source[: SIGNATURE_LIMIT * 4].decode("utf-8", "replace")))
    return head if len(head) <= SIGNATURE_LIMIT else head[: SIGNATURE_LIMIT - 3] + "..."


def _without_comments(node: Any, end: int) -> bytes:
    """The source of ``node`` up to byte ``end``, without its comments."""
    cuts: list[tuple[int, int]] = []
    pending = [child for child in node.children if child.start_byte < end]
    while pending:
        child = pending.pop()
        if child.type == "comment":
            cuts.append((child.start_byte, child.end_byte))
        else:
            pending.extend(grandchild for grandchild in child.children if grandchild.start_byte < end)
    source = node.text or b""
    start, out = node.start_byte, []
    for first, last in sorted(cuts):
        out.append(source[start - node.start_byte : first - node.start_byte])
        start = last
    out.append(source[start - node.start_byte : end - node.start_byte])
    return b" ".join(out)


def _folded(text: str) -> str:
    """Newlines and runs of spaces folded into one space; a bracket keeps no space inside it."""
    folded = " ".join(text.split())
    return folded.replace("( ", "(").replace("[ ", "[").replace(" )", ")").replace(" ]", "]").replace(",)", ")")


def _head_of(text: str) -> str:
    """Without a body node: up to the first '{' outside brackets (Go's type specs, expression bodies)."""
    depth = 0
    for index, char in enumerate(text):
        if char in "([<":
            depth += 1
        elif char in ")]>" and depth:
            depth -= 1
        elif depth == 0 and char == "{" and index:
            return text[:index].rstrip()
    return text
