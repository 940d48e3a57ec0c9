"""Spot-check publication on the public portal (一公开; seed 二(二)1, DESIGN §5, §6.1).

What the public may read comes from ``restrict(AnonymousUser(), "view")`` whoever
is signed in (as on the other portal pages): plans whose draw is published, the
draw record and pool files (so that anyone can run ``zhijian verify-draw``),
published task results, pass rates with Wilson 95 % intervals against the
pass-rate targets, and the same results as open data (CSV / JSON).

No personal data leaves these views: no phone numbers, no legal representatives,
no inspector names (the draw record names inspectors only by badge number, as the
specification requires for recomputation).

Every view here is rate-limited (DESIGN §10) by ``PortalRateThrottle``: the
project's DRF throttle machinery (history in the shared database cache, so the
limit holds across processes), keyed by client address for anonymous visitors and
by account for signed-in users; over the limit the answer is 429 with Retry-After.
"""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.db.models.functions import Substr
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhijian.core.throttling import csv_safe, PortalRateThrottle, ThrottledView
from zhijian.registry.models import Division, Enterprise, ProductCategory
from zhijian.spotcheck import draw as engine
from zhijian.spotcheck import stats
from zhijian.spotcheck.models import Draw, Plan, Task, TestItem

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
SPEC_PATH = Path(settings.BASE_DIR) / "docs" / "draw.md"


def public_user():
    return AnonymousUser()


# --------------------------------------------------------------------------- rate limit


# The portal's rate limit and throttled page view live in core (shared with open-data pages).


# --------------------------------------------------------------------------- querysets


def public_plans():
    return (Plan.objects.restrict(public_user(), "view").select_related("division")
            .prefetch_related("categories"))


def public_draws():
    return Draw.objects.restrict(public_user(), "view")


def public_tasks():
    """Published results, with what the public pages show and nothing personal."""
    items = (TestItem.objects.restrict(public_user(), "view")
             .filter(verdict=Task.Verdict.UNQUALIFIED).only("id", "task_id", "name", "retest", "verdict"))
    return (Task.objects.restrict(public_user(), "view")
            .select_related("enterprise", "category", "division", "plan__division")
            .only("id", "plan_id", "enterprise_id", "category_id", "division_id", "status",
                  "sample_name", "sample_batch", "verdict", "retest_verdict", "recheck_verdict",
                  "tested_on", "report_number", "published_on",
                  "enterprise__id", "enterprise__uscc", "enterprise__name",
                  "category__id", "category__code", "category__name", "category__kind",
                  "division__code", "division__name",
                  "plan__id", "plan__title", "plan__kind", "plan__period", "plan__year",
                  "plan__division__code", "plan__division__name")
            .prefetch_related(Prefetch("items", queryset=items, to_attr="unqualified")))


def unqualified_items(task) -> list[str]:
    """Names of the unqualified items of the standing result (the re-test's if any)."""
    retest = bool(task.retest_verdict)
    return [i.name for i in task.unqualified if i.retest == retest]


def page_of(request, queryset, size=PAGE_SIZE):
    try:
        size = max(1, min(int(request.GET.get("per_page", size)), MAX_PAGE_SIZE))
    except ValueError:
        size = PAGE_SIZE
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def city_code(division_code: str) -> str:
    return division_code[:4] + "00"


# --------------------------------------------------------------------------- filters


