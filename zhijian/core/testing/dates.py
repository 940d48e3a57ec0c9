"""Dates for tests that are not about time: built relative to today, so they hold on any day.

Tests about time pass a fixed day to the service (``on=``) or pin the clock with
``time_machine.travel``; see docs/testing.md.
"""
import datetime

from django.utils import timezone


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int, start: datetime.date | None = None) -> datetime.date:
    """``n`` days after (before, when negative) ``start``, today by default."""
    return (start or today()) + datetime.timedelta(days=n)


def running_plan_dates(on: datetime.date | None = None) -> dict:
    """``year``, ``period``, ``starts_on`` and ``ends_on`` of a plan that is running on ``on``
    (today by default) and lies inside that calendar year: not overdue, not yet ended."""
    on = on or today()
    first, last = datetime.date(on.year, 1, 1), datetime.date(on.year, 12, 31)
    return {"year": on.year, "period": str(on.year),
            "starts_on": max(first, days(-60, on)), "ends_on": min(last, days(120, on))}
