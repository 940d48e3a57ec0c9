"""Pages of the quality-status reports: the list (scoped), the request form, a report with its
progress (polled with HTMX while it is built) and downloads, and publication on the portal."""
from __future__ import annotations

import django_tables2 as tables
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from zhijian.core.scope import ROLE_PROVINCE_ADMIN, scope_for
from zhijian.core.tables import BaseTable
from zhijian.core.views import ObjectDetailView, ObjectListView, ScopedObjectMixin
from zhijian.registry.models import Division

from ..models import QualityReport
from . import jobs
from .filtersets import QualityReportFilterSet

FORMATS = {"html": ("html_file", "text/html; charset=utf-8"), "pdf": ("pdf_file", "application/pdf"),
           "xlsx": ("xlsx_file", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


class QualityReportTable(BaseTable):
    id = tables.Column(linkify=lambda record: record.get_absolute_url(), verbose_name="#")
    division = tables.Column(linkify=lambda record: record.get_absolute_url())
    period = tables.Column()
    status = tables.Column()
    trigger = tables.Column()
    requested_by = tables.Column()
    created = tables.DateTimeColumn(format="Y-m-d H:i")
    published = tables.BooleanColumn()

    class Meta(BaseTable.Meta):
        model = QualityReport
        fields = ("id", "division", "period", "status", "trigger", "requested_by", "created", "published")


class QualityReportListView(ObjectListView):
    model = QualityReport
    queryset = QualityReport.objects.select_related("division", "requested_by")
    filterset_class = QualityReportFilterSet
    table_class = QualityReportTable
    template_name = "targets/report/list.html"
    filter_fields = ("status", "published")

    def get_extra_context(self) -> dict:
        return {"can_request": self.request.user.is_authenticated and self.can("add")}


def _status_context(report) -> dict:
    total = report.progress_total or len(jobs.STEPS)
    return {"active": report.is_active, "percent": int(100 * report.progress_done / total) if total else 0}


class QualityReportDetailView(ObjectDetailView):
    model = QualityReport
    queryset = QualityReport.objects.select_related("division", "requested_by")
    template_name = "targets/report/detail.html"
    # the times are in the history below (local time)
    detail_fields = ("division", "period", "status", "trigger", "requested_by", "duration_s", "figure_count",
                     "chart_count", "published")

    def get(self, request, pk):
        if getattr(request, "htmx", False) and request.GET.get("partial"):
            report = self.get_object(pk)
            return render(request, "targets/report/status.html", {"object": report, **_status_context(report)})
        return super().get(request, pk)

    def get_extra_context(self, obj) -> dict:
        user = self.request.user
        s = scope_for(user)
        may_publish = (user.is_authenticated and (s.unrestricted or s.role == ROLE_PROVINCE_ADMIN)
                       and user.has_perm("targets.change_qualityreport") and obj.status == QualityReport.Status.DONE)
        return {**_status_context(obj), "may_publish": may_publish, "events": obj.events.all()}


def _requestable(user):
    s = scope_for(user)
    qs = Division.objects.filter(active=True).filter(code__endswith="00")
    if not s.unrestricted:
        qs = qs.filter(code__startswith=s.prefix or "-")
    return qs.order_by("code")


class RequestForm(forms.Form):
    division = forms.ModelChoiceField(queryset=Division.objects.none(), label=_("Division"))
    period = forms.CharField(label=_("Period"), max_length=6,
                             help_text=_("A year (2026) or a quarter (2026Q3)."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = _requestable(user)

    def clean_period(self):
        from .. import periods

        code = self.cleaned_data["period"].strip().upper()
        try:
            kind = periods.kind(code)
        except periods.PeriodError:
            raise ValidationError(_("Give a year (2026) or a quarter (2026Q3)."))
        if kind == periods.MONTH:
            raise ValidationError(_("A report covers a year or a quarter."))
        if periods.bounds(code)[0] > timezone.localdate():
            raise ValidationError(_("The period has not begun yet."))
        return code


class QualityReportRequestView(ScopedObjectMixin, View):
    """``targets:qualityreport_add``: division and period; the report is queued for the worker."""

    model = QualityReport
    action = "add"
    template_name = "targets/report/request.html"

    def render_form(self, form, status=200):
        return render(self.request, self.template_name, {**self.model_context(), "form": form}, status=status)

    def get(self, request):
        s = scope_for(request.user)
        initial = {"period": str(timezone.localdate().year)}
        first = _requestable(request.user).filter(code=(s.prefix or "").ljust(6, "0")).first()
        if first is not None:
            initial["division"] = first
        return self.render_form(RequestForm(initial=initial, user=request.user))

    def post(self, request):
        from ..tasks import build_quality_report_task

        form = RequestForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_form(form, status=400)
        try:
            report = jobs.request(request.user, form.cleaned_data["division"], form.cleaned_data["period"],
                                  language=request.LANGUAGE_CODE)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.render_form(form, status=400)
        if report.status == QualityReport.Status.QUEUED and not report.events.filter(type="started").exists():
            try:
                build_quality_report_task.enqueue(report.pk)
            except Exception as exc:  # the queue is unreachable: say so on the report
                report.status, report.finished_at = QualityReport.Status.FAILED, timezone.now()
                report.message = f"could not queue the report: {type(exc).__name__}: {exc}"[:2000]
                report.save()
                raise
        return redirect(report.get_absolute_url())


class QualityReportPublishView(ScopedObjectMixin, View):
    """POST: publish on the portal (``publish=1``) or withdraw (``publish=0``); the province only."""

    model = QualityReport
    action = "change"

    def post(self, request, pk):
        report = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            jobs.set_published(report, request.user, request.POST.get("publish", "1") == "1")
        except PermissionDenied:
            raise
        except ValidationError as exc:
            return render(request, "targets/report/detail.html", {
                **self.model_context(), "object": report, "errors": exc.messages, **_status_context(report)},
                status=400)
        return redirect(report.get_absolute_url())


def file_response(report, fmt):
    if fmt not in FORMATS or report.status != QualityReport.Status.DONE:
        raise Http404
    field, content_type = FORMATS[fmt]
    f = getattr(report, field)
    if not f:
        raise Http404
    name = f"质量状况分析报告-{report.division.name}-{report.period}.{fmt}"
    return FileResponse(f.open("rb"), content_type=content_type, as_attachment=fmt != "html", filename=name)


class QualityReportDownloadView(ScopedObjectMixin, View):
    """A built report's file (``html``, ``pdf`` or ``xlsx``) for the staff who may see it."""

    model = QualityReport
    action = "view"

    def get(self, request, pk, fmt):
        return file_response(get_object_or_404(self.get_queryset().select_related("division"), pk=pk), fmt)
