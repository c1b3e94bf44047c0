"""Secrets in text, found with detect-secrets' detectors and masked before a model or a cache sees them.

``mask(text)`` returns the text with every secret value replaced by a placeholder that says what it
was (``[secret masked: AWS Access Key]``) and the number of values it replaced. The placeholder is
never a secret itself, so masking masked text changes nothing.

Which detectors. Precision matters as much as recall: the model copies SEARCH text exactly, so a
masked line of ordinary code is a line it can no longer edit. So:

- the detect-secrets plugins that know a credential by its own shape (AWS, GitHub, GitLab, Slack,
  Stripe, OpenAI, JWT, private keys, URLs with a password, ...), plus three shapes detect-secrets
  1.5 lacks, written as its plug-ins are (Anthropic keys, OpenAI project keys, GitHub fine-grained
  tokens). Left out: Artifactory's (any quoted word starting AP and a hex digit matches it) and
  the IBM, SoftLayer and Cloudant ones (keyword patterns that cost more than all the others
  together, for values the keyword plugin below finds anyway);
- its keyword plugin, tuned: a value in quotes after a secret-sounding name (``password = "..."``)
  anywhere, an unquoted one only on a ``NAME=value`` line of a .env or shell file, and never a
  value with a space in it (prose, labels) nor one detect-secrets' own filters take for a
  reference, a template or an id;
- not the high-entropy plugins: hashes in lock files and base64 in test fixtures look alike to
  them; nor the public-IP plugin: an address is not a secret.

How. detect-secrets' ``scan_line`` and ``SecretsCollection`` read a process-wide settings object,
clear caches on every call and are not safe across threads, and gateway calls come from several.
So the detectors and filters are used directly: each shape detector runs once over the whole text
(C-speed regexes rather than a Python loop per line), the keyword detector only on lines that name
a secret-sounding word. A token found is masked wherever it occurs, grown to the whole token (some
patterns stop short of a key's end); a keyword value only where it was found.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from detect_secrets.plugins.base import RegexBasedDetector

PLACEHOLDER = "[secret masked: {kind}]"
_PLACEHOLDER = re.compile(r"\[secret masked: [^\]\n]*\]")
# Characters a token continues with: a match that stops inside a key is grown over them.
_TOKEN_CHAR = re.compile(r"[A-Za-z0-9_\-]")
# What a pattern may keep around the value (quotes, an ``=``): not part of it.
_DELIMITERS = " \t\r\n\"'`=:,;"
# A .env or shell assignment: NAME=value, no spaces, not indented (indented ``name=value`` is a
# keyword argument in code). A diff's +/-/space marker may stand before it.
_DOTENV_LINE = re.compile(r"^[+\- ]?(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*=\S")
_KEY_BLOCK_END = "-----END"
_KEY_BLOCK_REACH = 20_000  # characters after a private key's header within which its END is looked for
_DISTINCTIVE = 16  # characters from which a value found once is masked wherever it occurs
_KEYWORD_MIN = 6  # shorter values after a secret-sounding name are examples (foo, bar, value), not secrets
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*_[A-Z0-9_]+")
# A private key's lines: base64, and headers such as Proc-Type: or PuTTY's Private-Lines:.
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/]+=*")
_KEY_HEADER_LINE = re.compile(r"[A-Z][A-Za-z-]*: \S.*")
_FULL_LINE = 40  # a key's base64 lines are 64 or 70 characters; a shorter one only ends them


class Masked(NamedTuple):
    text: str
    masked: int  # how many values were masked


def mask(text: str) -> Masked:
    """``text`` with every secret value in it replaced by a placeholder naming its kind."""
    spans = _merged(find(text))
    if not spans:
        return Masked(text, 0)
    out: list[str] = []
    position = 0
    for start, end, kind in spans:
        out.append(text[position:start])
        out.append(_replacement(text[start:end], kind))
        position = end
    out.append(text[position:])
    return Masked("".join(out), len(spans))


def mask_text(text: str) -> str:
    return mask(text).text


def count_masked(text: str) -> int:
    """How many placeholders ``text`` holds: the values masked in it."""
    return len(_PLACEHOLDER.findall(text))


def find(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every secret value in ``text``; spans may overlap."""
    scanner = _scanner()
    found = [*scanner.shapes(text), *scanner.keywords(text)]
    # A value long enough to be distinctive is masked wherever it occurs, also where nothing
    # around it says it is a secret (the same key in a diff, or quoted in check output).
    spans = [(start, end, kind) for start, end, kind, _ in found]
    for value, kind in {value: kind for _, _, kind, value in found if len(value) >= _DISTINCTIVE}.items():
        spans.extend((start, start + len(value), kind) for start in _occurrences(text, value))
    return spans


