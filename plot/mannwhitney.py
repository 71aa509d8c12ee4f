"""Two-sided Mann-Whitney U test (Wilcoxon rank-sum) through scipy.

`scipy.stats.mannwhitneyu(a, b, alternative="two-sided", method="auto")`:
scipy picks the exact null distribution for small samples without ties and
the tie- and continuity-corrected normal approximation otherwise. This
module is the one place plot/ calls it (compare.py, verdicts.py; also
experiments/hosts-veth.sh), and the one place that says what to install
when scipy is missing (Debian: python3-scipy).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from plot.cli_support import BadInput

SCIPY_MISSING = "python3-scipy is missing (apt-get install python3-scipy)"
METHOD_TEXT = ("scipy.stats.mannwhitneyu, two-sided, method \"auto\": the "
               "exact null distribution for small samples without ties, "
               "else the normal approximation with tie and continuity "
               "correction")


class ScipyMissing(BadInput):
    """scipy cannot be imported; the message says which package to install."""


def scipy_stats() -> Any:
    """The scipy.stats module; ScipyMissing when scipy is not installed."""
    try:
        import scipy.stats  # noqa: PLC0415  (only the commands that test)
    except ImportError:
        raise ScipyMissing(SCIPY_MISSING) from None
    return scipy.stats


@dataclass
class MannWhitneyResult:
    """U of sample A (pairs where A > B, ties counting 1/2) and the p-value."""
    u: float
    p_value: float
    n_a: int
    n_b: int


def mann_whitney_u(a: Sequence[float], b: Sequence[float]
                   ) -> MannWhitneyResult:
    """Two-sided test that A and B come from the same distribution; p = 1
    when scipy cannot tell (every value equal)."""
    if not a or not b:
        raise ValueError("Mann-Whitney U needs at least one value per sample")
    result = scipy_stats().mannwhitneyu(list(a), list(b),
                                        alternative="two-sided",
                                        method="auto")
    p_value = float(result.pvalue)
    return MannWhitneyResult(float(result.statistic),
                             1.0 if math.isnan(p_value) else p_value,
                             len(a), len(b))


def smallest_possible_p(n_a: int, n_b: int) -> float:
    """The smallest two-sided exact p any untied data could give with these
    sizes: 2 / C(n_a + n_b, n_a). With 3 + 3 repetitions it is 0.1, so no
    result can be significant at 0.05."""
    if n_a == 0 or n_b == 0:
        return 1.0
    return min(1.0, 2.0 / math.comb(n_a + n_b, n_a))
