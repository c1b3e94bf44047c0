"""Task classification without a model call: one learned linear model, its evidence kept.

The eight task types are the decision matrix's rows. Five are the ones public commit histories label
(implementation, bug_fix, refactoring, documentation, testing): one logistic regression scores them
from the task's features, its words and word pairs (word_features) and the task patterns it matches
(data/task_patterns.tsv: regular expressions with no weights of their own), its weights in
data/task_words.tsv, rebuilt byte for byte by bench/train_task_words.py from the histories, settings
and library versions pinned in bench/task_words.lock.json. The other three (architecture,
requirements, review) no history labels, so they have hand-set rule priors only
(data/rule_priors.tsv): when those reach PRIOR_DECIDES points, that type stands. Words the user
names in settings add their points to a type. The type with the highest score wins; with no
evidence at all, the task is an implementation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import pairwise

TASK_TYPES = (
    "architecture",
    "requirements",
    "implementation",
    "bug_fix",
    "review",
    "testing",
    "refactoring",
    "documentation",
)
DEFAULT_TYPE = "implementation"
RULE_ONLY_TYPES = ("architecture", "requirements", "review")  # no commit history labels these
LEADING_BONUS = 1.5  # a rule that matches the task's first words weighs this much more


@dataclass(frozen=True)
class Rule:
    task_type: str
    pattern: str
    weight: float


def parse_rule_priors(text: str) -> tuple[Rule, ...]:
    """The rule priors' table (type, weight, regular expression, tab-separated) as rules; only the
    types no commit history labels may have priors, since the learned weights speak for the others."""
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    header, *entries = rows
    if header != ["type", "weight", "pattern"]:
        raise ValueError(f"not a rule-priors table: header {header}")
    rules = []
    for entry in entries:
        if len(entry) != 3 or entry[0] not in RULE_ONLY_TYPES:
            raise ValueError(f"not a rule prior (type, weight, pattern; types {', '.join(RULE_ONLY_TYPES)}): {entry}")
        re.compile(entry[2])
        rules.append(Rule(entry[0], entry[2], float(entry[1])))
    return tuple(rules)


# The rule priors (data/rule_priors.tsv): the only hand-set weights, for the types no history labels.
RULE_PRIORS: tuple[Rule, ...] = parse_rule_priors(
    resources.files("gearshift").joinpath("data/rule_priors.tsv").read_text("utf-8")
)
DEFAULT_RULES: tuple[Rule, ...] = RULE_PRIORS
# A rule-only type decides when its priors reach this many points: a word that names it ("review",
# "requirements", "architecture": 4) anywhere, or a weaker one at the task's start. Weaker hints
# ("monorepo", "gather") alone leave the task to the learned weights.
PRIOR_DECIDES = 4.0
# Elsewhere than at the task's start, a prior gives way when the learned weights are sure of a type: their
# best leads the next by this many points (e^(10/6): 5 to 1). "Document the plugin architecture" is docs.
SURE = 10.0


def parse_patterns(text: str) -> tuple[tuple[str, str], ...]:
    """The task patterns' table (name, regular expression): features of the learned model, no weights."""
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    header, *entries = rows
    if header != ["name", "pattern"]:
        raise ValueError(f"not a task-patterns table: header {header}")
    patterns = []
    for entry in entries:
        if len(entry) != 2 or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", entry[0]):
            raise ValueError(f"not a task pattern (name, pattern): {entry}")
        patterns.append((entry[0], entry[1]))
    if len({name for name, _ in patterns}) != len(patterns):
        raise ValueError("task patterns: a name is used twice")
    return tuple(patterns)


