"""Task classification without a model call: word rules plus learned word weights, kept as evidence.

The eight task types are the decision matrix's rows. A rule is a regular expression with a
weight for one type; a match at the start of the task (its verb) counts more. Five types are the
ones public commit histories label (implementation, bug_fix, refactoring, documentation,
testing): word weights learned from such histories (data/task_words.tsv, rebuilt byte for byte
by bench/train_task_words.py from the histories and library versions pinned in
bench/task_words.lock.json) add to their rules. The other three (architecture, requirements,
review) no history labels, so they have rule priors only (data/rule_priors.tsv): when the rules
alone pick one of them, it stands. The type with the highest score wins; with no evidence at all,
the task is an implementation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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


# Words that point at the types the histories label, with weights (rule points); tuned on public commit
# subjects (bench/route_bench.py). The learned weights are added to them, scaled to these points (the
# lock's "scale"). Without them the learned weights alone lose 0.01 to 0.04 macro-F1 on the held-out
# repositories and miss routing cases: folding them into the learned weights is not done yet.
# Topic nouns (docs, tests) outweigh generic verbs: "add a test" is testing, "fix a typo" docs.
_RULES: dict[str, list[tuple[float, str]]] = {
    "documentation": [
        (5, r"docs?"),
        (5, r"documentation"),
        (4, r"(?<!the )(?<!an )(?<!a )document(?:s|ed|ing)?"),  # "the document store" is a thing, not docs
        (5, r"readme"),
        (5, r"typos?"),
        (4, r"changelog"),
        (4, r"guides?"),
        (4, r"tutorials?"),
        (4, r"jsdoc"),
        (4, r"tsdoc"),
        (4, r"docstrings?"),
        (3, r"comments?"),
        (4, r"\w+\.md\b"),
        (4, r"wording"),
        (4, r"grammar"),
        (4, r"spelling"),
        (3, r"translat\w+"),
        (4, r"links?"),
        (3, r"examples?"),
        (3, r"clarify"),
        (3, r"mention\w*"),
        (3, r"explain\w*"),
        (3, r"note (?:about|on|that)"),
        (4, r"api reference"),
        (4, r"badges?"),
        (3, r"faq"),
        (4, r"install(?:ation)? instructions"),
        (3, r"description"),
        (3, r"sponsors?|logo|contributors?|members?"),
        (2.5, r"reference|section|pages?|sidebar|demo"),
        (3, r"showcase"),
        (2.5, r"tagline"),
        (2, r"walkthrough"),
        (3, r"team"),
        (2, r"website"),
        (3, r"blog"),
        (3, r"rephrase"),
        (3, r"recipe"),
    ],
    "testing": [
        (5, r"tests?"),
        (5, r"testing"),
        (3, r"specs?"),
        (5, r"e2e"),
        (5, r"unit[- ]tests?"),
        (5, r"test cases?"),
        (4, r"fixtures?"),
        (5, r"flak\w+"),
        (4, r"assertions?"),
        (5, r"test suite"),
        (3, r"coverage for"),
        (3, r"mocks? in tests"),
        (3, r"playground"),
    ],
    "refactoring": [
        (5, r"refactor\w*"),
        (4, r"renam\w+"),
        (3, r"move[sd]?"),
        (3, r"moving"),
        (4, r"extract\w*"),
        (4, r"simplif\w+"),
        (4, r"clean ?up"),
        (4, r"cleanups?"),
        (4, r"reorganiz\w+"),
        (4, r"restructur\w+"),
        (3, r"inline[sd]?"),
        (4, r"dedupe"),
        (4, r"deduplicat\w+"),
        (3, r"split\w*"),
        (3, r"consolidat\w+"),
        (2.5, r"replace[sd]?"),
        (3, r"reuse"),
        (3, r"unused"),
        (4, r"dead code"),
        (2, r"internals?"),
        (3, r"code style"),
        (4, r"reduce duplication"),
        (3, r"decouple"),
        (3, r"tidy"),
        (3, r"improve \w+ (?:code|implementation|structure|logic)"),
        (2.5, r"use \w+ instead"),
        (2.5, r"prefer"),
        (2.5, r"share[sd]?"),
        (3, r"abstract\w*"),
        (2, r"unify"),
        (3, r"lint\w*"),
        (2, r"minor"),
        (3, r"merge[sd]?"),
        (3, r"rework\w*"),
        (3, r"rewrit\w+"),
        (3, r"separat\w+"),
        (3, r"organi[sz]\w+"),
        (2.5, r"migrat\w+"),
        (2.5, r"optimi[sz]\w+|deprecat\w+|reorder\w*|modulari[sz]\w+"),
    ],
    "bug_fix": [
        (4, r"fix\w*"),
        (4, r"bugs?"),
        (4, r"crash\w*"),
        (4, r"regression"),
        (4, r"broken"),
        (4, r"incorrect\w*"),
        (4, r"wrong\w*"),
        (3, r"prevent\w*"),
        (3, r"avoid\w*"),
        (2.5, r"handle[sd]?"),
        (2.5, r"ensure[sd]?"),
        (2, r"should(?:n't)?"),
        (2.5, r"don'?t"),
        (2.5, r"doesn'?t"),
        (2.5, r"does not"),
        (1.5, r"not"),
        (2, r"never"),
        (2.5, r"missing"),
        (2.5, r"properly"),
        (3, r"correct(?:ly|ed)?"),
        (2.5, r"respect\w*"),
        (3, r"issues?"),
        (2, r"errors?"),
        (3, r"fail\w*"),
        (2.5, r"invalid"),
        (3, r"unexpected\w*"),
        (3, r"leak\w*"),
        (3, r"hang\w*"),
        (2, r"race"),
        (2.5, r"edge cases?"),
        (2, r"undefined"),
        (2, r"null"),
        (3, r"revert\w*"),
        (3, r"workaround"),
        (2, r"patch\w*"),
        (2.5, r"restore[sd]?"),
        (1.5, r"when"),
        (2, r"instead of"),
        (1.5, r"only"),
        (2, r"again"),
        (2, r"compat\w*"),
        (2, r"warn\w*"),
        (2, r"infinite"),
        (2.5, r"resolv\w+"),
        (2, r"keep"),
        (2, r"preserve[sd]?"),
        (1.5, r"to (?:work|be|not|match|use|respect|include|detect|handle)"),
        (2, r"(?:un)?necessary"),
        (2, r"duplicate[sd]?"),
        (2, r"stale"),
        (2, r"deadlock"),
        (2.5, r"wrongly"),
        (2, r"unhandled"),
        (2, r"types? (?:error|issue)s?"),
        (1.5, r"bump"),
        (2, r"update \w+ to"),
        # corrective verbs and adverbs: a subject that says how something should behave now
        (2, r"ignore[sd]?|skip\w*|disable[sd]?|hide[sd]?"),
        (1.5, r"clear\w*"),
        (1.5, r"apply"),
        (2.5, r"fall ?back"),
        (1.5, r"switch"),
        (1.5, r"set"),
        (2, r"reset"),
        (2, r"exclude[sd]?"),
        (2, r"always"),
        (2, r"really"),
        (2, r"explicitly"),
        (2, r"proper"),
        (1.5, r"use"),
        (2, r"remove[sd]?"),
        (2, r"(?:un)?expected"),
        (1.5, r"dependenc(?:y|ies)"),
        (1.5, r"typings?"),
        (1.5, r"types"),
    ],
    "implementation": [
        (2, r"add\w*"),
        (3, r"support\w*"),
        (3, r"implement\w*"),
        (3, r"introduc\w+"),
        (3, r"allow\w*"),
        (3, r"enabl\w+"),
        (3, r"expos\w+"),
        (3, r"new"),
        (2.5, r"create[sd]?"),
        (2, r"build"),
        (2.5, r"provide[sd]?"),
        (2, r"options?"),
        (2, r"flags?"),
        (3, r"feature"),
        (2, r"api"),
        (2.5, r"endpoints?"),
        (2, r"commands?"),
        (2.5, r"accept\w*"),
        (1.5, r"custom\w*"),
        (1.5, r"config(?:urable)?"),
        (2.5, r"initial"),
        (2.5, r"experimental"),
        (2.5, r"integrat\w+"),
        (2, r"plugins?"),
        (2.5, r"ability"),
        (2, r"output"),
        (2, r"improve\w*"),
        (2, r"show\w*"),
        (2, r"print\w*"),
        (2, r"display\w*"),
        (2, r"generat\w+"),
        (2, r"detect\w*"),
        (2, r"inspect\w*"),
        (1.5, r"modal"),
        (1.5, r"ui"),
        (1.5, r"view"),
    ],
}
# The rule priors (data/rule_priors.tsv) come first: words for the types that no history labels.
RULE_PRIORS: tuple[Rule, ...] = parse_rule_priors(
    resources.files("gearshift").joinpath("data/rule_priors.tsv").read_text("utf-8")
)
DEFAULT_RULES: tuple[Rule, ...] = RULE_PRIORS + tuple(
    Rule(task_type, pattern, weight) for task_type, rules in _RULES.items() for weight, pattern in rules
)


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
    learned: bool = False  # a learned word weight rather than a rule


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
        if learned := [f"'{e.matched}' {e.weight:+.1f}" for e in chosen if e.learned]:
            parts.append("learned " + ", ".join(learned))
        return [f"{self.task_type}: {'; '.join(parts)} (score {self.scores[self.task_type]:.1f})"]


@dataclass(frozen=True)
class WordWeights:
    """Learned weights, in rule points, of word features for some of the task types."""

    types: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]] = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> WordWeights:
        rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
        header, bias, *features = rows
        types = tuple(header[1:])
        unknown = set(types) - set(TASK_TYPES)
        if unknown or bias[0] != "(bias)":
            raise ValueError(f"not a task-words table: header {header}, first row {bias[0]!r}")
        return cls(types, tuple(map(float, bias[1:])), {row[0]: tuple(map(float, row[1:])) for row in features})

    def score(self, task: str) -> tuple[dict[str, float], list[Evidence]]:
        """Each type's learned score and every known feature's contribution as evidence;
        nothing at all when none of the task's features is known."""
        features = dict.fromkeys(word_features(task))
        known = [(feature, self.weights[feature]) for feature in features if feature in self.weights]
        if not known:
            return {}, []
        scores = dict(zip(self.types, self.bias, strict=True))
        evidence = []
        for feature, row in known:
            for task_type, weight in zip(self.types, row, strict=True):
                scores[task_type] += weight
                shown = f"{feature[1:]} (first word)" if feature.startswith("^") else feature
                evidence.append(Evidence(task_type, shown, weight, learned=True))
        return scores, evidence


