"""Statistics and Markdown formatting for the benchmark tables.

Plain functions on lists of floats: no timing happens here.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    """The median of `values` (the mean of the two middle values for an even count)."""
    if not values:
        raise ValueError("median of no values")
    return statistics.median(values)


def percentile(values: Sequence[float], q: int) -> float:
    """The q-th percentile (integer q, 0..100), interpolating between closest ranks.

    `statistics.quantiles(method="inclusive")`, as numpy's default: percentile([1, 2, 3, 4], 50)
    == 2.5.
    """
    if not values:
        raise ValueError("percentile of no values")
    if q != int(q) or not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is not an integer in 0..100")
    if q in (0, 100) or len(values) == 1:
        return min(values) if q == 0 else max(values)
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def ratio(value: float | None, reference: float | None) -> float:
    """value / reference; NaN when either is missing or the reference is zero."""
    if value is None or not reference or math.isnan(reference):
        return math.nan
    return value / reference


def paired_ratios(values: Sequence[float], references: Sequence[float]) -> list[float]:
    """value / reference for each run, pairing the two apps' figures of the same run."""
    if len(values) != len(references):
        raise ValueError("paired ratios need one reference per value")
    return [ratio(value, reference) for value, reference in zip(values, references, strict=True)]


def fmt_paired(ratios: Sequence[float]) -> str:
    """The median of per-run ratios and their range: `1.02x (0.95-1.10)`, or `n/a`."""
    valid = [r for r in ratios if not math.isnan(r)]
    if not valid:
        return "n/a"
    return f"{median(valid):.2f}x ({min(valid):.2f}-{max(valid):.2f})"


def fmt_ratio(value: float) -> str:
    """A ratio as `1.23x`, or `n/a`."""
    return "n/a" if value is None or math.isnan(value) else f"{value:.2f}x"


def fmt_seconds(seconds: float) -> str:
    """A duration: `850 ms` under a second, else `1.23 s`."""
    if seconds is None or math.isnan(seconds):
        return "n/a"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def fmt_ms(milliseconds: float) -> str:
    """A latency in milliseconds with two significant decimals below 10 ms."""
    if milliseconds is None or math.isnan(milliseconds):
        return "n/a"
    return f"{milliseconds:.2f} ms" if milliseconds < 10 else f"{milliseconds:.1f} ms"


def fmt_rate(per_second: float, unit: str = "/s") -> str:
    """A rate with thousands separators: `12,345/s`."""
    if per_second is None or math.isnan(per_second):
        return "n/a"
    return f"{per_second:,.0f}{unit}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; cells are str()-ed and `|` in them is escaped."""

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    if any(len(row) != len(headers) for row in rows):
        raise ValueError("every row needs one cell per header")
    lines = [
        "| " + " | ".join(cell(h) for h in headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
