"""Complaint data pages: statistics (staff), daily counts (staff, CSV / JSON), the 12315 import
page (officers) and the monthly open data (public, rate-limited).

Staff pages read ``Case.objects.restrict(user, "view")``: a county officer counts the
county's cases only. The open data are aggregates over all cases without personal data
(see ``opendata.py``). Charts use the ECharts build shipped in the static files
(``vendor/echarts.min.js``), never a CDN.
"""
from __future__ import annotations

import csv
import datetime as dt
import re

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView

from zhijian.core.jobs import create_job
from zhijian.core.models import ImportJob
from zhijian.core.querysets import scope_q
from zhijian.core.scope import scope_for
from zhijian.core.throttling import csv_safe, ThrottledView

from . import opendata, stats
from .importers import ComplaintImporter
from .models import Case, Kind

MAX_DAILY_DAYS = 3 * 366
OPEN_DATA_CACHE_SECONDS = 3600
ENCODINGS = [("", gettext_lazy("detect (UTF-8 or GBK)")), ("utf-8", "UTF-8"), ("gbk", "GBK / GB18030")]


def _parse(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


class _Echo:
    def write(self, value):
        return value






def _month(value: str | None) -> str | None:
    value = (value or "").strip()[:7]
    return value if re.fullmatch(r"\d{4}-\d{2}", value) else None


class StaffMixin:
    """Regulator staff who may read cases (province administrators, officers, inspectors)."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        scope = scope_for(user)
        if scope_q(Case, user, "view") is None or not (scope.unrestricted or scope.is_staff_role):
            raise PermissionDenied(_("Complaint statistics are for regulator staff."))
        return super().dispatch(request, *args, **kwargs)

    def period(self, request, default_days: int = 365) -> tuple[dt.date, dt.date]:
        end = _parse(request.GET.get("to")) or timezone.localdate()
        start = _parse(request.GET.get("from")) or end - dt.timedelta(days=default_days - 1)
        if start > end:
            start, end = end, start
        return start, end


class StatsView(StaffMixin, View):
    """Counts by category, hazard, division, respondent, kind, channel and month; handling time; overdue rate."""

    def get(self, request):
        start, end = self.period(request)
        level = request.GET.get("level", "county")
        level = level if level in ("county", "city") else "county"
        qs = stats.in_period(Case.objects.restrict(request.user, "view"), start, end)
        summary = stats.summary(qs)
        summary["overdue_pct"] = round(summary["overdue_rate"] * 100, 1)
        months = stats.by_month(qs)
        handling = stats.handling_time(qs)
        tables = {
            "category": stats.by_category(qs), "hazard": stats.by_hazard(qs),
            "division": stats.by_division(qs, level), "kind": stats.by_kind(qs),
            "channel": stats.by_channel(qs), "status": stats.by_status(qs),
        }
        respondents = stats.top_respondents(qs)
        unlabelled = _("(not classified)")

        def series(rows, limit=15):
            rows = rows[:limit]
            return {"labels": [r["label"] or unlabelled for r in rows], "values": [r["n"] for r in rows]}

        chart = {
            "months": [m["month"] for m in months],
            "complaints": [m[Kind.COMPLAINT] for m in months],
            "reports": [m[Kind.REPORT] for m in months],
            "category": series(tables["category"]), "hazard": series(tables["hazard"]),
            "division": series(tables["division"]),
            "handling": {"labels": handling["labels"], "values": handling["counts"]},
            "names": {"complaints": _("complaints"), "reports": _("reports"), "cases": _("cases"),
                      "workdays": _("working days")},
        }
        return render(request, "complaints/stats.html", {
            "start": start, "end": end, "level": level, "summary": summary, "tables": tables,
            "respondents": respondents, "months": months, "handling": handling, "chart": chart,
            "unlabelled": unlabelled,
        })


class DailyCountsView(StaffMixin, View):
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD[&format=json]``: cases per day × division × category (CSV)."""

    def get(self, request):
        start, end = self.period(request, default_days=90)
        if (end - start).days >= MAX_DAILY_DAYS:
            return HttpResponse(_("Choose at most three years."), status=400, content_type="text/plain; charset=utf-8")
        rows = stats.daily_counts(start, end, Case.objects.restrict(request.user, "view"))
        name = f"complaint-daily-counts-{start}-{end}"
        if request.GET.get("format") == "json":
            response = JsonResponse({"from": start.isoformat(), "to": end.isoformat(), "columns": stats.DAILY_FIELDS,
                                     "rows": [[r["date"].isoformat(), r["division"], r["category"], r["n"]]
                                              for r in rows]})
            return response
        writer = csv.writer(_Echo(), lineterminator="\r\n")

        def lines():
            yield "\ufeff" + writer.writerow(stats.DAILY_FIELDS)
            for r in rows:
                yield writer.writerow([r["date"].isoformat(), r["division"], r["category"], r["n"]])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response


# --------------------------------------------------------------------------- import


class ComplaintImportForm(forms.Form):
    encoding = forms.ChoiceField(label=gettext_lazy("Encoding (CSV)"), choices=ENCODINGS, required=False)
    file = forms.FileField(label=gettext_lazy("File (CSV or .xlsx)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        limit = getattr(settings, "ZHIJIAN_IMPORT_MAX_UPLOAD", 256 * 1024 * 1024)
        if f.size > limit:
            raise forms.ValidationError(_("The file is larger than %(mb)d MB; import it with the command line "
                                          "(zhijian complaints import).") % {"mb": limit // 2 ** 20})
        if not f.name.lower().endswith((".csv", ".txt", ".tsv", ".xlsx", ".xlsm")):
            raise forms.ValidationError(_("Upload a CSV file or an Excel .xlsx workbook."))
        return f


class ComplaintImportView(FormView):
    """Upload a 12315 export; the import runs as a background job (the registry's job pages show it)."""

    form_class = ComplaintImportForm
    template_name = "complaints/import.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if ComplaintImporter(user=request.user).permission_error() is not None or \
                not (scope_for(request.user).unrestricted or scope_for(request.user).is_staff_role):
            raise PermissionDenied(_("You may not import complaints."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kw):
        ctx = super().get_context_data(**kw)
        ctx.update(columns=ComplaintImporter.columns,
                   jobs=ImportJob.objects.restrict(self.request.user).filter(
                       user=self.request.user, importer=ComplaintImporter.name)[:10])
        return ctx

    def form_valid(self, form):
        from zhijian.core.tasks import run_import_job

        job = create_job(ComplaintImporter.name, form.cleaned_data["file"], user=self.request.user,
                         mode="create", source="web", encoding=form.cleaned_data.get("encoding") or "")
        run_import_job.enqueue(job.pk)
        return redirect("registry:importjob_detail", pk=job.pk)


# --------------------------------------------------------------------------- open data (public)


class OpenDataView(ThrottledView):
    """Monthly open data: ``?from=YYYY-MM&to=YYYY-MM`` and ``format=csv|json``; without a format, the page."""

    def get(self, request):
        fmt = request.GET.get("format", "")
        start, end = (_month(request.GET.get("from")), _month(request.GET.get("to")))
        # Past months change only as their cases close: an hour-old answer is fine, and it keeps
        # repeated downloads from re-aggregating the whole table.
        key = f"complaints-opendata:{opendata.last_complete_month():%Y-%m}:{start}:{end}"
        rows = cache.get(key)
        if rows is None:
            rows = opendata.monthly(start, end)
            cache.set(key, rows, OPEN_DATA_CACHE_SECONDS)
        stamp = timezone.localdate().isoformat()
        if fmt == "csv":
            writer = csv.writer(_Echo(), lineterminator="\r\n")

            def lines():
                yield "\ufeff" + writer.writerow(opendata.FIELDS)
                for r in rows:
                    yield writer.writerow([csv_safe("" if r[k] is None else r[k]) for k in opendata.FIELDS])

            response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="complaints-monthly-{stamp}.csv"'
            return response
        if fmt == "json":
            response = JsonResponse({"columns": opendata.FIELDS, "generated": stamp, "rows": rows},
                                    json_dumps_params={"ensure_ascii": False})
            response["Content-Disposition"] = f'attachment; filename="complaints-monthly-{stamp}.json"'
            return response
        if fmt:
            return HttpResponse(_("Unknown format %(fmt)s: use csv or json.") % {"fmt": fmt[:20]},
                                status=400, content_type="text/plain; charset=utf-8")
        months = sorted({r["month"] for r in rows})
        totals = {m: sum(r["cases"] for r in rows if r["month"] == m) for m in months}
        return render(request, "complaints/stats_opendata.html", {
            "columns": opendata.COLUMNS, "rows": rows[:200], "count": len(rows), "months": months,
            "chart": {"months": months, "values": [totals[m] for m in months], "name": _("cases")},
            "query": request.GET.urlencode(), "last_month": opendata.last_complete_month().strftime("%Y-%m"),
        })