@cache
def default_word_weights() -> WordWeights:
    return WordWeights.parse(resources.files("gearshift").joinpath("data/task_words.tsv").read_text("utf-8"))


def word_features(text: str) -> list[str]:
    """The learned model's features: the first word marked with '^', the words, the word pairs.
    Shared with bench/train_task_words.py so training and use cannot drift apart."""
    words = re.findall(r"[a-z]+", text.lower())
    if not words:
        return []
    return [f"^{words[0]}", *words, *(f"{a} {b}" for a, b in pairwise(words))]


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
        scores, evidence = self._rule_scores(text)
        rules_pick = _best(scores)
        if self.words is None or rules_pick in RULE_ONLY_TYPES:
            return Classification(rules_pick, scores, tuple(evidence))
        learned, word_evidence = self.words.score(text)
        if not learned:
            return Classification(rules_pick, scores, tuple(evidence))
        for task_type, points in learned.items():
            scores[task_type] += points
        best = max(self.words.types, key=lambda t: (scores[t], t == DEFAULT_TYPE))
        scores = {task_type: round(points, 2) for task_type, points in scores.items()}
        strongest = sorted((e for e in word_evidence if e.task_type == best and e.weight > 0), key=lambda e: -e.weight)
        return Classification(best, scores, tuple(evidence + strongest[:WORD_EVIDENCE]))

    def _rule_scores(self, text: str) -> tuple[dict[str, float], list[Evidence]]:
        lead_end = _lead_end(text)
        scores = dict.fromkeys(TASK_TYPES, 0.0)
        evidence: list[Evidence] = []
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
        return scores, evidence


def _best(scores: Mapping[str, float]) -> str:
    best = max(TASK_TYPES, key=lambda t: (scores[t], t == DEFAULT_TYPE))
    return best if scores[best] > 0 else DEFAULT_TYPE


def _lead_end(text: str) -> int:
    """Where the task's first two words end: its verb and object carry the most weight."""
    words = list(re.finditer(r"\S+", text))
    return words[min(1, len(words) - 1)].end() if words else 0


# A word the user names in settings says what the task is, so it outweighs the learned words:
# the widest spread of their scores on 13,454 held-out commit subjects was 85 points.
USER_KEYWORD_WEIGHT = 100.0


def rules_from_settings(
    keywords: Mapping[str, list[str]] | None, weight: float = USER_KEYWORD_WEIGHT
) -> tuple[Rule, ...]:
    """Extra rules from settings ([routing.keywords] type = ["word", ...]) go before the defaults."""
    extra = tuple(Rule(t, re.escape(word), weight) for t, words in (keywords or {}).items() for word in words)
    return extra + DEFAULT_RULES
