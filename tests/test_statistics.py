"""gearshift's statistics, checked against scipy (and statsmodels when it is installed) and by their properties."""

from __future__ import annotations

import math
import random
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from gearshift.evidence.statistics import mcnemar_exact, paired_bootstrap, wilson_interval


def wilson_by_hand(k: int, n: int, confidence: float) -> tuple[float, float]:
    """The Wilson bounds as the roots of (p̂ - p)^2 = z^2 p (1 - p) / n, solved as a quadratic in p."""
    z = float(stats.norm.ppf((1 + confidence) / 2))
    p_hat = k / n
    a = 1 + z * z / n
    b = -(2 * p_hat + z * z / n)
    c = p_hat * p_hat
    root = math.sqrt(max(b * b - 4 * a * c, 0.0))
    return ((-b - root) / (2 * a), (-b + root) / (2 * a))


@pytest.mark.parametrize(
    ("k", "n"), [(0, 1), (1, 1), (0, 10), (3, 10), (5, 10), (10, 10), (1, 30), (17, 23), (250, 300)]
)
@pytest.mark.parametrize("confidence", [0.95, 0.9, 0.99])
def test_wilson_matches_scipy_and_the_formula(k: int, n: int, confidence: float) -> None:
    ours = wilson_interval(k, n, confidence)
    theirs = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    assert ours == pytest.approx((theirs.low, theirs.high), abs=1e-12)
    assert ours == pytest.approx(wilson_by_hand(k, n, confidence), abs=1e-9)


def test_wilson_matches_statsmodels_when_installed() -> None:
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    for k, n in [(0, 7), (3, 10), (42, 50), (9, 9)]:
        low, high = proportion.proportion_confint(k, n, alpha=0.05, method="wilson")
        assert wilson_interval(k, n) == pytest.approx((low, high), abs=1e-12)


def test_wilson_known_value_and_edges() -> None:
    # 3 of 10 at 95%: the textbook interval, to four places
    low, high = wilson_interval(3, 10)
    assert (round(low, 4), round(high, 4)) == (0.1078, 0.6032)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(0, 5)[0] == 0.0
    assert wilson_interval(5, 5)[1] == 1.0
    for bad in [(-1, 3), (4, 3), (1, -1)]:
        with pytest.raises(ValueError):
            wilson_interval(*bad)
    with pytest.raises(ValueError):
        wilson_interval(1, 2, confidence=1.0)


@given(n=st.integers(min_value=1, max_value=5000), data=st.data(), confidence=st.floats(0.5, 0.999))
def test_wilson_stays_in_the_unit_interval_around_the_estimate(n: int, data: st.DataObject, confidence: float) -> None:
    k = data.draw(st.integers(min_value=0, max_value=n))
    low, high = wilson_interval(k, n, confidence)
    assert 0.0 <= low <= k / n <= high <= 1.0
    assert high - low > 0
    # the complement's interval mirrors it
    other_low, other_high = wilson_interval(n - k, n, confidence)
    assert (other_low, other_high) == pytest.approx((1 - high, 1 - low), abs=1e-12)


@pytest.mark.parametrize(
    ("wins", "losses"), [(0, 0), (1, 0), (0, 1), (5, 0), (7, 2), (2, 7), (10, 10), (3, 4), (30, 12), (0, 25)]
)
def test_mcnemar_matches_scipy_binomtest(wins: int, losses: int) -> None:
    expected = 1.0 if wins + losses == 0 else stats.binomtest(wins, wins + losses, 0.5).pvalue
    assert mcnemar_exact(wins, losses) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_mcnemar_known_values_and_large_counts() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(6, 0) == pytest.approx(2 / 64)  # all six discordant pairs one way
    assert mcnemar_exact(4, 4) == 1.0
    # large counts: exact integers, no overflow, no underflow to a wrong answer
    assert mcnemar_exact(1200, 1000) == pytest.approx(stats.binomtest(1200, 2200, 0.5).pvalue, rel=1e-9)
    assert mcnemar_exact(3000, 0) == 0.0  # 2**-2999: below the smallest float, and no error
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)


@given(wins=st.integers(0, 400), losses=st.integers(0, 400))
def test_mcnemar_is_a_symmetric_probability(wins: int, losses: int) -> None:
    p = mcnemar_exact(wins, losses)
    assert 0.0 <= p <= 1.0
    assert p == mcnemar_exact(losses, wins)
    if wins + losses:
        assert p == pytest.approx(stats.binomtest(wins, wins + losses, 0.5).pvalue, rel=1e-9, abs=1e-300)


