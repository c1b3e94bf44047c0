"""The tree-sitter queries behind the map's symbols: definitions, and assignments at class or module level.

Each language has two queries. Definitions (captured as @class, @function, @method ...) are the
key symbols of a file. Assignments (@attribute in a class or struct, @constant at module level)
are listed only when the task names them or their values, so they are a query of their own and
step context, which wants definitions alone, never runs it.
"""

from __future__ import annotations

# Test cases in JS/TS are calls, not definitions: test('...'), it('...'), describe('...'), also as
# test.each(...)('...'), it.only('...') and the like; their names are what a planner looks for.
_TEST_CALLS = """
        (call_expression
            function: [
                (identifier) @callee
                (member_expression object: (identifier) @callee)
                (call_expression function: (member_expression object: (identifier) @callee))]
            arguments: (arguments . [(string (string_fragment) @name) (template_string) @name])) @test"""
TEST_FUNCTIONS = {"test", "it", "describe", "suite", "bench"}

# a class member is named plainly or, private in JS and TS, with a # (#delay)
_MEMBER_NAME = "[(property_identifier) (private_property_identifier)]"
_JS_CONSTANTS = """
        (program (lexical_declaration (variable_declarator name: (identifier) @name) @constant))
        (program (variable_declaration (variable_declarator name: (identifier) @name) @constant))
        (program (export_statement declaration: (lexical_declaration
            (variable_declarator name: (identifier) @name) @constant)))"""

# language -> (grammar module, its language function, query of definitions, query of assignments)
GRAMMARS: dict[str, tuple[str, str, str, str]] = {
    "python": (
        "tree_sitter_python",
        "language",
        """
        (class_definition name: (identifier) @name) @class
        (function_definition name: (identifier) @name) @function""",
        """
        (module (expression_statement (assignment left: (identifier) @name) @constant))
        (class_definition body: (block (expression_statement (assignment left: (identifier) @name) @attribute)))""",
    ),
    "javascript": (
        "tree_sitter_javascript",
        "language",
        """
        (class_declaration name: (identifier) @name) @class
        (function_declaration name: (identifier) @name) @function
        (method_definition name: [(property_identifier) (private_property_identifier)] @name) @method
        (variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @function
"""
        + _TEST_CALLS,
        _JS_CONSTANTS + f"\n        (field_definition property: {_MEMBER_NAME} @name) @attribute",
    ),
    "typescript": (
        "tree_sitter_typescript",
        "language_typescript",
        """
        (class_declaration name: (type_identifier) @name) @class
        (interface_declaration name: (type_identifier) @name) @interface
        (type_alias_declaration name: (type_identifier) @name) @type
        (function_declaration name: (identifier) @name) @function
        (method_definition name: [(property_identifier) (private_property_identifier)] @name) @method
        (variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @function
"""
        + _TEST_CALLS,
        _JS_CONSTANTS + f"\n        (public_field_definition name: {_MEMBER_NAME} @name) @attribute",
    ),
    "tsx": (
        "tree_sitter_typescript",
        "language_tsx",
        """
        (class_declaration name: (type_identifier) @name) @class
        (interface_declaration name: (type_identifier) @name) @interface
        (function_declaration name: (identifier) @name) @function
        (method_definition name: [(property_identifier) (private_property_identifier)] @name) @method
        (variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @function
"""
        + _TEST_CALLS,
        _JS_CONSTANTS + f"\n        (public_field_definition name: {_MEMBER_NAME} @name) @attribute",
    ),
    "go": (
        "tree_sitter_go",
        "language",
        """
        (function_declaration name: (identifier) @name) @function
        (method_declaration name: (field_identifier) @name) @method
        (type_spec name: (type_identifier) @name) @type""",
        """
        (const_spec name: (identifier) @name) @constant
        (var_spec name: (identifier) @name) @constant
        (field_declaration name: (field_identifier) @name) @attribute""",
    ),
    "rust": (
        "tree_sitter_rust",
        "language",
        """
        (function_item name: (identifier) @name) @function
        (struct_item name: (type_identifier) @name) @struct
        (enum_item name: (type_identifier) @name) @enum
        (trait_item name: (type_identifier) @name) @trait""",
        """
        (const_item name: (identifier) @name) @constant
        (static_item name: (identifier) @name) @constant
        (field_declaration name: (field_identifier) @name) @attribute""",
    ),
    "java": (
        "tree_sitter_java",
        "language",
        """
        (class_declaration name: (identifier) @name) @class
        (interface_declaration name: (identifier) @name) @interface
        (method_declaration name: (identifier) @name) @method
        (constructor_declaration name: (identifier) @name) @method""",
        "(field_declaration declarator: (variable_declarator name: (identifier) @name)) @attribute",
    ),
}
CLASS_LIKE = {"class_definition", "class_declaration", "class_body", "impl_item", "interface_declaration"}
FUNCTION_LIKE = {
    "function_definition",
    "function_declaration",
    "method_definition",
    "method_declaration",
    "function_item",
    "arrow_function",
    "function_expression",
    "constructor_declaration",
}
# A definition's body: its signature is everything before it.
BODY_TYPES = {
    "block",
    "statement_block",
    "class_body",
    "interface_body",
    "object_type",
    "field_declaration_list",
    "declaration_list",
    "enum_variant_list",
    "constructor_body",
}
