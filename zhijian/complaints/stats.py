"""Complaint statistics: pure functions over a (restricted) queryset of cases; no HTTP here.

Every function aggregates in the database (``GROUP BY`` with counts); the result sizes
are bounded by the number of categories, divisions, months or distinct date pairs, never
by the number of cases. Callers pass ``Case.objects.restrict(user, "view")`` so that a
county officer counts the county's cases only.

``daily_counts`` is the input of the risk-signal detection (DESIGN §6.5a): cases per
received day × handling division × product category.
"""
from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict

from django.db.models import Count, F, Q
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone

from zhijian.deadlines.services import WorkdayCalendar
from zhijian.registry.models import Division

from .models import HAZARDS, Case, Channel, Kind

St = Case.Status
CLOSED = (St.CLOSED, St.REJECTED)
HAZARD_LABELS = dict(HAZARDS)
TOP_RESPONDENTS = 10
# Handling time (received → closed, working days): bucket upper bounds; the last is open-ended.
BUCKETS = (7, 15, 30, 45, 60)
DAILY_FIELDS = ["date", "division", "category", "n"]


def in_period(qs, start: dt.date | None = None, end: dt.date | None = None):
    """Cases received in [start, end] (either bound may be open)."""
    if start:
        qs = qs.filter(received_on__gte=start)
    if end:
        qs = qs.filter(received_on__lte=end)
    return qs


def _rows(qs, key: str, label: str | None = None, labels: dict | None = None, limit: int | None = None):
    fields = [key] + ([label] if label else [])
    rows = qs.order_by().values(*fields).annotate(n=Count("id")).order_by("-n", key)
    if limit:
        rows = rows[:limit]
    out = []
    for r in rows:
        k = r[key]
        text = r[label] if label else (labels or {}).get(k, k)
        out.append({"key": "" if k is None else k, "label": str(text) if text not in (None, "") else "", "n": r["n"]})
    return out


def by_kind(qs):
    return _rows(qs, "kind", labels=dict(Kind.choices))


def by_channel(qs):
    return _rows(qs, "channel", labels=dict(Channel.choices))


def by_category(qs, limit: int | None = None):
    return _rows(qs, "category__code", "category__name", limit=limit)


def by_hazard(qs):
    return _rows(qs, "hazard", labels=HAZARD_LABELS)


def by_status(qs):
    return _rows(qs, "status", labels=dict(St.choices))


def by_division(qs, level: str = "county"):
    """Counts per handling bureau: ``county`` (the division itself) or ``city`` (its prefecture)."""
    if level == "city":
        rows = (qs.order_by().annotate(city=Substr("division_id", 1, 4)).values("city")
                .annotate(n=Count("id")).order_by("-n", "city"))
        names = dict(Division.objects.filter(code__in=[r["city"] + "00" for r in rows]).values_list("code", "name"))
        return [{"key": r["city"] + "00", "label": names.get(r["city"] + "00", r["city"] + "00"), "n": r["n"]}
                for r in rows]
    return _rows(qs, "division_id", "division__name")


def top_respondents(qs, limit: int = TOP_RESPONDENTS):
    """The respondents with most cases: registered enterprises by id, others by the name given."""
    reg = (qs.filter(respondent__isnull=False).order_by().values("respondent_id", "respondent__name",
                                                                  "respondent__uscc")
           .annotate(n=Count("id"), upheld=Count("id", filter=Q(upheld=True))).order_by("-n", "respondent_id")[:limit])
    unreg = (qs.filter(respondent__isnull=True).order_by().values("respondent_name")
             .annotate(n=Count("id"), upheld=Count("id", filter=Q(upheld=True)))
             .order_by("-n", "respondent_name")[:limit])
    rows = [{"key": r["respondent__uscc"], "label": r["respondent__name"], "n": r["n"], "upheld": r["upheld"],
             "registered": True, "enterprise_id": r["respondent_id"]} for r in reg]
    rows += [{"key": "", "label": r["respondent_name"], "n": r["n"], "upheld": r["upheld"], "registered": False,
              "enterprise_id": None} for r in unreg]
    rows.sort(key=lambda r: (-r["n"], not r["registered"], r["label"]))
    return rows[:limit]


def by_month(qs):
    """Trend: cases per month of receipt, by kind: ``[{"month": "2025-03", "complaint": n, "report": n, "n": n}]``."""
    rows = (qs.order_by().annotate(month=TruncMonth("received_on")).values("month", "kind")
            .annotate(n=Count("id")).order_by("month"))
    months: dict[str, dict] = {}
    for r in rows:
        m = r["month"]
        key = m.strftime("%Y-%m") if hasattr(m, "strftime") else str(m)[:7]
        row = months.setdefault(key, {"month": key, Kind.COMPLAINT: 0, Kind.REPORT: 0, "n": 0})
        row[r["kind"]] = row.get(r["kind"], 0) + r["n"]
        row["n"] += r["n"]
    return list(months.values())


