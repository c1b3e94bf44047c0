"""Errors a user can cause or meet, each carrying one line that says what to do.

The CLI prints ``message`` on one line and exits with ``exit_code``: 2 for usage and
configuration mistakes, 1 for failures outside the user's input (a server down, a
rejected key, a reply that cannot be parsed).
"""

from __future__ import annotations

from typing import Any


class GearshiftError(Exception):
    """An error with a message fit to show a person as it is."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(GearshiftError):
    """The user asked for something that cannot work as asked: fix the input."""

    exit_code = 2


class ConfigError(UsageError):
    """A setting is invalid; the message names the file (or variable) and the key."""


class ProviderError(GearshiftError):
    """A model call failed after the SDK's own retries.

    ``usage`` is set when the provider billed tokens for the failed call (an incomplete or
    malformed reply), so the ledger still accounts for them.
    """

    def __init__(
        self,
        message: str,
        *,
        status: str = "error",
        request_id: str | None = None,
        usage: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.request_id = request_id
        self.usage = usage


class ReplyFormatError(ProviderError):
    """The model answered, but not in the shape that was asked for."""

    def __init__(self, message: str, *, raw_text: str, request_id: str | None = None, usage: Any = None) -> None:
        super().__init__(message, status="malformed", request_id=request_id, usage=usage)
        self.raw_text = raw_text