class ResultFilter:
    """The result filters shared by the results page, the pass rates and open data."""

    def __init__(self, request):
        g = request.GET
        self.q = g.get("q", "").strip()[:100]
        self.category = g.get("category", "").strip()
        self.city = g.get("city", "").strip()
        self.verdict = g.get("verdict", "").strip()
        self.period = g.get("period", "").strip()[:16]
        self.kind = g.get("kind", "").strip()
        self.plan = g.get("plan", "").strip()

    def apply(self, qs):
        if self.q:
            value = self.q
            if len(value) == 18 and value.isalnum():
                qs = qs.filter(enterprise__uscc=value.upper())
            else:
                qs = qs.filter(Q(enterprise__name__icontains=value)
                               | Q(enterprise__uscc__startswith=value.upper()))
        if self.category.isdigit() and len(self.category) < 12:
            qs = qs.filter(category_id=int(self.category))
        if self.city.isdigit() and len(self.city) == 6:
            qs = qs.filter(division__pk__startswith=self.city[:4])
        if self.verdict == Task.Verdict.UNQUALIFIED:
            qs = qs.filter(Q(retest_verdict=Task.Verdict.UNQUALIFIED)
                           | Q(retest_verdict="", verdict=Task.Verdict.UNQUALIFIED))
        elif self.verdict == Task.Verdict.QUALIFIED:
            qs = qs.filter(Q(retest_verdict=Task.Verdict.QUALIFIED)
                           | Q(retest_verdict="", verdict=Task.Verdict.QUALIFIED))
        if self.period:
            qs = qs.filter(plan__period=self.period)
        if self.kind in ProductCategory.Kind.values:
            qs = qs.filter(category__kind=self.kind)
        if self.plan.isdigit() and len(self.plan) < 12:
            qs = qs.filter(plan_id=int(self.plan))
        return qs

    def choices(self):
        """Options of the filter form, from published data only."""
        published = Task.objects.restrict(public_user(), "view")
        category_ids = published.values("category_id").order_by().distinct()
        cities = sorted(c + "00" for c in published.annotate(c=Substr("division_id", 1, 4))
                        .values_list("c", flat=True).order_by().distinct())
        return {
            "categories": ProductCategory.objects.restrict(public_user(), "view")
            .filter(pk__in=category_ids).order_by("code")
            .only("id", "code", "name"),
            "cities": Division.objects.restrict(public_user(), "view").filter(code__in=cities).order_by("code").only("code", "name"),
            "periods": sorted(set(published.values_list("plan__period", flat=True).order_by().distinct()),
                              reverse=True),
            "kinds": ProductCategory.Kind.choices,
            "verdicts": Task.Verdict.choices,
        }


# --------------------------------------------------------------------------- plans


def public_commitments():
    """Every draw commitment from the moment it is made (docs/draw.md §2): what the bureau
    committed to before anyone could know the draw — the commitment, the frozen pool's
    SHA-256 and size, and the named source and moment of the public value — also for plans
    cancelled after their commitment. The secret, the public value and the result are not
    in this projection; they are public once the draw is published."""
    statuses = [Plan.Status.COMMITTED, Plan.Status.DRAWN, Plan.Status.PUBLISHED, Plan.Status.CLOSED,
                Plan.Status.CANCELLED]
    return (Draw.objects.filter(plan__status__in=statuses)
            .select_related("plan", "plan__division")
            .only("id", "plan_id", "commitment", "committed_at", "pool_hash", "pool_size",
                  "public_value_source", "public_value_at", "drawn_at", "published_at",
                  "plan__id", "plan__title", "plan__status", "plan__kind", "plan__period",
                  "plan__division__code", "plan__division__name")
            .order_by("-committed_at", "-id"))


class CommitmentListView(ThrottledView):
    """The draw commitments, published when they are made (before the public value exists)."""

    model = Draw

    def get(self, request):
        page = page_of(request, public_commitments())
        return render(request, "portal/spotcheck/commitments.html", {"page": page})


class PlanListView(ThrottledView):
    """Published spot-check plans."""

    model = Plan

    def get(self, request):
        qs = public_plans()
        kind = request.GET.get("kind", "")
        year = request.GET.get("year", "")
        if kind in Plan.Kind.values:
            qs = qs.filter(kind=kind)
        if year.isdigit() and len(year) == 4:
            qs = qs.filter(year=int(year))
        page = page_of(request, qs.order_by("-year", "-starts_on", "id"))
        draws = dict(public_draws().filter(plan__in=[p.pk for p in page])
                     .values_list("plan_id", "published_at"))
        for plan in page:
            plan.draw_published_at = draws.get(plan.pk)
        return render(request, "portal/spotcheck/plan_list.html",
                      {"page": page, "kind": kind, "year": year, "kinds": Plan.Kind.choices})


