"""Routing: the decision matrix and the deviation rules, each decision with its reason.

route(task, classification, facts) -> Route: the task type, the effort for each phase with the
rules that chose it, and the facts those rules read. Every reason is a sentence a person can check.

Security follows the seed's deviation, *implementing a critical security feature*: a task that
implements or changes a security mechanism (auth, tokens, crypto, permissions...) plans and is
reviewed at high, and the steps that do that work implement at high (step_effort); its other steps,
and work that only mentions a sensitive area (tests for a checkout flow, docs about auth, a
refactor of a payment module), keep the matrix's levels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gearshift.classify import Classification
from gearshift.context.facts import RepoFacts
from gearshift.effort import Effort
from gearshift.plan import Step

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


def _words(text: str) -> list[str]:
    return [word.strip() for word in text.split("|") if word.strip()]


# Security mechanisms: implementing or changing one is the seed's "critical security feature".
SECURITY_WORDS = _words(
    "auth|authn|authz|authentication|authenticate|authorization|authorize|login|logout|log in|sign in|sign-in|"
    "signin|password|passwords|passphrase|jwt|oauth|oauth2|oidc|openid|saml|sso|token|tokens|session|sessions|"
    "cookie|cookies|csrf|xss|cors|sql injection|command injection|path traversal|ssrf|open redirect|sanitize|"
    "sanitise|escape html|crypto|cryptography|encrypt|encryption|decrypt|hash|hashing|bcrypt|argon2|scrypt|pbkdf2|"
    "hmac|secret|secrets|api key|api keys|credential|credentials|permission|permissions|rbac|acl|role-based|"
    "access control|tls|ssl|certificate|certificates|signature|signing|2fa|mfa|totp|rate limit|rate limiting|"
    "brute force|vulnerability|vulnerabilities|cve|security headers|csp|hsts|content security policy"
)
# Sensitive areas: a task may work there without touching a security mechanism.
SECURITY_AREA_WORDS = _words("payment|payments|billing|checkout|stripe|credit card|pii|gdpr|security")
# Where a security word means something else: token counts, hash maps, a login button's colour.
NOT_SECURITY = re.compile(
    r"(?:input|output|reasoning|cached|prompt|completion|max)[ -]tokens?|count(?:ing|s)? (?:the )?tokens"
    r"|tokens? (?:count|counts|counting|counter|budget|budgets|usage|per|limit|limits|estimate|estimates)"
    r"|hash ?(?:maps?|tables?|sets?)|(?:content|file|cache|commit|git) hash(?:es)?"
    r"|(?:function|method|type|call) signatures?|(?:test|repl|debug|interactive|shell|browser) sessions?"
    r"|(?:login|sign[- ]in|logout|password|checkout|payment) (?:button|link|label|icon|page title|styling|style"
    r"|colou?r|layout|spacing|alignment|copy|text|tooltip|placeholder|screenshot)s?"
)
# Task types that build or change behaviour: a security word there is security work.
BUILDING_TYPES = ("implementation", "bug_fix", "architecture", "requirements")
# In a refactoring, these make a security word a change of the mechanism ("use argon2 instead of md5").
CHANGE_WORDS = _words("replace|switch|migrate|move to|upgrade|harden|enforce|rotate|tighten|relax|revoke|instead of")
COMPLEX_BUG_WORDS = _words(
    "race|race condition|deadlock|concurrency|concurrent|thread|threads|memory leak|leak|intermittent|flaky|"
    "corruption|corrupt|data loss|heisenbug|segfault|timeout|performance regression|distributed|consistency"
)
UNCHARTED_WORDS = _words("prototype|spike|experimental|explore|investigate|research|proof of concept")
PATTERN_WORDS = _words(
    "like the existing|same as|following the pattern|follow the pattern|similar to|as we do|mirror|copy of|"
    "like we did|based on the existing|template"
)
TRIVIAL_WORDS = _words(
    "typo|typos|spelling|bump version|bump the version|rename|one-line|one line|wording|fix comment|"
    "update comment|whitespace|formatting"
)
_UNITS = "services?|microservices?|modules?|packages?|librar(?:y|ies)|crates?|components?|layers?|apps?"
# Structural changes: splitting a service, extracting modules, re-architecting.
STRUCTURAL = re.compile(
    r"\b(?:split|break|carve|extract|pull|move|factor|separate)\w*\b[^.;:]{0,60}?\b(?:into|to)\b[^.;:]{0,40}?"
    rf"\b(?:{_UNITS})\b"
    r"|\bre-?architect\w*|\bmonolith\w*|\bmicroservices?\b|\bmodulari[sz]\w*|\bbreak(?:ing)? up\b"
    r"|\bplugin (?:architecture|system)\b|\bdecoupl\w+\b[^.;:]{0,60}?\bfrom\b"
    r"|\b(?:into|as) (?:separate|independent|standalone) \w+"
    r"|\b(?:restructur|reorgani[sz]|decompos)\w*\b[^.;:]{0,40}?\b(?:project|codebase|package|packages|modules?"
    r"|services?|app|application|repo|repository|layout|architecture|director(?:y|ies)|layers?|monolith|system)\b",
    re.IGNORECASE,
)
# One unit of code, the seed's "a simple debounce function": a small, single-place change.
SMALL_UNIT = re.compile(
    r"\b(?:a|an|one|single)\s+(?:[\w'-]+(?:\([^)]*\))?\s+){0,3}?(?:function|helper|method|utility|util|constant"
    r"|getter|setter|property|alias|decorator|validator|flag|option|parameter|argument|field|column|default"
    r"|shortcut|log line|log message|check|guard|regex|formatter|converter|comparator)s?\b",
    re.IGNORECASE,
)
SMALL_WORDS = 25  # a longer task describes more than one place
WIDE_NOUNS = re.compile(
    r"\b(?:system|systems|services?|apis?|endpoints|modules|features|pipeline|framework|layer|app|application"
    r"|architecture|database|schema|platform|workflow|integration|sdk|server|dashboard|engine)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Thresholds:
    large_files: int = 400  # code files that make a codebase large
    large_lines: int = 60_000  # or lines of code
    coupled_degree: float = 2.0  # imports per module that make the code tightly coupled
    coupled_reach: int = 40  # modules within two hops of the task's area
    step_lines: int = 120  # lines of non-test code a step may add before it is far larger than a plan item
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

    @property
    def security_words(self) -> list[str]:
        """The security mechanisms the task implements or changes: its steps doing that work go to high."""
        return list(self.facts.get("security_words") or [])


def words_in(text: str, words: list[str]) -> list[str]:
    lowered = " ".join(text.lower().split())
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w.lower())}(?![\w-])", lowered)]


def security_words_in(text: str, words: list[str] | None = None) -> list[str]:
    """The security-mechanism words of ``text``, leaving out their other meanings (token counts, hash maps)."""
    return words_in(NOT_SECURITY.sub(" ", " ".join(text.lower().split())), words or SECURITY_WORDS)


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
    mentioned = security_words_in(task, security_words)
    changes = task_type == "refactoring" and bool(words_in(task, CHANGE_WORDS))
    security = mentioned if task_type in BUILDING_TYPES or changes else []
    area = [w for w in mentioned if w not in security] + words_in(task, SECURITY_AREA_WORDS)
    complex_bug = words_in(task, COMPLEX_BUG_WORDS) if task_type == "bug_fix" else []
    uncharted = words_in(task, UNCHARTED_WORDS)
    pattern = words_in(task, PATTERN_WORDS)
    trivial = [] if security else words_in(task, TRIVIAL_WORDS)
    structural = [" ".join(m.group(0).split()) for m in STRUCTURAL.finditer(task)]
    small = _small(task, task_type) if not (security or structural or complex_bug or uncharted) else []
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
        set_effort("plan", E.HIGH, f"security work ({what}) needs risks and mitigations planned", only_up=True)
        set_effort("review", E.HIGH, f"security work ({what}) is reviewed in depth", only_up=True)
        implement = phases["implement"]
        if implement.effort.rank < E.HIGH.rank:
            implement.reasons.append(
                f"implement at high for the steps that implement or change {what} (a critical security feature);"
                f" the other steps at {implement.effort}"
            )
    elif area:
        phases["implement"].reasons.append(
            f"implement at {phases['implement'].effort}: the task mentions {', '.join(area[:3])} but implements"
            f" or changes no security mechanism ({task_type}); a step the plan marks security critical goes to high"
        )
    if uncharted:
        set_effort(
            "implement", E.HIGH, f"uncharted territory without clear specs ({', '.join(uncharted)})", only_up=True
        )
    if structural:
        what = "; ".join(structural[:2])
        set_effort(
            "plan", E.HIGH, f"a structural change ({what}): the seams between modules need planning", only_up=True
        )
        set_effort("review", E.HIGH, f"a structural change ({what}) is reviewed in depth", only_up=True)
    if pattern and not security:
        set_effort("plan", E.MEDIUM, f"an existing pattern to follow ({', '.join(pattern)})", only_down=True)
    if small:
        set_effort(
            "plan", E.MEDIUM, f"a small, single-place change ({small[0]}): a straightforward plan", only_down=True
        )
    if trivial:
        set_effort("plan", E.LOW, f"a trivial change ({', '.join(trivial)}): a one-step plan", only_down=True)
        set_effort("implement", E.LOW, f"a trivial change ({', '.join(trivial)})", only_down=True)
    if large and facts is not None and not (small or trivial) and (coupled or structural):
        why = "a structural change" if structural and not coupled else "cross-module dependencies"
        set_effort(
            "plan",
            E.XHIGH,
            f"a large codebase ({facts.code_files} code files, {facts.lines_of_code:,} lines) with {why}"
            f" (the task's area reaches {facts.area_reach} modules)",
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
            "security_area_words": area,
            "complex_bug_words": complex_bug,
            "uncharted_words": uncharted,
            "pattern_words": pattern,
            "structural": structural,
            "small": small,
            "trivial": bool(trivial),
            "large_codebase": large,
            "coupled": coupled,
            "repo": facts.to_json() if facts else None,
        },
    )


def _small(task: str, task_type: str) -> list[str]:
    """The one unit of code a short implementation task names ("a simple debounce function"), or nothing."""
    if task_type not in ("implementation", "bug_fix", "testing", "refactoring") or len(task.split()) > SMALL_WORDS:
        return []
    units = [" ".join(m.group(0).split()) for m in SMALL_UNIT.finditer(task)]
    return units if len(units) == 1 and not WIDE_NOUNS.search(task) else []


def apply_strategy(route_: Route, strategy_efforts: Mapping[str, Effort], strategy: str) -> dict[str, PhaseRoute]:
    """A fixed strategy's efforts, with the reason naming what the route would have chosen instead."""
    chosen: dict[str, PhaseRoute] = {}
    for phase in ROUTED_PHASES:
        routed = route_.phases[phase]
        effort = strategy_efforts[phase]
        steps_up = [r for r in routed.reasons if r.startswith(f"{phase} at high for the steps")]
        if effort == routed.effort and not (steps_up and effort.rank < E.HIGH.rank):
            chosen[phase] = PhaseRoute(effort, [f"{phase} at {effort}: strategy {strategy}", *routed.reasons])
        else:
            overridden = "; ".join(steps_up if effort == routed.effort else routed.reasons)
            chosen[phase] = PhaseRoute(
                effort, [f"{phase} at {effort}: strategy {strategy}, overriding the route ({overridden})"]
            )
    return chosen


