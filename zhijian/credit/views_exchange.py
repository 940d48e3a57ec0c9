"""Pages of the exchange with the provincial credit platform and of the agency query log.

* ``credit:exchange`` — exports (province administrators): list, run one, download its files.
* ``credit:exchange_import`` — import other agencies' records (the core import job pages follow).
* ``credit:externalcreditrecord_list`` — records received from other agencies (staff, by scope).
* ``credit:agencyquery_list`` — who asked what through the agency lookup API.

``AgencyQuery`` and ``ExchangeExport`` are province-wide logs, not regional rows: they are not
``ScopedModel`` s, so their pages check the role permission and the province-wide scope here.
"""
from __future__ import annotations

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from zhijian.core.importing import MODE_UPSERT
from zhijian.core.querysets import permission_name
from zhijian.core.scope import ROLE_PROVINCE_ADMIN, province_prefix, scope_for
from zhijian.core.tables import BaseTable
from zhijian.core.views import ObjectListView
from zhijian.registry.filtersets import SearchFilterSet
from zhijian.registry.models import Enterprise

from . import exchange
from .importers import ExternalCreditRecordImporter
from .models import AgencyQuery, ExchangeExport, ExternalCreditRecord


def permission_gate(model):
    """A stand-in for a province-wide log model in ``scope_q`` (menu entries): visible to
    accounts with the role permission, never to enterprise or lab users or the public."""
    return type(f"{model.__name__}Gate", (), {
        "_meta": model._meta, "objects": model._default_manager,  # a plain manager: no dashboard count
        "public_q": classmethod(lambda cls: None), "scope_division": None,
        "scope_enterprise": None, "scope_lab": None, "scope_inspector": None})


AgencyQueryGate = permission_gate(AgencyQuery)
ExchangeExportGate = permission_gate(ExchangeExport)


def _require(user, model, action: str, *, province_wide: bool) -> None:
    scope = scope_for(user)
    if scope.unrestricted:
        return
    if scope.role is None or not user.has_perm(permission_name(model, action)):
        raise PermissionDenied(_("You do not have permission to see this page."))
    if province_wide and scope.prefix != province_prefix():
        raise PermissionDenied(_("Only a province-wide account may do this."))


# --------------------------------------------------------------------------- exports


class ExportForm(forms.Form):
    full = forms.BooleanField(label=_l("Full export (everything, not only the changes since the last export)"),
                              required=False)


class ExchangeView(LoginRequiredMixin, View):
    """Exports to the provincial credit platform: the list, and POST to run one."""

    template_name = "credit/exchange_list.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            _require(request.user, ExchangeExport, "view", province_wide=True)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, form=None):
        page = Paginator(ExchangeExport.objects.select_related("user"), 50).get_page(request.GET.get("page"))
        can_run = scope_for(request.user).unrestricted or request.user.has_perm(
            permission_name(ExchangeExport, "add"))
        return render(request, self.template_name, {
            "page": page, "exports": page.object_list, "form": form or ExportForm(), "can_run": can_run,
            "last": exchange.last_export(), "can_import": _can_import(request.user)})

    def post(self, request):
        _require(request.user, ExchangeExport, "add", province_wide=True)
        form = ExportForm(request.POST)
        if not form.is_valid():
            return self.get(request, form)
        result = exchange.export(full=form.cleaned_data["full"], user=request.user)
        counts = result.manifest["counts"]
        messages.success(request, _("Export %(id)s written: %(g)d grades, %(l)d list memberships, "
                                    "%(p)d penalties.") % {"id": result.export.pk, "g": counts["grades"],
                                                           "l": counts["listings"], "p": counts["penalties"]})
        return redirect("credit:exchange")


class ExchangeDownloadView(LoginRequiredMixin, View):
    """An export's zip, or one of its files (``?file=grades.csv``)."""

    def get(self, request, pk):
        _require(request.user, ExchangeExport, "view", province_wide=True)
        record = get_object_or_404(ExchangeExport, pk=pk)
        name = request.GET.get("file")
        path = exchange.export_file(record, name) if name else exchange.archive_path(record)
        if path is None:
            raise Http404(_("The files of this export are no longer there."))
        content_type = {"csv": "text/csv; charset=utf-8", "json": "application/json",
                        "zip": "application/zip"}.get(path.suffix.lstrip("."), "text/plain; charset=utf-8")
        return FileResponse(open(path, "rb"), as_attachment=True, filename=path.name, content_type=content_type)