def drawn_rows(draw: Draw) -> list[tuple[str, str]] | None:
    """(USCC, category code) of every drawn task, from the published record; None when the
    stored record cannot be read (the page then says so instead of failing)."""
    try:
        with draw.record_file.open("rb") as f:
            record = engine.load_record(f.read())
        return [(str(t[0]), str(t[1])) for t in record["result"]["tasks"]]
    except (engine.DrawError, OSError, KeyError, TypeError, IndexError):
        return None


class PlanDetailView(ThrottledView):
    """A published plan, its draw (with the files and how to verify them) and its results."""

    model = Plan

    def get(self, request, pk):
        plan = get_object_or_404(public_plans(), pk=pk)
        draw = public_draws().filter(plan=plan).first()
        drawn_page = None
        rows = None
        if draw is not None and draw.record_file:
            rows = drawn_rows(draw)
        if rows is not None:
            drawn_page = Paginator(rows, 50).get_page(request.GET.get("page"))
            usccs = [u for u, _c in drawn_page]
            enterprises = {u: (eid, name) for u, eid, name in Enterprise.objects.restrict(
                public_user(), "view").filter(uscc__in=usccs).values_list("uscc", "id", "name")}
            cats = dict(ProductCategory.objects.filter(code__in={c for _u, c in drawn_page})
                        .values_list("code", "name"))
            results = {(t.enterprise.uscc, t.category.code): t
                       for t in public_tasks().filter(plan=plan, enterprise__uscc__in=usccs)}
            drawn_page.object_list = [
                {"uscc": u, "category_code": c, "category": cats.get(c, c),
                 "enterprise_id": enterprises.get(u, (None, ""))[0],
                 "enterprise": enterprises.get(u, (None, ""))[1],
                 "task": results.get((u, c)),
                 "unqualified": unqualified_items(results[(u, c)]) if (u, c) in results else []}
                for u, c in drawn_page]
        published = public_tasks().filter(plan=plan)
        context = {
            "plan": plan, "draw": draw, "drawn_page": drawn_page,
            "published_count": published.count(),
            "record_name": f"plan-{plan.pk}-draw-record.json",
            "pool_name": f"plan-{plan.pk}-pool.csv",
            "spec_path": "docs/draw.md",
        }
        return render(request, "portal/spotcheck/plan_detail.html", context)


