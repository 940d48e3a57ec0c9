"""The case list (django-tables2) and its CSV / Excel export.

The complainant is always masked in the list and in exports (DESIGN §10): the
clear values are on the case page only, for the handling bureau's staff. The
view's queryset carries ``select_related`` of every relation shown here.
"""
from __future__ import annotations

import csv
import tempfile

import django_tables2 as tables
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from zhijian.core.tables import BaseTable

from .masking import mask_name, mask_phone
from .models import Case

CLOCK_LABELS = {"accept": _("accept or reject"), "mediation": _("mediation ends"),
                "clue_check": _("clue check"), "notify": _("tell the parties")}


class CaseTable(BaseTable):
    ticket = tables.Column(linkify=True)
    complainant = tables.Column(verbose_name=_("complainant"), accessor="complainant__name", orderable=False)
    respondent_name = tables.Column(verbose_name=_("respondent"))
    next_due = tables.Column(verbose_name=_("next deadline"))

    class Meta(BaseTable.Meta):
        model = Case
        fields = ("ticket", "kind", "channel", "received_on", "complainant", "respondent_name", "division",
                  "category", "hazard", "status", "next_due")

    def render_complainant(self, value):
        return mask_name(value) or "—"

    def render_next_due(self, value, record):
        label = CLOCK_LABELS.get(record.next_due_kind, "")
        if value < timezone.localdate():
            return format_html('<span class="past">{}: {}</span> <span class="badge overdue">{}</span>',
                               label, value.isoformat(), _g("overdue"))
        return format_html("{}: {}", label, value.isoformat())


# --------------------------------------------------------------------------- export

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def export_columns():
    """(header, value of a case) for the export; personal data masked, free text left out."""
    def d(v):
        return v.isoformat() if v else ""

    return [
        (_g("ticket number"), lambda c: c.ticket),
        (_g("kind"), lambda c: c.get_kind_display()),
        (_g("channel"), lambda c: c.get_channel_display()),
        (_g("received on"), lambda c: d(c.received_on)),
        (_g("complainant"), lambda c: mask_name(getattr(getattr(c, "complainant", None), "name", ""))),
        (_g("phone"), lambda c: mask_phone(getattr(getattr(c, "complainant", None), "phone", ""))),
        (_g("respondent"), lambda c: c.respondent_name),
        (_g("respondent USCC"), lambda c: c.respondent_uscc),
        (_g("handling bureau (division)"), lambda c: c.division_id),
        (_g("product or service"), lambda c: c.product),
        (_g("product category"), lambda c: c.category.name if c.category else ""),
        (_g("hazard"), lambda c: c.get_hazard_display() if c.hazard else ""),
        (_g("status"), lambda c: c.get_status_display()),
        (_g("decide acceptance by"), lambda c: d(c.accept_due)),
        (_g("acceptance decided on"), lambda c: d(c.decided_on)),
        (_g("mediation ends by"), lambda c: d(c.mediation_due)),
        (_g("next deadline"), lambda c: d(c.next_due)),
        (_g("outcome"), lambda c: c.get_outcome_display() if c.outcome else ""),
        (_g("amount refunded (yuan)"), lambda c: str(c.amount_refunded or "")),
        (_g("amount compensated (yuan)"), lambda c: str(c.amount_compensated or "")),
        (_g("closed on"), lambda c: d(c.closed_on)),
    ]


def _safe(value):
    """Spreadsheet programs run cells starting with = + - @ as formulas."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


def _rows(queryset):
    columns = export_columns()
    yield [h for h, _f in columns]
    for case in queryset.iterator(chunk_size=2000):
        yield [_safe(f(case)) for _h, f in columns]


def export_cases(model, queryset, fmt: str):
    """The filtered, restricted case list as CSV (streamed, UTF-8 with BOM) or .xlsx."""
    queryset = queryset.select_related("complainant", "category").order_by("-received_on", "-id")
    name = f"complaints-{timezone.localdate():%Y%m%d}.{fmt}"
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def body():
            yield "\ufeff"
            for row in _rows(queryset):
                yield writer.writerow(row)

        response = StreamingHttpResponse(body(), content_type=CONTENT_TYPES["csv"])
    else:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(_g("complaints and reports"))
        for row in _rows(queryset):
            ws.append(row)
        tmp = tempfile.TemporaryFile()
        wb.save(tmp)
        tmp.seek(0)
        response = FileResponse(tmp, content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