@given(wins=st.integers(0, 60), losses=st.integers(0, 60))
def test_mcnemar_one_more_win_never_makes_a_lead_less_clear(wins: int, losses: int) -> None:
    if wins >= losses:
        assert mcnemar_exact(wins + 1, losses) <= mcnemar_exact(wins, losses)


def clusters_of(seed: int, tasks: int, repeats: int, a: float, b: float) -> list[list[tuple[float, float]]]:
    rng = random.Random(seed)
    return [[(float(rng.random() < a), float(rng.random() < b)) for _ in range(repeats)] for _ in range(tasks)]


def test_bootstrap_is_the_percentile_interval_of_resampled_clusters() -> None:
    """The same resamples, drawn and summarised independently with numpy, give the same interval."""
    clusters = clusters_of(3, tasks=40, repeats=3, a=0.6, b=0.4)
    ours = paired_bootstrap(clusters, resamples=2000, seed=11)
    rng = random.Random(11)
    sums = np.array([sum(x - y for x, y in c) for c in clusters])
    sizes = np.array([len(c) for c in clusters])
    diffs = []
    for _ in range(2000):
        drawn = np.array(rng.choices(range(len(clusters)), k=len(clusters)))
        diffs.append(sums[drawn].sum() / sizes[drawn].sum())
    expected = np.percentile(diffs, [2.5, 97.5])
    assert ours == pytest.approx(tuple(expected), abs=1e-12)


def test_bootstrap_agrees_with_scipy_resampling_the_same_clusters() -> None:
    clusters = clusters_of(5, tasks=60, repeats=3, a=0.7, b=0.45)
    sums = np.array([sum(x - y for x, y in c) for c in clusters])
    sizes = np.array([float(len(c)) for c in clusters])

    def ratio(s: np.ndarray, n: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.asarray(s.sum(axis=axis) / n.sum(axis=axis))

    theirs = stats.bootstrap(
        (sums, sizes),
        ratio,
        paired=True,
        vectorized=True,
        method="percentile",
        n_resamples=20_000,
        random_state=np.random.default_rng(1),
    ).confidence_interval
    ours = paired_bootstrap(clusters, resamples=20_000, seed=1)
    # two Monte Carlo estimates of the same percentiles
    assert ours == pytest.approx((theirs.low, theirs.high), abs=0.015)


def test_bootstrap_keeps_a_tasks_repeats_together() -> None:
    """Repeats that always agree carry one task's worth of evidence: the interval is wider than if they were free."""
    clusters = [[pair] * 4 for pair in [(1.0, 0.0), (0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0)] * 4]
    as_clusters = paired_bootstrap(clusters)
    as_free = paired_bootstrap([[pair] for cluster in clusters for pair in cluster])
    assert as_clusters[1] - as_clusters[0] > 1.5 * (as_free[1] - as_free[0])


def test_bootstrap_is_deterministic_and_degenerate_cases() -> None:
    clusters = clusters_of(8, tasks=20, repeats=2, a=0.5, b=0.5)
    assert paired_bootstrap(clusters, seed=4) == paired_bootstrap(clusters, seed=4)
    assert paired_bootstrap(clusters, seed=4) != paired_bootstrap(clusters, seed=5)
    assert paired_bootstrap([[(1.0, 0.0), (1.0, 0.0)]]) == (1.0, 1.0)  # one cluster: nothing varies
    assert paired_bootstrap([[], [(0.0, 1.0)]]) == (-1.0, -1.0)  # an empty cluster is no cluster
    with pytest.raises(ValueError):
        paired_bootstrap([])
    with pytest.raises(ValueError):
        paired_bootstrap([[]])


pairs = st.tuples(st.sampled_from([0.0, 1.0]), st.sampled_from([0.0, 1.0]))


@settings(max_examples=40, deadline=None)
@given(clusters=st.lists(st.lists(pairs, min_size=1, max_size=4), min_size=1, max_size=12), seed=st.integers(0, 99))
def test_bootstrap_interval_is_ordered_and_within_the_observed_differences(
    clusters: list[list[tuple[float, float]]], seed: int
) -> None:
    low, high = paired_bootstrap(clusters, resamples=300, seed=seed)
    means = [sum(a - b for a, b in c) / len(c) for c in clusters]
    assert min(means) - 1e-12 <= low <= high <= max(means) + 1e-12
    assert -1.0 <= min(means) <= max(means) <= 1.0
    assert paired_bootstrap([[(b, a) for a, b in c] for c in clusters], resamples=300, seed=seed) == pytest.approx(
        (-high, -low)
    )


def test_statistics_never_import_scipy() -> None:
    code = "import sys, gearshift.evidence.statistics as s; s.mcnemar_exact(1, 2); print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