@cache
def task_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The patterns of data/task_patterns.tsv, compiled (on first use: `gearshift route` only)."""
    text = resources.files("gearshift").joinpath("data/task_patterns.tsv").read_text("utf-8")
    return tuple((name, re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE)) for name, pattern in parse_patterns(text))


# Tests or docs a task asks for at its end, after its work: "..., with tests", "... and update the docs".
_SIDE = r"(?:(?:unit|integration|e2e|new|updated|its|their|the|a)\s+)*(?:tests?|docs|documentation|changelog)"
ACCOMPANIMENT = re.compile(
    rf"[,;]?\s+(?:with|including|plus|and(?: update| add| write)?)\s+{_SIDE}(?:\s*(?:,|and|&)\s*{_SIDE})*\s*\.?\s*$",
    re.IGNORECASE,
)
WORD_EVIDENCE = 3  # learned words shown as evidence: the strongest few for the chosen type


@dataclass(frozen=True)
class Evidence:
    task_type: str
    matched: str
    weight: float
    learned: bool = False  # a learned weight rather than a rule
    patterns: str = ""  # the task patterns among the learned features, "~name, ~name"


@dataclass(frozen=True)
class Classification:
    task_type: str
    scores: dict[str, float]
    evidence: tuple[Evidence, ...]

    @property
    def reasons(self) -> list[str]:
        chosen = [e for e in self.evidence if e.task_type == self.task_type]
        if not chosen:
            return [f"no word points at a task type, so {DEFAULT_TYPE} (the matrix's default)"]
        parts = []
        if rules := [f"'{e.matched}'" for e in chosen if not e.learned]:
            parts.append(", ".join(rules))
        if learned := [
            f"'{e.matched}'{f' ({e.patterns})' if e.patterns else ''} {e.weight:+.1f}" for e in chosen if e.learned
        ]:
            parts.append("learned " + ", ".join(learned))
        return [f"{self.task_type}: {'; '.join(parts)} (score {self.scores[self.task_type]:.1f})"]


class _Rows(Mapping[str, tuple[float, ...]]):
    """A table's rows by feature, parsed into numbers only when asked for: loading stays a dict of lines."""

    def __init__(self, raw: dict[str, str]) -> None:
        self._raw = raw

    def __getitem__(self, feature: str) -> tuple[float, ...]:
        return tuple(map(float, self._raw[feature].split("\t")))

    def __contains__(self, feature: object) -> bool:
        return feature in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


@dataclass(frozen=True)
class WordWeights:
    """The learned model: weights, in points, of the task's features (words, word pairs, patterns)."""

    types: tuple[str, ...]
    bias: tuple[float, ...]
    weights: Mapping[str, tuple[float, ...]] = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> WordWeights:
        lines = [line for line in text.splitlines() if line and not line.startswith("#")]
        header, bias = (line.split("\t") for line in lines[:2])
        types = tuple(header[1:])
        unknown = set(types) - set(TASK_TYPES)
        if unknown or bias[0] != "(bias)":
            raise ValueError(f"not a task-words table: header {header}, first row {bias[0]!r}")
        rows = {feature: row for feature, _, row in (line.partition("\t") for line in lines[2:])}
        return cls(types, tuple(map(float, bias[1:])), _Rows(rows))

    def score(self, task: str) -> tuple[dict[str, float], list[Evidence]]:
        """Each type's learned score and every known feature's contribution as evidence;
        nothing at all when none of the task's features is known."""
        known = [
            (shown, self.weights[feature]) for feature, shown in _features(task).items() if feature in self.weights
        ]
        if not known:
            return {}, []
        scores = dict(zip(self.types, self.bias, strict=True))
        evidence = []
        for (text, pattern), row in known:
            for task_type, weight in zip(self.types, row, strict=True):
                scores[task_type] += weight
                evidence.append(Evidence(task_type, text, weight, learned=True, patterns=pattern))
        return scores, evidence


@cache
def default_word_weights() -> WordWeights:
    return WordWeights.parse(resources.files("gearshift").joinpath("data/task_words.tsv").read_text("utf-8"))


# Articles are style, not the kind of work: a task is written in sentences, a commit subject mostly without them.
ARTICLES = frozenset({"a", "an", "the"})


def word_features(text: str) -> list[str]:
    """The first word marked with '^', the words, the word pairs; articles left out."""
    words = [word for word in re.findall(r"[a-z]+", text.lower()) if word not in ARTICLES]
    if not words:
        return []
    return [f"^{words[0]}", *words, *(f"{a} {b}" for a, b in pairwise(words))]


def task_features(text: str) -> list[str]:
    """The learned model's features: the words' (word_features) and '~name' for each task pattern found.
    Shared with bench/train_task_words.py so training and use cannot drift apart."""
    return list(_features(text))


def _features(text: str) -> dict[str, tuple[str, str]]:
    """Each feature of the task with the words to show for it as evidence (and its pattern's name)."""
    text = " ".join(text.split())
    shown = {feature: (feature.lstrip("^"), "") for feature in word_features(text)}
    for name, pattern in task_patterns():
        if match := pattern.search(text):
            shown[f"~{name}"] = (match.group(0).lower(), f"~{name}")
    return shown


def _strongest(evidence: Iterable[Evidence], task_type: str) -> list[Evidence]:
    """The words that weigh most for the type, each once: its word, first-word, pair and pattern weights summed."""
    summed: dict[str, tuple[float, list[str]]] = {}
    for e in evidence:
        if e.task_type == task_type:
            weight, patterns = summed.get(e.matched, (0.0, []))
            summed[e.matched] = (weight + e.weight, [*patterns, e.patterns] if e.patterns else patterns)
    ranked = sorted(((w, text, ps) for text, (w, ps) in summed.items() if w >= 0.05), key=lambda item: -item[0])
    return [Evidence(task_type, text, round(w, 2), True, ", ".join(ps)) for w, text, ps in ranked[:WORD_EVIDENCE]]


