"""The statistics a report rests on, in pure Python: checked against scipy in the tests, never importing it.

- ``wilson_interval``: a rate's confidence interval that stays inside [0, 1] and behaves at 0 and n;
- ``mcnemar_exact``: do two strategies differ on the same cells? the exact binomial test on the
  discordant pairs (cells one resolved and the other did not);
- ``paired_bootstrap``: how large is the difference? a percentile interval from resampling whole
  clusters (tasks), so that the repeats of one task, which are not independent, stay together.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from statistics import NormalDist


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of ``successes / n``; (0.0, 1.0) when there is nothing to judge (n = 0)."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"successes must be within 0..n, got {successes} of {n}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if n == 0:
        return (0.0, 1.0)
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # at 0 and n the bound is exactly the estimate; rounding must not push it off
    low = 0.0 if successes == 0 else max(0.0, min(p, centre - half))
    high = 1.0 if successes == n else min(1.0, max(p, centre + half))
    return (low, high)


def mcnemar_exact(wins: int, losses: int) -> float:
    """The two-sided exact McNemar p-value: ``wins`` of ``wins + losses`` against a fair coin; 1.0 with none."""
    if wins < 0 or losses < 0:
        raise ValueError(f"wins and losses must not be negative, got {wins} and {losses}")
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(wins, losses) + 1))
    # exact integers up to the one division, which Python rounds correctly however large n is
    return min(1.0, 2 * tail / (1 << n))


def paired_bootstrap(
    pairs_by_cluster: Sequence[Sequence[tuple[float, float]]],
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
) -> tuple[float, float]:
    """A percentile interval of mean(a) - mean(b) over (a, b) pairs, resampling whole clusters.

    Each cluster is one task's pairs (its repeats). A resample draws as many clusters as there are,
    with replacement, and pools their pairs; the same seed gives the same interval.
    """
    clusters = [cluster for cluster in pairs_by_cluster if cluster]
    if not clusters:
        raise ValueError("paired_bootstrap needs at least one pair")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    sums = [math.fsum(a - b for a, b in cluster) for cluster in clusters]
    sizes = [len(cluster) for cluster in clusters]
    rng = random.Random(seed)
    indices = range(len(clusters))
    stats = []
    for _ in range(resamples):
        drawn = rng.choices(indices, k=len(clusters))
        stats.append(math.fsum(map(sums.__getitem__, drawn)) / sum(map(sizes.__getitem__, drawn)))
    stats.sort()
    alpha = 1 - confidence
    return (_quantile(stats, alpha / 2), _quantile(stats, 1 - alpha / 2))


def _quantile(ordered: list[float], q: float) -> float:
    """The q-quantile of sorted values, interpolated linearly between neighbours (numpy's default)."""
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)