def _replacement(value: str, kind: str) -> str:
    # Keep the value's line breaks, so that line numbers (in check output, a step's excerpt) still hold.
    placeholder = PLACEHOLDER.format(kind=kind)
    if "\n" not in value:
        return placeholder
    lead = value[: len(value) - len(value.lstrip("\r\n"))]
    return lead + placeholder + "\n" * (value.count("\n") - lead.count("\n"))


def _merged(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(spans):
        if merged and start < merged[-1][1]:
            previous = merged[-1]
            merged[-1] = (previous[0], max(previous[1], end), previous[2])
        else:
            merged.append((start, end, kind))
    return merged


class _Scanner:
    def __init__(self) -> None:
        from detect_secrets.filters import heuristic
        from detect_secrets.plugins import keyword
        from detect_secrets.plugins.base import RegexBasedDetector

        self._heuristic = heuristic
        self._keyword = keyword.KeywordDetector()
        self._quoted = keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP
        self._unquoted = keyword.CONFIG_DENYLIST_REGEX_TO_GROUP
        # IGNORECASE makes this alternation ten times slower: it runs on lower-cased text instead
        self._keyword_word = re.compile("|".join(keyword.DENYLIST))
        self._keyword_word_any_case = re.compile("|".join(keyword.DENYLIST), re.IGNORECASE)
        self._shapes = [plugin() for plugin in _shape_plugins()]
        # plug-ins that check a match further than their patterns (JWT: is it well formed?)
        self._checked = {id(p) for p in self._shapes if type(p).analyze_string is not RegexBasedDetector.analyze_string}

    def shapes(self, text: str) -> Iterator[tuple[int, int, str, str]]:
        """Values found by a plug-in's patterns, where they are: what its analyze_string yields, with places."""
        for plugin in self._shapes:
            kind = str(plugin.secret_type)
            for pattern in plugin.denylist:
                for match in pattern.finditer(text):
                    for start, end in _value_spans(match):
                        value = text[start:end]
                        if not value or self._filtered(value):
                            continue
                        if id(plugin) in self._checked and value not in set(plugin.analyze_string(value)):
                            continue
                        if kind == "Private Key":
                            yield from _key_block(text, end, kind)
                            continue
                        start, end = _grown(text, start, end)
                        yield start, end, kind, text[start:end]

    def keywords(self, text: str) -> Iterator[tuple[int, int, str, str]]:
        kind = str(self._keyword.secret_type)
        lowered = text.lower()
        if len(lowered) == len(text):
            lines = _lines_matching(text, lowered, self._keyword_word)
        else:  # a character whose lower case is longer: offsets would not match
            lines = _lines_matching(text, text, self._keyword_word_any_case)
        for start, line in lines:
            dotenv = bool(_DOTENV_LINE.match(line))
            mapping = self._unquoted if dotenv else self._quoted
            for value in set(self._keyword.analyze_string(line, denylist_regex_to_group=mapping)):
                if self._keyword_filtered(value, line) or not (dotenv or _mixed(value)):
                    continue
                for offset in _occurrences(line, value):
                    yield start + offset, start + offset + len(value), kind, value

    def _filtered(self, value: str) -> bool:
        h = self._heuristic
        return bool(
            _PLACEHOLDER.search(value)
            or h.is_sequential_string(value)
            or h.is_potential_uuid(value)
            or h.is_templated_secret(value)
            or h.is_prefixed_with_dollar_sign(value)
            or h.is_not_alphanumeric_string(value)
        )

    def _keyword_filtered(self, value: str, line: str) -> bool:
        h = self._heuristic
        return (
            len(value) < _KEYWORD_MIN
            or any(space in value for space in " \t")  # prose or a label, not a credential
            or bool(_ENV_NAME.fullmatch(value))  # names the variable that holds a secret
            or self._filtered(value)
            or h.is_indirect_reference(line)
            or h.is_likely_id_string(value, line, self._keyword)
        )


@functools.cache
def _scanner() -> _Scanner:
    return _Scanner()  # built once: importing detect-secrets and compiling its patterns takes ~0.1 s


def _shape_plugins() -> list[type[RegexBasedDetector]]:
    from detect_secrets.plugins.aws import AWSKeyDetector
    from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.plugins.basic_auth import BasicAuthDetector
    from detect_secrets.plugins.discord import DiscordBotTokenDetector
    from detect_secrets.plugins.github_token import GitHubTokenDetector
    from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
    from detect_secrets.plugins.jwt import JwtTokenDetector
    from detect_secrets.plugins.mailchimp import MailchimpDetector
    from detect_secrets.plugins.npm import NpmDetector
    from detect_secrets.plugins.openai import OpenAIDetector
    from detect_secrets.plugins.private_key import PrivateKeyDetector
    from detect_secrets.plugins.pypi_token import PypiTokenDetector
    from detect_secrets.plugins.sendgrid import SendGridDetector
    from detect_secrets.plugins.slack import SlackDetector
    from detect_secrets.plugins.square_oauth import SquareOAuthDetector
    from detect_secrets.plugins.stripe import StripeDetector
    from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
    from detect_secrets.plugins.twilio import TwilioKeyDetector

    class AnthropicKeyDetector(RegexBasedDetector):
        secret_type = "Anthropic Key"
        denylist = (re.compile(r"sk-ant-[a-z]+\d*-[A-Za-z0-9_\-]{20,}"),)

    class OpenAIProjectKeyDetector(RegexBasedDetector):
        # detect-secrets' OpenAIDetector wants the legacy key's marker; project and service keys
        # are known by their prefix
        secret_type = "OpenAI Token"
        denylist = (re.compile(r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,}"),)

    class GitHubFineGrainedTokenDetector(RegexBasedDetector):
        secret_type = "GitHub Token"
        denylist = (re.compile(r"github_pat_[A-Za-z0-9_]{22,}"),)

    return [
        AWSKeyDetector,
        AzureStorageKeyDetector,
        BasicAuthDetector,
        DiscordBotTokenDetector,
        GitHubTokenDetector,
        GitLabTokenDetector,
        JwtTokenDetector,
        MailchimpDetector,
        NpmDetector,
        OpenAIDetector,
        PrivateKeyDetector,
        PypiTokenDetector,
        SendGridDetector,
        SlackDetector,
        SquareOAuthDetector,
        StripeDetector,
        TelegramBotTokenDetector,
        TwilioKeyDetector,
        AnthropicKeyDetector,
        OpenAIProjectKeyDetector,
        GitHubFineGrainedTokenDetector,
    ]


def _occurrences(text: str, value: str) -> Iterator[int]:
    start = text.find(value)
    while start >= 0:
        yield start
        start = text.find(value, start + len(value))


def _grown(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and _TOKEN_CHAR.match(text, start - 1):
        start -= 1
    while end < len(text) and _TOKEN_CHAR.match(text, end):
        end += 1
    return start, end


def _lines_matching(text: str, haystack: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, str]]:
    """(offset, line) of each line of ``text`` in which ``pattern`` finds something in ``haystack``
    (``text`` itself, or a copy of the same length), once each."""
    last = -1
    for match in pattern.finditer(haystack):
        start = text.rfind("\n", 0, match.start()) + 1
        if start == last:
            continue
        last = start
        end = text.find("\n", match.end())
        yield start, text[start : end if end >= 0 else len(text)]


def _mixed(value: str) -> bool:
    """Whether ``value`` mixes two kinds of character (lower, upper, digit, symbol): a word or a slug
    in code (``"sk-test"``, ``"changeme"``) is a test's stand-in, and masking it would only stop the
    model from editing that line; a value in a .env file is taken as it is."""
    kinds = (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum() and c not in "-_")
    return sum(any(kind(c) for c in value) for kind in kinds) >= 2


def _value_spans(match: re.Match[str]) -> Iterator[tuple[int, int]]:
    # as RegexBasedDetector.analyze_string: each non-empty group, else the whole match
    groups = range(1, (match.re.groups or 0) + 1)
    spans = [match.span(g) for g in groups if match.group(g)] if match.re.groups else [match.span()]
    for start, end in spans:
        value = match.string[start:end]
        stripped = value.strip(_DELIMITERS)
        if stripped:
            start += value.index(stripped)
            yield start, start + len(stripped)


def _key_block(text: str, header_end: int, kind: str) -> Iterator[tuple[int, int, str, str]]:
    """The body of the private key whose header ends at ``header_end``: the header says nothing
    secret, the lines after it do. A header named in code, with no key after it, yields nothing."""
    start = header_end
    if text.startswith("-----", start):
        start += len("-----")
    end = text.find(_KEY_BLOCK_END, start, start + _KEY_BLOCK_REACH)
    body = text[start:end].replace("\\n", "\n").strip(" \t\r\n'\"").splitlines() if end >= 0 else []
    if not body or _key_lines(body) < len(body):
        # no END in reach (an excerpt, a cut log), or code in between: the key's lines after the header's
        line_end = text.find("\n", header_end)
        start = len(text) if line_end < 0 else line_end + 1
        lines = text[start:].splitlines(keepends=True)
        end = start + sum(len(line) for line in lines[: _key_lines(lines)])
    value = text[start:end]
    if value.strip() and not _PLACEHOLDER.fullmatch(value.strip()):  # an empty block, or one masked already
        yield start, end, kind, value


def _key_lines(lines: list[str]) -> int:
    """How many of ``lines``, from the first, read as a private key's: headers, a blank line after
    them, and base64 lines (a short one only after full ones, as the last of a block)."""
    count = 0
    full = False
    for index, line in enumerate(lines):
        line = line.strip()
        if _BASE64_LINE.fullmatch(line) and (full or len(line) >= _FULL_LINE):
            full = len(line) >= _FULL_LINE
        elif not (_KEY_HEADER_LINE.fullmatch(line) or (not line and count and not full)):
            break
        count = index + 1
    return count
