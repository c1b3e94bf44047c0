"""Refusing a test command that needs a shell when none will run it.

Without a shell, ``pytest -q && false`` runs pytest with the arguments ``&&`` and ``false``,
and ``pytest | grep -q passed`` hands ``|`` to pytest: the check then passes or fails for a
reason that has nothing to do with what was written. Such a command is refused before the
run starts, with how to fix it. The scan is pure and cheap, so a workflow can call it before
its first paid call.
"""

from __future__ import annotations

import re
import shlex

from gearshift.errors import UsageError

# Longest first, so that "&&" is reported as itself and not as "&".
_OPERATORS = ("&&", "||", ">>", "<<", ">&", "&>", "|&", ";;", "|", "&", ";", ">", "<", "(", ")")
_EXPANSION_START = re.compile(r"\$[({A-Za-z_0-9?$!#@*-]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def shell_syntax(command: str) -> str | None:
    """The first piece of shell syntax in ``command`` that a shell would act on, or None.

    Operators, redirections, command and variable substitution (also inside double quotes, as a
    shell expands there too), a ``*`` glob, ``~`` and ``#`` at the start of a word, a line break,
    and a leading ``NAME=value``. Not ``?`` and ``[``: pytest node ids hold them, and a shell
    passes a pattern that matches nothing through as it is.
    """
    quote = ""
    word = ""  # the current word as written so far, "" at a word's start
    first_word = True
    i = 0
    while i < len(command):
        char = command[i]
        if quote == "'":
            quote = "" if char == "'" else quote
        elif char == "\\":
            word += command[i : i + 2]
            i += 2
            continue
        elif char == "`":
            return "`...`"
        elif char == "$" and _EXPANSION_START.match(command, i):
            return _expansion(command, i)
        elif quote == '"':
            quote = "" if char == '"' else quote
        elif char in "'\"":
            quote = char
        elif char in " \t":
            first_word = first_word and not word
            word = ""
            i += 1
            continue
        elif char in "\r\n":
            return "a line break"
        elif char in "|&;<>()":
            return next(op for op in _OPERATORS if command.startswith(op, i))
        elif char == "*":
            return "*"
        elif char in "~#" and not word:
            return char
        elif char == "=" and first_word and _NAME.fullmatch(word):
            return f"{word}=..."
        word += char
        i += 1
    return None


def _expansion(command: str, at: int) -> str:
    following = command[at + 1]
    if following in "({":
        return "$(...)" if following == "(" else "${...}"
    return "$NAME" if following.isalpha() or following == "_" else f"${following}"


def validate_command(command: str, *, shell: bool) -> None:
    """Raise UsageError, with how to fix it, if ``command`` cannot run as written (``shell`` as in checks.shell)."""
    try:
        words = [command] if shell else shlex.split(command)
    except ValueError as exc:  # "No closing quotation", "No escaped character"
        raise UsageError(f"the test command {command!r} does not parse ({exc}); check its quotes") from None
    if not "".join(words).strip():
        raise UsageError("the test command is empty; pass --test-cmd, e.g. --test-cmd 'pytest -q'")
    if shell:
        return
    found = shell_syntax(command)
    if found is None:
        return
    # A leading NAME=value has a fix that needs no shell at all: env sets it and runs the rest.
    other_way = "start it with env (env NAME=value ...)" if found.endswith("=...") else "put it in a script"
    raise UsageError(
        f"the test command {command!r} uses shell syntax ({found}), but checks.shell is false, so no shell"
        f" would run it; set checks.shell = true (or GEARSHIFT_CHECKS__SHELL=true), or {other_way}"
    )
