"""How a verdict row of plot/verdicts.py shows, in REPORT.md and on the
terminal alike. A row that was not tested shows "-" for every number
(ratio, interval, p-values): a ratio from invalid trials is no finding.

Standard library only (the verdict command starts fast); the rows are
plot.verdicts.Verdict objects, read by attribute.
"""
from __future__ import annotations

from typing import Any, Optional


def ratio_text(value: Optional[float], times: str = "×") -> str:
    """`0.62×`; two decimals, two significant digits below 0.1."""
    if value is None:
        return "-"
    return f"{value:.2f}{times}" if abs(value) >= 0.1 or value == 0 \
        else f"{value:.2g}{times}"


def span_text(low: Optional[float], high: Optional[float],
              dash: str = "–") -> str:
    """`0.55–0.70`, "-" when a bound is missing."""
    if low is None or high is None:
        return "-"
    return f"{ratio_text(low, '')}{dash}{ratio_text(high, '')}"


def p_text(value: Optional[float]) -> str:
    """Two significant digits; "-" when not tested."""
    return "-" if value is None else f"{value:.2g}"


def valid_text(row: Any) -> str:
    """`5/7 vs 7/7`: valid trials of the case and of the baseline; "-"
    for a row without a metric (nothing was counted)."""
    if not row.metric:
        return "-"
    return (f"{row.n_valid}/{row.n_trials} vs "
            f"{row.baseline_n_valid}/{row.baseline_n_trials}")


def verdict_text(row: Any, dash: str = " — ") -> str:
    """The verdict with the reason it was not tested, or with its note."""
    if not row.tested:
        return f"{row.verdict}{dash}{row.reason}"
    return f"{row.verdict} ({row.note})" if row.note else row.verdict


def predicted_text(row: Any) -> str:
    """`throughput_mb_s lower`, "-" without a prediction."""
    return f"{row.metric} {row.predicted}" if row.metric else "-"


def ratio_with_spread(row: Any) -> str:
    """`0.62× (0.55–0.70)`: the ratio of medians and the case's p25–p75
    over the baseline median; "-" for a row that was not tested."""
    if not row.tested or row.ratio is None:
        return "-"
    spread = span_text(row.ratio_p25, row.ratio_p75)
    return f"{ratio_text(row.ratio)} ({spread})"


def ratio_with_interval(row: Any, times: str = "x", dash: str = "-") -> str:
    """`0.62x (0.55-0.70)`: the ratio and its 95% interval (terminal)."""
    if not row.tested:
        return "-"
    text = ratio_text(row.ratio, times)
    interval = span_text(row.ci_low, row.ci_high, dash)
    return text if interval == "-" else f"{text} ({interval})"
