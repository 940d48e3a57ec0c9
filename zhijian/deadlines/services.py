"""Working-day arithmetic and legal deadlines.

Counting follows the usual rule for periods in days (民法典 Art. 201): the day of
the triggering event is not counted; the period starts on the next day, and a
period of N working days ends at the end of the N-th working day after it.
"""
from __future__ import annotations

import calendar as _cal
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar

from .models import CalendarDay, TimeLimit

Interval = tuple[dt.date, dt.date]  # inclusive


def package_years() -> range:
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


@dataclass
class WorkdayCalendar:
    """Working days: overrides first, then chinesecalendar, then Monday-Friday."""

    overrides: dict[dt.date, bool]

    @classmethod
    def load(cls) -> "WorkdayCalendar":
        return cls(dict(CalendarDay.objects.values_list("date", "is_workday")))

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in _known_years():
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def knows_year(self, year: int) -> bool:
        """Whether the year's holiday schedule is known (package data or overrides)."""
        return year in _known_years() or any(d.year == year for d in self.overrides)

    def add_workdays(self, start: dt.date, n: int, exclude: Iterable[Interval] = ()) -> dt.date:
        """The last day of a period of ``n`` working days starting the day after ``start``.

        Days inside ``exclude`` intervals (e.g. testing time) do not count.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        excluded = list(exclude)
        day, left = start, n
        while left > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day) and not any(a <= day <= b for a, b in excluded):
                left -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date, exclude: Iterable[Interval] = ()) -> int:
        """Working days in (start, end], not counting excluded days."""
        excluded = list(exclude)
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day) and not any(a <= day <= b for a, b in excluded):
                count += 1
        return count


@lru_cache(maxsize=1)
def _known_years() -> frozenset[int]:
    return frozenset(package_years())


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, _cal.monthrange(year, month)[1]))


def time_limit(key: str, on: dt.date) -> TimeLimit:
    """The version of time limit ``key`` in force on ``on``."""
    limit = TimeLimit.objects.filter(key=key, valid_from__lte=on).order_by("-valid_from").first()
    if limit is None:
        raise LookupError(f"no time limit {key!r} in force on {on}")
    return limit


def due_date(key: str, start: dt.date, *, calendar: WorkdayCalendar | None = None,
             exclude: Iterable[Interval] = (), extra: int = 0) -> dt.date:
    """The deadline of time limit ``key`` for an event on ``start``."""
    limit = time_limit(key, start)
    amount = limit.amount + extra
    if limit.unit == TimeLimit.Unit.WORKING_DAYS:
        return (calendar or WorkdayCalendar.load()).add_workdays(start, amount, exclude)
    if limit.unit == TimeLimit.Unit.DAYS:
        return start + dt.timedelta(days=amount)
    return add_months(start, amount)