class _DrawFileView(ThrottledView):
    field = ""
    content_type = ""
    suffix = ""

    def get(self, request, pk):
        plan = get_object_or_404(public_plans(), pk=pk)
        draw = get_object_or_404(public_draws(), plan=plan)
        stored = getattr(draw, self.field)
        if not stored:
            raise Http404(_("The file is not available."))
        response = FileResponse(stored.open("rb"), as_attachment=True,
                                filename=f"plan-{plan.pk}-{self.suffix}",
                                content_type=self.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        return response


class DrawRecordView(_DrawFileView):
    """The draw record (canonical JSON), byte for byte as stored."""

    field = "record_file"
    content_type = "application/json"
    suffix = "draw-record.json"


class DrawPoolView(_DrawFileView):
    """The draw pool (canonical CSV), byte for byte as stored."""

    field = "pool_file"
    content_type = "text/csv; charset=utf-8"
    suffix = "pool.csv"


class DrawSpecView(ThrottledView):
    """The draw specification (docs/draw.md) as Markdown text."""

    def get(self, request):
        if not SPEC_PATH.exists():
            raise Http404(_("The specification is not installed with this deployment."))
        return HttpResponse(SPEC_PATH.read_bytes(), content_type="text/markdown; charset=utf-8")


# --------------------------------------------------------------------------- results


class ResultListView(ThrottledView):
    """Published results, searchable by enterprise name / USCC, category, city, verdict, period."""

    def get(self, request):
        f = ResultFilter(request)
        qs = f.apply(public_tasks()).order_by("-published_on", "-id")
        page = page_of(request, qs)
        for task in page:
            task.unqualified_names = unqualified_items(task)
        return render(request, "portal/spotcheck/result_list.html",
                      {"page": page, "f": f, **f.choices()})


class ResultDetailView(ThrottledView):
    """One published result with its inspected items."""

    model = Task

    def get(self, request, pk):
        task = get_object_or_404(public_tasks(), pk=pk)
        items = (TestItem.objects.restrict(public_user(), "view").filter(task=task)
                 .select_related("standard").order_by("retest", "id"))
        return render(request, "portal/spotcheck/result_detail.html",
                      {"task": task, "items": items, "unqualified_names": unqualified_items(task)})


# --------------------------------------------------------------------------- pass rates


def period_end(period: str) -> dt.date:
    """The date at which a period's targets apply (its year's last day; today without one)."""
    if len(period) >= 4 and period[:4].isdigit():
        return min(dt.date(int(period[:4]), 12, 31), timezone.localdate())
    return timezone.localdate()


KIND_LABELS = dict(ProductCategory.Kind.choices)


def pass_rate_rows(tasks, by: str, on: dt.date) -> tuple[list[dict], list[dict]]:
    """Table rows (with the target of each row's kind) and the chart's target lines."""
    rates = stats.pass_rates(tasks, by=by)
    rows = []
    kinds_present: list[str] = []
    if by == "category":
        kind_of = dict(ProductCategory.objects.filter(code__in=[r.key for r in rates])
                       .values_list("code", "kind"))
    else:
        kind_of = {}
        kinds_present = sorted(set(tasks.filter(stats.FINAL).values_list("category__kind", flat=True).order_by()
                                   .distinct()))
    targets = {k: stats.target_for(k, on) for k in ProductCategory.Kind.values}
    for r in rates:
        lo, hi = r.interval
        kind = kind_of.get(r.key, "")
        target = targets.get(kind) if kind else None
        rows.append({
            "key": r.key, "label": r.label, "tested": r.tested, "qualified": r.qualified,
            "unqualified": r.tested - r.qualified, "rate": r.rate, "low": lo, "high": hi,
            "kind": kind, "kind_label": KIND_LABELS.get(kind, ""), "target": target,
            "meets": None if target is None or r.rate is None else r.rate >= target,
        })
        if kind and kind not in kinds_present:
            kinds_present.append(kind)
    lines = []
    for kind in sorted(kinds_present):
        if targets.get(kind) is not None:
            lines.append({"kind": kind, "label": str(KIND_LABELS[kind]), "target": targets[kind]})
    return rows, lines


class PassRateView(ThrottledView):
    """Pass rates by category or city with Wilson 95 % intervals, against the targets."""

    def get(self, request):
        f = ResultFilter(request)
        by = request.GET.get("by", "category")
        if by not in ("category", "city"):
            by = "category"
        tasks = f.apply(Task.objects.restrict(public_user(), "view"))
        on = period_end(f.period)
        rows, lines = pass_rate_rows(tasks, by, on)
        chart = {
            "labels": [r["label"] for r in rows],
            # percentages with one decimal, as in the table
            "rates": [None if r["rate"] is None else round(r["rate"] * 100, 1) for r in rows],
            "intervals": [[round(r["low"] * 100, 1), round(r["high"] * 100, 1)] for r in rows],
            "tested": [r["tested"] for r in rows],
            "targets": [{"label": ln["label"], "value": round(ln["target"] * 100, 1)} for ln in lines],
            "names": {"rate": _("pass rate (%)"), "interval": _("95 % Wilson interval"),
                      "target": _("target")},
        }
        return render(request, "portal/spotcheck/passrates.html",
                      {"rows": rows, "lines": lines, "by": by, "f": f, "chart": chart, "on": on,
                       **f.choices()})


# --------------------------------------------------------------------------- open data

# (name, description) of every open-data column, in order; also shown on the page.
OPEN_DATA_COLUMNS = [
    ("result_id", gettext_lazy("identifier of the published result (stable)")),
    ("plan_id", gettext_lazy("identifier of the spot-check plan")),
    ("plan_title", gettext_lazy("title of the plan")),
    ("plan_kind", gettext_lazy("`routine`, `seasonal` or `risk`")),
    ("period", gettext_lazy("the plan's period, e.g. 2026 or 2026Q2")),
    ("issuing_division", gettext_lazy("GB/T 2260 code of the bureau that issued the plan")),
    ("enterprise_uscc", gettext_lazy("unified social credit code (GB 32100)")),
    ("enterprise_name", gettext_lazy("registered name of the enterprise")),
    ("division", gettext_lazy("GB/T 2260 code of the enterprise's county")),
    ("division_name", gettext_lazy("name of that county")),
    ("city", gettext_lazy("GB/T 2260 code of the enterprise's city")),
    ("category_code", gettext_lazy("product category code")),
    ("category_name", gettext_lazy("product category name")),
    ("category_kind", gettext_lazy("`agricultural`, `industrial` or `consumer`")),
    ("sample_name", gettext_lazy("the sampled product")),
    ("sample_batch", gettext_lazy("batch or production date of the sample")),
    ("verdict", gettext_lazy("standing result: `qualified` or `unqualified` (after any re-test)")),
    ("first_verdict", gettext_lazy("result of the first test")),
    ("retest_verdict", gettext_lazy("result of the re-test, empty when there was none")),
    ("unqualified_items", gettext_lazy("unqualified items of the standing result, separated by ';'")),
    ("report_number", gettext_lazy("test report number")),
    ("tested_on", gettext_lazy("date of the test (YYYY-MM-DD)")),
    ("published_on", gettext_lazy("date of publication (YYYY-MM-DD)")),
]
OPEN_DATA_FIELDS = [name for name, _desc in OPEN_DATA_COLUMNS]


def open_data_row(task) -> dict:
    return {
        "result_id": task.pk,
        "plan_id": task.plan_id,
        "plan_title": task.plan.title,
        "plan_kind": task.plan.kind,
        "period": task.plan.period,
        "issuing_division": task.plan.division_id,
        "enterprise_uscc": task.enterprise.uscc,
        "enterprise_name": task.enterprise.name,
        "division": task.division_id,
        "division_name": task.division.name,
        "city": city_code(task.division_id),
        "category_code": task.category.code,
        "category_name": task.category.name,
        "category_kind": task.category.kind,
        "sample_name": task.sample_name,
        "sample_batch": task.sample_batch,
        "verdict": task.final_verdict,
        "first_verdict": task.verdict,
        "retest_verdict": task.retest_verdict,
        "unqualified_items": ";".join(unqualified_items(task)),
        "report_number": task.report_number,
        "tested_on": task.tested_on.isoformat() if task.tested_on else "",
        "published_on": task.published_on.isoformat() if task.published_on else "",
    }




class _Echo:
    def write(self, value):
        return value


class OpenDataView(ThrottledView):
    """``?format=csv`` / ``?format=json``: published results; without a format, the column list."""

    def get(self, request):
        fmt = request.GET.get("format", "")
        f = ResultFilter(request)
        qs = f.apply(public_tasks()).order_by("published_on", "id")
        stamp = timezone.localdate().isoformat()
        if fmt == "csv":
            writer = csv.writer(_Echo(), lineterminator="\r\n")

            def rows():
                yield "\ufeff" + writer.writerow(OPEN_DATA_FIELDS)  # BOM: Excel opens UTF-8
                for task in qs.iterator(chunk_size=2000):
                    row = open_data_row(task)
                    yield writer.writerow([csv_safe(row[k]) for k in OPEN_DATA_FIELDS])

            response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="spotcheck-results-{stamp}.csv"'
            return response
        if fmt == "json":
            data = {"columns": OPEN_DATA_FIELDS, "generated": stamp,
                    "results": [open_data_row(t) for t in qs.iterator(chunk_size=2000)]}
            response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
            response["Content-Disposition"] = f'attachment; filename="spotcheck-results-{stamp}.json"'
            return response
        if fmt:
            return HttpResponse(_("Unknown format %(fmt)s: use csv or json.") % {"fmt": fmt[:20]},
                                status=400, content_type="text/plain; charset=utf-8")
        return render(request, "portal/spotcheck/opendata.html",
                      {"columns": OPEN_DATA_COLUMNS, "count": qs.count(), "f": f,
                       "query": request.GET.urlencode()})


__all__ = ["PlanListView", "PlanDetailView", "DrawRecordView", "DrawPoolView", "DrawSpecView",
           "ResultListView", "ResultDetailView", "PassRateView", "OpenDataView",
           "OPEN_DATA_COLUMNS", "OPEN_DATA_FIELDS", "PortalRateThrottle"]
