"""ISO-like period codes: ``2026`` (year), ``2026Q2`` (quarter), ``202605`` (month).

Data values are stored at their data element's period type; a coarser period is the set of
its months (a year is four quarters is twelve months), so roll-ups are sums over sub-periods
(or, for a stock such as a count of graded enterprises, the latest sub-period with data).
"""
from __future__ import annotations

import datetime as dt
import re

YEAR, QUARTER, MONTH = "year", "quarter", "month"
RANK = {YEAR: 0, QUARTER: 1, MONTH: 2}
_RE = re.compile(r"^(?P<y>\d{4})(?:Q(?P<q>[1-4])|(?P<m>0[1-9]|1[0-2]))?$")


class PeriodError(ValueError):
    pass


def parse(code: str) -> tuple[str, int, int]:
    """``(type, year, n)``: n is the quarter or month number (0 for a year)."""
    m = _RE.match((code or "").strip())
    if not m:
        raise PeriodError(f"not a period code: {code!r} (use 2026, 2026Q2 or 202605)")
    y = int(m.group("y"))
    if not 1900 <= y <= 2999:
        raise PeriodError(f"year out of range in period {code!r}")
    if m.group("q"):
        return QUARTER, y, int(m.group("q"))
    if m.group("m"):
        return MONTH, y, int(m.group("m"))
    return YEAR, y, 0


def kind(code: str) -> str:
    return parse(code)[0]


def months(code: str) -> list[str]:
    t, y, n = parse(code)
    if t == MONTH:
        return [code]
    span = range(1, 13) if t == YEAR else range(3 * n - 2, 3 * n + 1)
    return [f"{y}{mm:02d}" for mm in span]


def subperiods(code: str, period_type: str) -> list[str]:
    """The periods of ``period_type`` that make up ``code`` (PeriodError when finer)."""
    t, y, n = parse(code)
    if RANK[period_type] < RANK[t]:
        raise PeriodError(f"{code} is finer than the element's {period_type} periods")
    if period_type == t:
        return [code]
    if period_type == MONTH:
        return months(code)
    return [f"{y}Q{q}" for q in range(1, 5)]  # quarters of a year


def bounds(code: str) -> tuple[dt.date, dt.date]:
    t, y, n = parse(code)
    if t == YEAR:
        return dt.date(y, 1, 1), dt.date(y, 12, 31)
    first_month = 3 * n - 2 if t == QUARTER else n
    last_month = first_month + 2 if t == QUARTER else n
    start = dt.date(y, first_month, 1)
    nxt = dt.date(y + (last_month == 12), last_month % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def series(code: str) -> list[str]:
    """The trend periods of a period: the quarters of its year for a year or quarter, the months
    of its year for a month."""
    t, y, n = parse(code)
    if t == MONTH:
        return [f"{y}{m:02d}" for m in range(1, 13)]
    return [f"{y}Q{q}" for q in range(1, 5)]


def of_date(d: dt.date, period_type: str) -> str:
    if period_type == YEAR:
        return str(d.year)
    if period_type == QUARTER:
        return f"{d.year}Q{(d.month - 1) // 3 + 1}"
    return f"{d.year}{d.month:02d}"
