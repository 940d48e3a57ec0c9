"""Pass-rate statistics with Wilson score intervals (no HTTP here)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Count, Q

from .models import PassRateTarget, Task

Z95 = 1.959963984540054


def wilson(qualified: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927)."""
    if n == 0:
        return (0.0, 1.0)
    p = qualified / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class PassRate:
    key: str
    label: str
    tested: int
    qualified: int

    @property
    def rate(self) -> float | None:
        return self.qualified / self.tested if self.tested else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.qualified, self.tested)


FINAL = ~Q(verdict="") & Q(status__in=[
    Task.Status.NOTIFIED, Task.Status.RETESTED, Task.Status.RECTIFYING, Task.Status.RECHECKED,
    Task.Status.HANDED_OVER, Task.Status.CLOSED])


def pass_rates(tasks, by: str) -> list[PassRate]:
    """Pass rates of tested tasks grouped by ``category``, ``city``, ``county`` or ``period``.

    A task counts once with its standing result (the re-test's when there was one).
    """
    field, label = {
        "category": ("category__code", "category__name"),
        "county": ("division_id", "division__name"),
        "period": ("plan__period", "plan__period"),
    }.get(by, (None, None))
    qs = tasks.filter(FINAL)
    failed = Q(retest_verdict="unqualified") | (Q(retest_verdict="") & Q(verdict="unqualified"))
    if by == "city":
        from django.db.models.functions import Substr

        rows = (qs.annotate(city=Substr("division_id", 1, 4)).values("city")
                .annotate(n=Count("id"), bad=Count("id", filter=failed)).order_by("city"))
        from zhijian.registry.models import Division

        names = dict(Division.objects.filter(code__in=[r["city"] + "00" for r in rows])
                     .values_list("code", "name"))
        return [PassRate(r["city"] + "00", names.get(r["city"] + "00", r["city"]), r["n"],
                         r["n"] - r["bad"]) for r in rows]
    if field is None:
        raise ValueError(f"unknown grouping {by!r}")
    rows = (qs.values(field, label).annotate(n=Count("id"), bad=Count("id", filter=failed))
            .order_by(field))
    return [PassRate(r[field], r[label], r["n"], r["n"] - r["bad"]) for r in rows]


def target_for(kind: str, on) -> float | None:
    t = PassRateTarget.objects.filter(kind=kind, valid_from__lte=on).order_by("-valid_from").first()
    return float(t.target) if t else None
