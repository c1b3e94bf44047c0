"""The phases whose effort can be set, and the named strategies: the effort of every phase in one word.

Kept apart from the settings so that the command line can name the strategies in its help without
loading pydantic. A new strategy is one entry here.
"""

from __future__ import annotations

from gearshift.effort import Effort

PHASES = ("plan", "implement", "fix", "review", "classify")

# Named strategies: the effort of every phase in one word. Classification is a cheap
# routing aid, so it stays low whatever the strategy.
STRATEGIES: dict[str, dict[str, Effort]] = {
    "high-medium-high": {
        "plan": Effort.HIGH,
        "implement": Effort.MEDIUM,
        "fix": Effort.MEDIUM,
        "review": Effort.HIGH,
        "classify": Effort.LOW,
    },
    "high": {p: Effort.HIGH for p in PHASES} | {"classify": Effort.LOW},
    "medium": {p: Effort.MEDIUM for p in PHASES} | {"classify": Effort.LOW},
    "xhigh-medium-high": {
        "plan": Effort.XHIGH,
        "implement": Effort.MEDIUM,
        "fix": Effort.MEDIUM,
        "review": Effort.HIGH,
        "classify": Effort.LOW,
    },
}
