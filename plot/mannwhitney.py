"""Two-sided Mann-Whitney U test (Wilcoxon rank-sum), standard library only.

Method, chosen per call and reported in the result:
- exact: when neither sample has ties (within or across samples) and
  n_a + n_b <= EXACT_MAX_TOTAL, the p-value comes from the exact null
  distribution of U, counted by the recurrence
  N(u; m, n) = N(u - n; m - 1, n) + N(u; m, n - 1).
  Two-sided p = min(1, 2 * min(P(U <= u), P(U >= u))).
- normal approximation otherwise: z = (|U - n_a n_b / 2| - 0.5) / sigma with
  the tie-corrected sigma^2 = n_a n_b / 12 * ((n + 1) - sum(t^3 - t) /
  (n (n - 1))) and a continuity correction of 0.5; p = erfc(|z| / sqrt 2).
  All values equal (sigma = 0) gives p = 1.
This matches scipy.stats.mannwhitneyu(method="exact") and
(method="asymptotic", use_continuity=True) respectively.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import List, Sequence, Tuple

EXACT_MAX_TOTAL = 40
EXACT = "exact"
NORMAL = "normal approximation (tie- and continuity-corrected)"


@dataclass
class MannWhitneyResult:
    """U of sample A (pairs where A > B, ties counting 1/2) and the p-value."""
    u: float
    p_value: float
    method: str
    n_a: int
    n_b: int


def midranks(values: Sequence[float]) -> Tuple[List[float], List[int]]:
    """Ranks from 1 (ties share their average rank) and the tie-group sizes."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    groups = []
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and \
                values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2.0 + 1.0
        groups.append(end - start + 1)
        start = end + 1
    return ranks, groups


@lru_cache(maxsize=None)
def _u_counts(n_a: int, n_b: int) -> Tuple[int, ...]:
    """How many orderings give U = 0 .. n_a*n_b (no ties)."""
    if n_a == 0 or n_b == 0:
        return (1,)
    counts = [0] * (n_a * n_b + 1)
    for u, count in enumerate(_u_counts(n_a - 1, n_b)):  # largest is from A
        counts[u + n_b] += count
    for u, count in enumerate(_u_counts(n_a, n_b - 1)):  # largest is from B
        counts[u] += count
    return tuple(counts)


def _exact_p(u: float, n_a: int, n_b: int) -> float:
    counts = _u_counts(n_a, n_b)
    total = math.comb(n_a + n_b, n_a)
    u_int = int(round(u))
    at_most = sum(counts[:u_int + 1])
    at_least = sum(counts[u_int:])
    return min(1.0, 2.0 * min(at_most, at_least) / total)


def _normal_p(u: float, n_a: int, n_b: int, tie_groups: List[int]) -> float:
    n = n_a + n_b
    tie_term = sum(t ** 3 - t for t in tie_groups) / (n * (n - 1))
    variance = n_a * n_b / 12.0 * ((n + 1) - tie_term)
    if variance <= 0:
        return 1.0
    z = max(0.0, abs(u - n_a * n_b / 2.0) - 0.5) / math.sqrt(variance)
    return min(1.0, math.erfc(z / math.sqrt(2.0)))


def mann_whitney_u(a: Sequence[float], b: Sequence[float]) -> MannWhitneyResult:
    """Two-sided test that A and B come from the same distribution."""
    n_a, n_b = len(a), len(b)
    if n_a == 0 or n_b == 0:
        raise ValueError("Mann-Whitney U needs at least one value per sample")
    ranks, groups = midranks(list(a) + list(b))
    u = sum(ranks[:n_a]) - n_a * (n_a + 1) / 2.0
    if max(groups) == 1 and n_a + n_b <= EXACT_MAX_TOTAL:
        return MannWhitneyResult(u, _exact_p(u, n_a, n_b), EXACT, n_a, n_b)
    return MannWhitneyResult(u, _normal_p(u, n_a, n_b, groups), NORMAL,
                             n_a, n_b)


def smallest_possible_p(n_a: int, n_b: int) -> float:
    """The smallest two-sided exact p any data could give with these sizes:
    2 / C(n_a + n_b, n_a). With 3 + 3 repetitions it is 0.1, so no result
    can be significant at 0.05."""
    if n_a == 0 or n_b == 0:
        return 1.0
    return min(1.0, 2.0 / math.comb(n_a + n_b, n_a))
