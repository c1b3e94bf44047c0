"""Every exception gearshift raises, in one hierarchy; each carries one line that says what to do.

```
GearshiftError                 exit 1: a failure outside the user's input
├── UsageError                 exit 2: the input cannot work as asked; fix it
│   ├── ConfigError            a setting is invalid (the message names its file and key)
│   └── PlanSyntaxError        a hand-edited plan.md does not parse (the message names the line)
├── ProviderError              a model call failed after the SDK's own retries
│   └── ReplyFormatError       the model answered, but not in the shape asked for
├── BudgetReached              the next call would pass the run's budget; nothing was sent
├── EditError                  a reply's edit blocks cannot be applied; nothing was changed
└── StepFailed                 a step could not be completed; the run stops with a way on
```

The CLI prints ``message`` on one line and exits with ``exit_code``. A library caller catches the
type it cares about: a workflow records a failure in the ledger, then raises the original
exception, so a budget stop and a failed step stay apart without reading their text.
"""

from __future__ import annotations

from typing import Any, Self


class GearshiftError(Exception):
    """An error with a message fit to show a person as it is."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def reword(self, message: str) -> Self:
        """The same error, its message now with the context and the way forward the caller knows."""
        self.message = message
        self.args = (message,)
        return self


class UsageError(GearshiftError):
    """The user asked for something that cannot work as asked: fix the input."""

    exit_code = 2


class ConfigError(UsageError):
    """A setting is invalid; the message names the file (or variable) and the key."""


class PlanSyntaxError(UsageError):
    """plan.md, as a person edited it, does not read as a plan."""

    def __init__(self, source: str, line: int, problem: str) -> None:
        super().__init__(f"{source} line {line}: {problem}; fix plan.md and run the command again")
        self.line = line


class ProviderError(GearshiftError):
    """A model call failed after the SDK's own retries.

    ``status`` is what the ledger records; ``usage`` is set when the provider billed tokens for
    the failed call (an incomplete or malformed reply), so the ledger still accounts for them;
    ``native_cost_usd`` when the provider itself said what the failed call cost (an agent CLI).
    """

    def __init__(
        self,
        message: str,
        *,
        status: str = "error",
        request_id: str | None = None,
        usage: Any = None,
        native_cost_usd: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.request_id = request_id
        self.usage = usage
        self.native_cost_usd = native_cost_usd


class ReplyFormatError(ProviderError):
    """The model answered, but not in the shape that was asked for.

    Status ``malformed`` for a reply that is not JSON at all, ``error`` for JSON that does not
    fit its schema (a plan or a review missing a field).
    """

    def __init__(
        self,
        message: str,
        *,
        raw_text: str,
        status: str = "malformed",
        request_id: str | None = None,
        usage: Any = None,
    ) -> None:
        super().__init__(message, status=status, request_id=request_id, usage=usage)
        self.raw_text = raw_text


class BudgetReached(GearshiftError):
    """The next call would pass the run's budget; nothing was sent."""


class EditError(GearshiftError):
    """A reply's edits cannot be applied; the message is fit to send back to the model."""


class StepFailed(GearshiftError):
    """A step could not be completed; the run stops with a way to continue."""

    def __init__(self, message: str, *, step_id: int) -> None:
        super().__init__(message)
        self.step_id = step_id
