"""Monthly open data on complaints and reports (市场监督管理投诉举报处理暂行办法 Art. 34:
统计分析, 定期公布投诉举报统计分析报告).

One row per month of receipt × city (GB/T 2260 prefecture) × product category × hazard,
for complete months only (the current month is published once it is over):

* counts: cases, complaints, reports, closed, open;
* outcomes: mediation agreements, terminated without agreement, not accepted, enforcement
  case opened, no case opened, upheld; amounts refunded and compensated (yuan);
* average handling time of the closed ones, in working days from receipt to closure.

What is **not** published, by decision: anything about a person (names, phones, ID numbers,
addresses, free text — the facts and requests may quote them), ticket numbers and 12315
ids, and the respondents. Naming enterprises with their complaint counts (依法公示消费投诉
信息) is a separate publication with its own review (the enterprise is told first and may
object), not an automatic by-product of statistics; an unmatched respondent is only a name
a complainant typed. The aggregates are by category and division, where a count is a fact
about the market and not about a person or a firm.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhijian.registry.models import Division, ProductCategory

from .models import Case, Kind
from .stats import CLOSED, HAZARD_LABELS, WorkdayIndex

O = Case.Outcome
COLUMNS = [
    ("month", _("month of receipt (YYYY-MM)")),
    ("city", _("GB/T 2260 code of the city of the handling bureau")),
    ("city_name", _("name of that city")),
    ("category_code", _("product category code (empty: not classified)")),
    ("category_name", _("product category name")),
    ("hazard", _("hazard code (empty: not classified)")),
    ("hazard_name", _("hazard")),
    ("cases", _("complaints and reports received")),
    ("complaints", _("complaints (投诉)")),
    ("reports", _("reports (举报)")),
    ("closed", _("closed by the time of publication")),
    ("agreements", _("closed with a mediation agreement")),
    ("terminated", _("mediation ended without agreement")),
    ("rejected", _("complaints not accepted")),
    ("case_opened", _("reports that led to an enforcement case")),
    ("not_opened", _("reports without an enforcement case")),
    ("upheld", _("complaints upheld")),
    ("refunded", _("amount refunded (yuan)")),
    ("compensated", _("amount compensated (yuan)")),
    ("avg_handling_days", _("average working days from receipt to closure (closed cases)")),
]
FIELDS = [name for name, _d in COLUMNS]


def last_complete_month(on: dt.date | None = None) -> dt.date:
    """The first day of the last month that is over."""
    on = on or timezone.localdate()
    first = on.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def _month(value) -> str:
    return value.strftime("%Y-%m") if hasattr(value, "strftime") else str(value)[:7]


def _month_start(text: str) -> dt.date | None:
    try:
        return dt.date(int(text[:4]), int(text[5:7]), 1)
    except (TypeError, ValueError, IndexError):
        return None


def monthly(start: str | None = None, end: str | None = None, on: dt.date | None = None,
            queryset=None) -> list[dict]:
    """Open-data rows for months ``start``…``end`` (``YYYY-MM``; default: the last 12 complete
    months), never past the last complete month."""
    last = last_complete_month(on)
    to = _month_start(end) if end else None
    to = min(to, last) if to else last
    frm = _month_start(start) if start else None
    if frm is None:
        frm = to.replace(year=to.year - 1) if to.month == 12 else to.replace(year=to.year - 1, month=to.month + 1)
    if frm > to:
        return []
    upto = (to.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    qs = queryset if queryset is not None else Case._base_manager.all()
    qs = qs.filter(received_on__gte=frm, received_on__lte=upto).order_by()
    keys = ("month", "city", "category__code", "hazard")
    annotated = qs.annotate(month=TruncMonth("received_on"), city=Substr("division_id", 1, 4))
    agg = (annotated.values(*keys).annotate(
        cases=Count("id"),
        complaints=Count("id", filter=Q(kind=Kind.COMPLAINT)),
        reports=Count("id", filter=Q(kind=Kind.REPORT)),
        closed=Count("id", filter=Q(status__in=CLOSED)),
        agreements=Count("id", filter=Q(outcome=O.AGREEMENT)),
        terminated=Count("id", filter=Q(outcome=O.TERMINATED)),
        rejected=Count("id", filter=Q(outcome=O.REJECTED)),
        case_opened=Count("id", filter=Q(outcome=O.CASE_OPENED)),
        not_opened=Count("id", filter=Q(outcome=O.NOT_OPENED)),
        upheld=Count("id", filter=Q(upheld=True)),
        refunded=Sum("amount_refunded"), compensated=Sum("amount_compensated")))
    # Handling time: distinct (group, received, closed) pairs, working days from one index.
    pairs = list(annotated.filter(status__in=CLOSED, closed_on__isnull=False)
                 .values_list(*keys, "received_on", "closed_on").annotate(n=Count("id")))
    days: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    if pairs:
        index = WorkdayIndex(min(p[4] for p in pairs), max(p[5] for p in pairs))
        for month, city, cat, hazard, received, closed, n in pairs:
            acc = days[(_month(month), city, cat or "", hazard or "")]
            acc[0] += index.between(received, closed) * n
            acc[1] += n
    agg = list(agg)
    cities = dict(Division.objects.filter(code__in={r["city"] + "00" for r in agg}).values_list("code", "name"))
    cats = dict(ProductCategory.objects.filter(code__in={r["category__code"] for r in agg if r["category__code"]})
                .values_list("code", "name"))
    rows = []
    for r in agg:
        month, city, cat, hazard = _month(r["month"]), r["city"], r["category__code"] or "", r["hazard"] or ""
        total, n = days.get((month, city, cat, hazard), (0, 0))
        rows.append({
            "month": month, "city": city + "00", "city_name": cities.get(city + "00", ""),
            "category_code": cat, "category_name": cats.get(cat, ""),
            "hazard": hazard, "hazard_name": str(HAZARD_LABELS.get(hazard, "")) if hazard else "",
            **{k: r[k] for k in ("cases", "complaints", "reports", "closed", "agreements", "terminated",
                                 "rejected", "case_opened", "not_opened", "upheld")},
            "refunded": f"{r['refunded'] or 0:.2f}", "compensated": f"{r['compensated'] or 0:.2f}",
            "avg_handling_days": round(total / n, 1) if n else None,
        })
    rows.sort(key=lambda x: (x["month"], x["city"], x["category_code"], x["hazard"]))
    return rows