def overdue(qs, on: dt.date | None = None) -> dict:
    """Overdue rate: a case is late when a clock passed before its step was taken (acceptance
    decided after ``accept_due``, clue checked after ``clue_due``, parties told after
    ``notify_due``) or when it is open with its next deadline passed."""
    on = on or timezone.localdate()
    late = (Q(decided_on__isnull=False, accept_due__isnull=False, decided_on__gt=F("accept_due"))
            | Q(clue_checked_on__isnull=False, clue_due__isnull=False, clue_checked_on__gt=F("clue_due"))
            | Q(notified_on__isnull=False, notify_due__isnull=False, notified_on__gt=F("notify_due")))
    open_late = Q(next_due__isnull=False, next_due__lt=on) & ~Q(status__in=CLOSED)
    agg = qs.order_by().aggregate(
        with_clock=Count("id", filter=Q(accept_due__isnull=False) | Q(clue_due__isnull=False)
                         | Q(notify_due__isnull=False)),
        late=Count("id", filter=late), open_overdue=Count("id", filter=open_late),
        any_late=Count("id", filter=late | open_late))
    n = agg["with_clock"] or 0
    return {"with_clock": n, "late_steps": agg["late"], "open_overdue": agg["open_overdue"],
            "overdue": agg["any_late"], "rate": (agg["any_late"] / n) if n else 0.0, "on": on}


def summary(qs, on: dt.date | None = None) -> dict:
    agg = qs.order_by().aggregate(total=Count("id"), closed=Count("id", filter=Q(status__in=CLOSED)))
    o = overdue(qs, on)
    return {"total": agg["total"], "closed": agg["closed"], "open": agg["total"] - agg["closed"],
            "with_clock": o["with_clock"], "overdue": o["overdue"], "open_overdue": o["open_overdue"],
            "overdue_rate": o["rate"]}


class WorkdayIndex:
    """Working days between dates in O(log n): a sorted list of the working days in a range."""

    def __init__(self, start: dt.date, end: dt.date, calendar: WorkdayCalendar | None = None):
        cal = calendar or WorkdayCalendar.load()
        self.start, self.end = start, end
        days = (end - start).days + 1
        self.workdays = [start + dt.timedelta(days=i) for i in range(days)
                         if cal.is_workday(start + dt.timedelta(days=i))]

    def between(self, a: dt.date, b: dt.date) -> int:
        """Working days in (a, b] — as ``WorkdayCalendar.workdays_between``."""
        if b <= a:
            return 0
        return bisect.bisect_right(self.workdays, b) - bisect.bisect_right(self.workdays, a)


def _pairs(qs):
    return list(qs.filter(status__in=CLOSED, closed_on__isnull=False).order_by()
                .values_list("received_on", "closed_on").annotate(n=Count("id")))


def handling_time(qs, calendar: WorkdayCalendar | None = None) -> dict:
    """Distribution of working days from receipt to closure of the closed cases.

    The database groups the cases by (received_on, closed_on); the working days of each
    distinct pair come from one calendar index. Returns the bucket counts, the mean and
    the median.
    """
    pairs = _pairs(qs)
    labels = [f"0–{BUCKETS[0]}"] + [f"{a + 1}–{b}" for a, b in zip(BUCKETS, BUCKETS[1:])] + [f">{BUCKETS[-1]}"]
    counts = [0] * (len(BUCKETS) + 1)
    if not pairs:
        return {"labels": labels, "counts": counts, "n": 0, "mean": None, "median": None}
    index = WorkdayIndex(min(p[0] for p in pairs), max(p[1] for p in pairs), calendar)
    values = defaultdict(int)
    for received, closed, n in pairs:
        values[index.between(received, closed)] += n
    total = sum(values.values())
    for days, n in values.items():
        counts[bisect.bisect_left(BUCKETS, days)] += n
    mean = sum(d * n for d, n in values.items()) / total
    half, seen, median = (total + 1) / 2, 0, None
    for d in sorted(values):
        seen += values[d]
        if seen >= half:
            median = d
            break
    return {"labels": labels, "counts": counts, "n": total, "mean": mean, "median": median}


def daily_counts(start: dt.date, end: dt.date, queryset=None) -> list[dict]:
    """Cases received per day × handling division × product category, counted in the database.

    Rows ``{"date", "division", "category", "n"}`` ordered by date, division, category;
    ``category`` is the product-category code, ``""`` while a case is unclassified. Days
    without cases have no row (a count of zero). This is the input of the signal detection
    (CUSUM / EWMA / Farrington over daily or weekly counts, DESIGN §6.5a).
    """
    qs = queryset if queryset is not None else Case._base_manager.all()
    rows = (qs.filter(received_on__gte=start, received_on__lte=end).order_by()
            .values("received_on", "division_id", "category__code").annotate(n=Count("id"))
            .order_by("received_on", "division_id", "category__code"))
    out = [{"date": r["received_on"], "division": r["division_id"], "category": r["category__code"] or "",
            "n": r["n"]} for r in rows]
    out.sort(key=lambda r: (r["date"], r["division"], r["category"]))  # NULLs sort alike on every database
    return out
