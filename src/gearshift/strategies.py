"""The phases whose effort can be set, and the strategies: ``auto`` (the default: the route decides each
phase's effort from the task, and each step's) or a fixed one, the effort of every phase in one word.

Kept apart from the settings so that the command line can name the strategies in its help without
loading pydantic. A new fixed strategy is one entry here.
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

AUTO = "auto"
DEFAULT_STRATEGY = AUTO  # the route decides: the seed's decision matrix and deviations, per task and per step
STRATEGY_NAMES = (AUTO, *STRATEGIES)  # what --strategy takes, the default first
STRATEGY_HELP = (
    "auto (the default: the route picks each phase's effort from the task, high for security steps)"
    f" or a fixed strategy: {', '.join(STRATEGIES)}. `gearshift route TASK` shows what a run would do."
)