class TaskClassifier:
    def __init__(self, rules: Iterable[Rule] = DEFAULT_RULES, words: WordWeights | None = None) -> None:
        self.rules = tuple(rules)
        self.words = words
        self._compiled = [(rule, re.compile(rf"\b(?:{rule.pattern})\b", re.IGNORECASE)) for rule in self.rules]

    @classmethod
    def default(cls, rules: Iterable[Rule] = DEFAULT_RULES) -> TaskClassifier:
        return cls(rules, default_word_weights())

    def classify(self, task: str) -> Classification:
        text = " ".join(task.split())
        # "Add retries, with tests": the tests come with the work, they are not what it is
        main = ACCOMPANIMENT.sub("", text)
        if main != text and main.strip():
            result = self._classify(main)
            if result.evidence:
                said = Evidence(result.task_type, f"{text[len(main) :].strip(' ,;.')}: comes with the work", 0.0)
                return Classification(result.task_type, result.scores, (*result.evidence, said))
        return self._classify(text)

    def _classify(self, text: str) -> Classification:
        scores, evidence, leading = self._rule_scores(text)
        rules_pick = _best(scores)
        learned, word_evidence = self.words.score(text) if self.words else ({}, [])
        # the learned weights do not know the rule-only types: a prior that reaches PRIOR_DECIDES decides at
        # the task's start (its verb); elsewhere unless the learned weights lead by SURE and by more than its points
        prior = rules_pick in RULE_ONLY_TYPES and scores[rules_pick] >= PRIOR_DECIDES
        if prior and (rules_pick in leading or _lead(learned) < max(SURE, scores[rules_pick])):
            return Classification(rules_pick, scores, tuple(evidence))
        if not learned:
            return Classification(rules_pick, scores, tuple(evidence))
        for task_type, points in learned.items():
            scores[task_type] += points
        best = max(learned, key=lambda t: (scores[t], t == DEFAULT_TYPE))
        scores = {task_type: round(points, 2) for task_type, points in scores.items()}
        said = [e for e in evidence if e.task_type == best]  # the user's words for this type
        return Classification(best, scores, tuple(said + _strongest(word_evidence, best)))

    def _rule_scores(self, text: str) -> tuple[dict[str, float], list[Evidence], set[str]]:
        """Each type's rule points, the matches as evidence, and the types matched in the task's first words."""
        lead_end = _lead_end(text)
        scores = dict.fromkeys(TASK_TYPES, 0.0)
        evidence: list[Evidence] = []
        leading: set[str] = set()
        claimed: list[tuple[int, int]] = []
        for rule, pattern in self._compiled:
            for match in pattern.finditer(text):
                span = match.span()
                # a word counts once, for the first (most specific) rule that claims it
                if any(span[0] < end and start < span[1] for start, end in claimed):
                    continue
                claimed.append(span)
                weight = rule.weight * (LEADING_BONUS if span[0] < lead_end else 1.0)
                scores[rule.task_type] += weight
                evidence.append(Evidence(rule.task_type, match.group(0), weight))
                if span[0] < lead_end:
                    leading.add(rule.task_type)
        return scores, evidence, leading


def _best(scores: Mapping[str, float]) -> str:
    best = max(TASK_TYPES, key=lambda t: (scores[t], t == DEFAULT_TYPE))
    return best if scores[best] > 0 else DEFAULT_TYPE


def _lead(learned: Mapping[str, float]) -> float:
    """How far the learned weights' best type leads the next, in points (none with fewer than two)."""
    top = sorted(learned.values(), reverse=True)
    return top[0] - top[1] if len(top) > 1 else 0.0


def _lead_end(text: str) -> int:
    """Where the task's first two words end: its verb and object carry the most weight."""
    words = list(re.finditer(r"\S+", text))
    return words[min(1, len(words) - 1)].end() if words else 0


# A word the user names in settings says what the task is, so it outweighs the learned weights: the
# widest spread of their scores on the 19,772 held-out commit subjects was 96 points.
USER_KEYWORD_WEIGHT = 1000.0


def rules_from_settings(
    keywords: Mapping[str, list[str]] | None, weight: float = USER_KEYWORD_WEIGHT
) -> tuple[Rule, ...]:
    """Extra rules from settings ([routing.keywords] type = ["word", ...]) go before the defaults."""
    extra = tuple(Rule(t, re.escape(word), weight) for t, words in (keywords or {}).items() for word in words)
    return extra + DEFAULT_RULES
