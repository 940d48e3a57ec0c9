"""Deadlines across the Spring Festival and National Day holidays with adjusted working weekends.

Expected dates are counted by hand from the State Council's 2025 and 2026 holiday notices.
"""
import datetime as dt

import pytest

from zhijian.deadlines.models import CalendarDay, TimeLimit
from zhijian.deadlines.services import WorkdayCalendar, add_months, due_date

D = dt.date


@pytest.fixture
def cal(db):
    return WorkdayCalendar.load()


def test_adjusted_weekend_is_a_working_day_and_holiday_weekday_is_not(cal):
    assert cal.is_workday(D(2026, 2, 14))  # Saturday worked for the Spring Festival
    assert not cal.is_workday(D(2026, 2, 16))  # Monday of the Spring Festival
    assert cal.is_workday(D(2026, 9, 20))  # Sunday worked for National Day
    assert not cal.is_workday(D(2026, 10, 1))


def test_seven_working_days_across_spring_festival(cal):
    # Fri 13 Feb 2026: 14 (Sat, worked) = 1; 15-23 off; 24, 25, 26, 27 = 2-5; 28 (Sat, worked) = 6; 2 Mar = 7
    assert cal.add_workdays(D(2026, 2, 13), 7) == D(2026, 3, 2)


def test_seven_working_days_across_national_day(cal):
    # Wed 30 Sep 2026: 1-7 Oct off; 8, 9 = 1, 2; 10 (Sat, worked) = 3; 12-15 = 4-7
    assert cal.add_workdays(D(2026, 9, 30), 7) == D(2026, 10, 15)


def test_adjusted_sunday_counts(cal):
    # Fri 18 Sep 2026: 19 off, 20 (Sun, worked) = 1, 21-24 = 2-5
    assert cal.add_workdays(D(2026, 9, 18), 5) == D(2026, 9, 24)


def test_spring_festival_2025(cal):
    # Fri 24 Jan 2025: 26 (Sun, worked) = 1, 27 = 2, 28 Jan-4 Feb off, 5-7 Feb = 3-5
    assert cal.add_workdays(D(2025, 1, 24), 5) == D(2025, 2, 7)


def test_excluded_testing_time_does_not_count(cal):
    assert cal.add_workdays(D(2026, 3, 2), 5) == D(2026, 3, 9)
    assert cal.add_workdays(D(2026, 3, 2), 5, exclude=[(D(2026, 3, 4), D(2026, 3, 5))]) == D(2026, 3, 11)


def test_workdays_between_matches_add(cal):
    start = D(2026, 2, 13)
    end = cal.add_workdays(start, 7)
    assert cal.workdays_between(start, end) == 7
    assert cal.workdays_between(start, end - dt.timedelta(days=1)) == 6


def test_overrides_win_and_cover_unknown_years(db):
    cal = WorkdayCalendar.load()
    assert not cal.knows_year(2099)
    assert cal.add_workdays(D(2099, 1, 30), 1) == D(2099, 2, 2)  # Fri -> Mon (weekdays only)
    CalendarDay.objects.create(date=D(2099, 2, 2), is_workday=False, name="hypothetical holiday")
    CalendarDay.objects.create(date=D(2099, 1, 31), is_workday=True, name="adjusted Saturday")
    cal = WorkdayCalendar.load()
    assert cal.knows_year(2099)
    assert cal.add_workdays(D(2099, 1, 30), 1) == D(2099, 1, 31)
    assert cal.add_workdays(D(2099, 1, 30), 2) == D(2099, 2, 3)


def test_calendar_overrides_are_audited(db):
    from zhijian.accounts.models import AuditEntry

    day = CalendarDay.objects.create(date=D(2099, 5, 1), is_workday=False, name="劳动节")
    assert AuditEntry.objects.filter(object_type="deadlines.calendarday", object_id=str(day.pk)).exists()


def test_due_date_uses_the_version_in_force(db):
    assert due_date("complaint.accept", D(2026, 2, 13)) == D(2026, 3, 2)
    TimeLimit.objects.create(key="complaint.accept", title="hypothetical amendment", amount=10,
                             unit="wd", source="test", valid_from=D(2026, 6, 1))
    assert due_date("complaint.accept", D(2026, 2, 13)) == D(2026, 3, 2)
    assert due_date("complaint.accept", D(2026, 9, 30)) == D(2026, 10, 20)


def test_due_date_calendar_days_and_months(db):
    assert due_date("spotcheck.reinspection_request", D(2026, 1, 20)) == D(2026, 2, 4)
    assert due_date("penalty.period_minor", D(2026, 11, 30)) == D(2027, 2, 28)
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)


def test_unknown_time_limit_is_a_clear_error(db):
    with pytest.raises(LookupError, match="no.such"):
        due_date("no.such", D(2026, 1, 1))
