"""Routing: the decision matrix and the deviation rules, each decision with its reason.

route(task, facts) -> Route: the task type, the effort for each phase with the rules that chose
it, and the facts those rules read. Every reason is a sentence a person can check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gearshift.classify import Classification
from gearshift.context.facts import RepoFacts
from gearshift.effort import Effort

ROUTED_PHASES = ("plan", "implement", "fix", "review")
E = Effort

# The seed's decision matrix, as efforts per phase for each task type.
MATRIX: dict[str, dict[str, Effort]] = {
    "architecture": {"plan": E.HIGH, "implement": E.MEDIUM, "fix": E.MEDIUM, "review": E.HIGH},
    "requirements": {"plan": E.HIGH, "implement": E.MEDIUM, "fix": E.MEDIUM, "review": E.HIGH},
    "implementation": {"plan": E.HIGH, "implement": E.MEDIUM, "fix": E.MEDIUM, "review": E.HIGH},
    "bug_fix": {"plan": E.MEDIUM, "implement": E.MEDIUM, "fix": E.MEDIUM, "review": E.HIGH},
    "review": {"plan": E.HIGH, "implement": E.MEDIUM, "fix": E.MEDIUM, "review": E.HIGH},
    "testing": {"plan": E.MEDIUM, "implement": E.LOW, "fix": E.MEDIUM, "review": E.MEDIUM},
    "refactoring": {"plan": E.MEDIUM, "implement": E.MEDIUM, "fix": E.MEDIUM, "review": E.HIGH},
    "documentation": {"plan": E.LOW, "implement": E.LOW, "fix": E.LOW, "review": E.MEDIUM},
}
MATRIX_WHY = {
    "architecture": "initial architecture: strategic decisions need depth",
    "requirements": "requirements analysis: edge cases need reasoning",
    "implementation": "code implementation: plan deep, execute a well-defined plan efficiently",
    "bug_fix": "bug fixing: medium, high when the bug is complex",
    "review": "code review: needs comprehensive analysis",
    "testing": "testing: routine execution",
    "refactoring": "refactoring: following clear patterns",
    "documentation": "documentation: straightforward writing",
}

SECURITY_WORDS = [
    "auth",
    "authentication",
    "authenticate",
    "authorization",
    "authorize",
    "login",
    "logout",
    "password",
    "passwords",
    "jwt",
    "oauth",
    "oidc",
    "sso",
    "token",
    "tokens",
    "session",
    "sessions",
    "csrf",
    "xss",
    "injection",
    "sanitize",
    "sanitise",
    "escape html",
    "crypto",
    "cryptography",
    "encrypt",
    "encryption",
    "decrypt",
    "hash",
    "hashing",
    "bcrypt",
    "argon2",
    "secret",
    "secrets",
    "api key",
    "api keys",
    "credential",
    "credentials",
    "permission",
    "permissions",
    "rbac",
    "acl",
    "role-based",
    "access control",
    "payment",
    "payments",
    "billing",
    "checkout",
    "stripe",
    "credit card",
    "pii",
    "gdpr",
    "tls",
    "ssl",
    "certificate",
    "signature",
    "signing",
    "2fa",
    "mfa",
    "totp",
    "rate limit",
    "rate limiting",
]
COMPLEX_BUG_WORDS = [
    "race",
    "race condition",
    "deadlock",
    "concurrency",
    "concurrent",
    "thread",
    "threads",
    "memory leak",
    "leak",
    "intermittent",
    "flaky",
    "corruption",
    "corrupt",
    "data loss",
    "heisenbug",
    "segfault",
    "timeout",
    "performance regression",
    "distributed",
    "consistency",
]
UNCHARTED_WORDS = ["prototype", "spike", "experimental", "explore", "investigate", "research", "proof of concept"]
PATTERN_WORDS = [
    "like the existing",
    "same as",
    "following the pattern",
    "follow the pattern",
    "similar to",
    "as we do",
    "mirror",
    "copy of",
    "like we did",
    "based on the existing",
    "template",
]
TRIVIAL_WORDS = [
    "typo",
    "typos",
    "spelling",
    "bump version",
    "bump the version",
    "rename",
    "one-line",
    "one line",
    "wording",
    "fix comment",
    "update comment",
    "whitespace",
    "formatting",
]


@dataclass(frozen=True)
class Thresholds:
    large_files: int = 400  # code files that make a codebase large
    large_lines: int = 60_000  # or lines of code
    coupled_degree: float = 2.0  # imports per module that make the code tightly coupled
    coupled_reach: int = 40  # modules within two hops of the task's area
    step_lines: int = 120  # lines a step may add before it is far larger than a plan item
    step_new_definitions: int = 3  # new functions or classes the plan never named


@dataclass
class PhaseRoute:
    effort: Effort
    reasons: list[str] = field(default_factory=list)


@dataclass
class Route:
    task_type: str
    phases: dict[str, PhaseRoute]
    facts: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "task_type": self.task_type,
            "phases": {name: {"effort": p.effort.value, "reasons": p.reasons} for name, p in self.phases.items()},
            "facts": self.facts,
        }


def words_in(text: str, words: list[str]) -> list[str]:
    lowered = " ".join(text.lower().split())
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", lowered)]


def route(
    task: str,
    classification: Classification,
    facts: RepoFacts | None,
    *,
    matrix: Mapping[str, Mapping[str, Effort]] | None = None,
    thresholds: Thresholds | None = None,
    security_words: list[str] | None = None,
) -> Route:
    limits = thresholds or Thresholds()
    table = {**MATRIX, **(matrix or {})}
    task_type = classification.task_type
    base = {**MATRIX[task_type], **table.get(task_type, {})}
    phases = {
        name: PhaseRoute(base[name], [f"{name} at {base[name]}: {MATRIX_WHY[task_type]} (the matrix)"])
        for name in ROUTED_PHASES
    }
    security = words_in(task, security_words or SECURITY_WORDS)
    complex_bug = words_in(task, COMPLEX_BUG_WORDS) if task_type == "bug_fix" else []
    uncharted = words_in(task, UNCHARTED_WORDS)
    pattern = words_in(task, PATTERN_WORDS)
    trivial = [] if security else words_in(task, TRIVIAL_WORDS)
    large = bool(facts) and (
        facts.code_files >= limits.large_files or facts.lines_of_code >= limits.large_lines  # type: ignore[union-attr]
    )
    coupled = bool(facts) and (
        facts.average_degree >= limits.coupled_degree and facts.area_reach >= limits.coupled_reach  # type: ignore[union-attr]
    )

    def set_effort(phase: str, effort: Effort, reason: str, *, only_up: bool = False, only_down: bool = False) -> None:
        current = phases[phase].effort
        if effort == current:  # the rule agrees: it is one more reason
            phases[phase].reasons.append(f"{phase} at {effort}: {reason}")
            return
        if (only_up and effort.rank < current.rank) or (only_down and effort.rank > current.rank):
            return
        phases[phase] = PhaseRoute(effort, [f"{phase} at {effort}: {reason}"])

    if complex_bug:
        why = f"a complex bug ({', '.join(complex_bug)})"
        set_effort("plan", E.HIGH, why, only_up=True)
        set_effort("implement", E.HIGH, why, only_up=True)
    if security:
        what = ", ".join(security[:3])
        set_effort("implement", E.HIGH, f"the task touches {what}: a critical security feature", only_up=True)
        set_effort("plan", E.HIGH, f"security work ({what}) needs risks and mitigations planned", only_up=True)
        set_effort("review", E.HIGH, f"security work ({what}) is reviewed in depth", only_up=True)
    if uncharted:
        set_effort(
            "implement", E.HIGH, f"uncharted territory without clear specs ({', '.join(uncharted)})", only_up=True
        )
    if pattern and not security:
        set_effort("plan", E.MEDIUM, f"an existing pattern to follow ({', '.join(pattern)})", only_down=True)
    if trivial:
        set_effort("plan", E.LOW, f"a trivial change ({', '.join(trivial)}): a one-step plan", only_down=True)
        set_effort("implement", E.LOW, f"a trivial change ({', '.join(trivial)})", only_down=True)
    if large and coupled and facts is not None:
        set_effort(
            "plan",
            E.XHIGH,
            f"a large codebase ({facts.code_files} code files, {facts.lines_of_code:,} lines) with cross-module"
            f" dependencies (the task's area reaches {facts.area_reach} modules)",
            only_up=True,
        )
    phases["fix"].reasons.append("fix escalates to high after one failed fix")
    return Route(
        task_type=task_type,
        phases=phases,
        facts={
            "classifier": classification.reasons,
            "scores": {k: v for k, v in classification.scores.items() if v},
            "security_words": security,
            "complex_bug_words": complex_bug,
            "uncharted_words": uncharted,
            "pattern_words": pattern,
            "trivial": bool(trivial),
            "large_codebase": large,
            "coupled": coupled,
            "repo": facts.to_json() if facts else None,
        },
    )


def apply_strategy(route_: Route, strategy_efforts: Mapping[str, Effort], strategy: str) -> dict[str, PhaseRoute]:
    """A fixed strategy's efforts, with the reason naming what the route would have chosen instead."""
    chosen: dict[str, PhaseRoute] = {}
    for phase in ROUTED_PHASES:
        routed = route_.phases[phase]
        effort = strategy_efforts[phase]
        if effort == routed.effort:
            chosen[phase] = PhaseRoute(effort, [f"{phase} at {effort}: strategy {strategy}", *routed.reasons])
        else:
            overridden = "; ".join(routed.reasons)
            chosen[phase] = PhaseRoute(
                effort, [f"{phase} at {effort}: strategy {strategy}, overriding the route ({overridden})"]
            )
    return chosen


def step_effort(
    implement: Effort, security_critical: bool, ambiguities: list[str], *, auto: bool, strategy: str
) -> tuple[Effort, str]:
    """A plan step's effort: high for security-critical or ambiguous steps, when the route decides."""
    why = []
    if security_critical:
        why.append("the step is security critical")
    if ambiguities:
        why.append(f"the step has {len(ambiguities)} ambiguities to interpret")
    if not why or implement.rank >= E.HIGH.rank:
        return implement, f"implement at {implement}: " + ("; ".join(why) or f"the run's implement effort ({strategy})")
    if auto:
        return E.HIGH, f"implement at high: {' and '.join(why)}"
    return implement, f"implement at {implement}: strategy {strategy}, overriding the route (high: {' and '.join(why)})"