# --------------------------------------------------------------------------- import


def _can_import(user) -> bool:
    return ExternalCreditRecordImporter(user=user, mode=MODE_UPSERT).permission_error() is None


class ImportForm(forms.Form):
    encoding = forms.ChoiceField(label=_l("Encoding (CSV)"), required=False, choices=[
        ("", _l("detect (UTF-8 or GBK)")), ("utf-8", "UTF-8"), ("gbk", "GBK / GB18030")])
    file = forms.FileField(label=_l("File (CSV or .xlsx)"))

    def clean_file(self):
        from django.conf import settings

        f = self.cleaned_data["file"]
        limit = getattr(settings, "ZHIJIAN_IMPORT_MAX_UPLOAD", 256 * 1024 * 1024)
        if f.size > limit:
            raise forms.ValidationError(_("The file is larger than %(mb)d MB; import it with the "
                                          "command line (zhijian credit-exchange import).") % {"mb": limit // 2**20})
        if not f.name.lower().endswith((".csv", ".txt", ".xlsx", ".xlsm")):
            raise forms.ValidationError(_("Upload a CSV file or an Excel .xlsx workbook."))
        return f


class ExchangeImportView(LoginRequiredMixin, View):
    """Upload other agencies' records; the import runs as a background job (core import pages)."""

    template_name = "credit/exchange_import.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not _can_import(request.user):
            raise PermissionDenied(_("You may not import credit records of other agencies."))
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, request, form):
        from zhijian.core.models import ImportJob

        return render(request, self.template_name, {
            "form": form, "columns": ExternalCreditRecordImporter.columns,
            "natural_key": ExternalCreditRecordImporter.natural_key,
            "jobs": ImportJob.objects.restrict(request.user).filter(
                importer=ExternalCreditRecordImporter.name)[:10]})

    def get(self, request):
        return self.render_form(request, ImportForm())

    def post(self, request):
        from zhijian.core.jobs import create_job
        from zhijian.core.tasks import run_import_job

        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_form(request, form)
        job = create_job(ExternalCreditRecordImporter.name, form.cleaned_data["file"], user=request.user,
                         mode=MODE_UPSERT, source="web", encoding=form.cleaned_data.get("encoding") or "")
        run_import_job.enqueue(job.pk)
        return redirect("registry:importjob_detail", pk=job.pk)


# --------------------------------------------------------------------------- records of other agencies


class ExternalCreditRecordFilterSet(SearchFilterSet):
    search_fields = ("uscc__iexact", "source_agency", "record_id__iexact", "kind", "enterprise__name")
    uscc = django_filters.CharFilter(field_name="uscc", lookup_expr="iexact", label=_l("USCC"))
    source_agency = django_filters.CharFilter(lookup_expr="icontains", label=_l("source agency"))
    kind = django_filters.CharFilter(lookup_expr="icontains", label=_l("kind"))
    unlinked = django_filters.BooleanFilter(field_name="enterprise", lookup_expr="isnull",
                                            label=_l("not in the registry"))

    class Meta:
        model = ExternalCreditRecord
        fields = ["uscc", "source_agency", "kind", "unlinked"]


class ExternalCreditRecordTable(BaseTable):
    source_agency = tables.Column()
    record_id = tables.Column()
    uscc = tables.Column(verbose_name=_l("USCC"))
    enterprise = tables.Column(default="—")
    kind = tables.Column()
    date = tables.DateColumn()
    valid_until = tables.DateColumn()
    description = tables.Column()

    class Meta(BaseTable.Meta):
        model = ExternalCreditRecord
        fields = ("source_agency", "record_id", "uscc", "enterprise", "kind", "date", "valid_until",
                  "description")


class ExternalCreditRecordListView(ObjectListView):
    """Records from other agencies, for staff; not re-published (see docs/credit-exchange.md).

    A record is in a user's region through its enterprise; records of enterprises not
    in the registry are seen by province-wide accounts only.
    """

    model = ExternalCreditRecord
    queryset = ExternalCreditRecord.objects.select_related("enterprise")
    filterset_class = ExternalCreditRecordFilterSet
    table_class = ExternalCreditRecordTable
    filter_fields = ("source_agency", "kind", "unlinked")

    def get_queryset(self, action=None):
        qs = super().get_queryset(action)
        scope = scope_for(self.request.user)
        if not scope.unrestricted and scope.role == ROLE_PROVINCE_ADMIN and scope.prefix == province_prefix():
            # the enterprise-division filter leaves out records of unregistered enterprises
            qs = qs | self.get_base_queryset().filter(enterprise__isnull=True)
        return qs

    def get_extra_context(self):
        return {"import_url": reverse("credit:exchange_import") if _can_import(self.request.user) else None}


# --------------------------------------------------------------------------- agency query log


class AgencyQueryFilterForm(forms.Form):
    uscc = forms.CharField(label=_l("USCC"), required=False, max_length=18)
    agency = forms.CharField(label=_l("agency"), required=False, max_length=200)
    found = forms.NullBooleanField(label=_l("found"), required=False, widget=forms.Select(choices=[
        ("", "—"), ("true", _l("yes")), ("false", _l("no"))]))
    since = forms.DateField(label=_l("from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_l("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class AgencyQueryTable(BaseTable):
    asked_at = tables.DateTimeColumn(format="Y-m-d H:i:s")
    agency = tables.Column()
    user = tables.Column(default="—")
    token = tables.Column(default="—")
    purpose = tables.Column()
    uscc = tables.Column(verbose_name=_l("USCC asked for"))
    found = tables.BooleanColumn()
    remote_addr = tables.Column(default="—")
    response_sha256 = tables.Column(verbose_name=_l("response SHA-256"))

    class Meta(BaseTable.Meta):
        model = AgencyQuery
        fields = ("asked_at", "agency", "user", "token", "purpose", "uscc", "found", "remote_addr",
                  "response_sha256")
        orderable = False

    def render_response_sha256(self, value):
        return value[:16] + "…" if value else "—"


def agency_queries_for(user):
    """The query log a user may read: all of it province-wide; otherwise the lookups of
    enterprises of the user's region."""
    scope = scope_for(user)
    qs = AgencyQuery.objects.select_related("user", "token")
    if scope.unrestricted or (scope.role == ROLE_PROVINCE_ADMIN and scope.prefix == province_prefix()):
        return qs
    return qs.filter(uscc__in=Enterprise.objects.restrict(user, "view").values("uscc"))


class AgencyQueryListView(LoginRequiredMixin, View):
    template_name = "credit/exchange_agencyquery_list.html"

    def get(self, request):
        _require(request.user, AgencyQuery, "view", province_wide=False)
        qs = agency_queries_for(request.user)
        form = AgencyQueryFilterForm(request.GET or None)
        if form.is_bound and form.is_valid():
            d = form.cleaned_data
            if d["uscc"]:
                qs = qs.filter(uscc__iexact=d["uscc"].strip())
            if d["agency"]:
                qs = qs.filter(agency__icontains=d["agency"].strip())
            if d["found"] is not None:
                qs = qs.filter(found=d["found"])
            if d["since"]:
                qs = qs.filter(asked_at__date__gte=d["since"])
            if d["until"]:
                qs = qs.filter(asked_at__date__lte=d["until"])
        elif form.is_bound:
            qs = qs.none()
        table = AgencyQueryTable(qs)
        try:
            page = max(1, int(request.GET.get("page") or 1))
        except ValueError:
            page = 1
        from django.core.paginator import EmptyPage

        try:
            table.paginate(page=page, per_page=50)
        except EmptyPage:
            table.paginate(page=1, per_page=50)
        return render(request, self.template_name, {"table": table, "form": form})