# A step's files that are security code, by a part of their path (src/auth/jwt.py, app/permissions.py).
SECURITY_PATH_PARTS = frozenset(
    _words(
        "auth|authn|authz|authentication|authorization|login|logout|jwt|oauth|oidc|saml|sso|password|passwords|"
        "crypto|security|permissions|permission|acl|rbac|csrf|secrets|credentials|2fa|mfa|totp"
    )
)
_DOC_OR_TEST = re.compile(
    r"\.(?:md|rst|txt|adoc)$|(?:^|/)(?:docs?|tests?|__tests__|specs?|fixtures?|testdata)/"
    r"|(?:^|/)(?:test_[^/]*|[^/]*_test\.\w+|conftest\.py|[^/]*\.(?:test|spec)\.\w+)$|(?:^|/)(?:README|CHANGELOG|LICENSE)",
    re.IGNORECASE,
)
CODE_STEP_KINDS = ("implementation", "bug_fix")


def step_security(step: Step, security_words: list[str] | None = None) -> str | None:
    """Why ``step`` implements or changes a security mechanism, or None: the plan's flag, its kind, else
    (for code steps only: never a docs or tests step) the words of its text or the paths of its files."""
    if step.security_critical:
        return "the step is security critical"
    if step.kind == "security":
        return "the step is security work (kind security)"
    code_files = [path for path in step.files if not _DOC_OR_TEST.search(path)]
    if step.kind not in CODE_STEP_KINDS or (step.files and not code_files):
        return None
    said = security_words_in(f"{step.title}\n{step.description}\n{' '.join(step.acceptance)}", security_words)
    if said:
        return f"the step implements or changes {', '.join(said[:3])}"
    paths = [path for path in code_files if set(re.split(r"[^a-z0-9]+", path.lower())) & SECURITY_PATH_PARTS]
    if paths:
        return f"the step changes security code ({', '.join(paths[:2])})"
    return None


def step_effort(
    implement: Effort,
    step: Step,
    *,
    auto: bool,
    strategy: str,
    security_words: list[str] | None = None,
) -> tuple[Effort, str]:
    """A plan step's effort and why: under the route (``auto``) high for a step that implements or changes
    a security mechanism or that the plan leaves questions open in; else the run's implement effort."""
    why = []
    if security := step_security(step, security_words):
        why.append(security)
    if step.ambiguities:
        count = len(step.ambiguities)
        first = _clip(step.ambiguities[0])
        why.append(f"the step has {count} {'ambiguity' if count == 1 else 'ambiguities'} to interpret ({first})")
    if not why:
        return implement, f"implement at {implement}: the run's implement effort ({strategy})"
    because = " and ".join(why)
    if implement.rank >= E.HIGH.rank:
        return implement, f"implement at {implement}: the run's implement effort ({strategy}); {because}"
    if auto:
        return E.HIGH, f"implement at high: {because}"
    remedy = "answer it in plan.md, or" if step.ambiguities and not security else "to follow the route,"
    return implement, (
        f"implement at {implement}: strategy {strategy} implements every step at {implement}; the route would use"
        f" high, as {because}: {remedy} run with --strategy auto"
    )


def _clip(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
