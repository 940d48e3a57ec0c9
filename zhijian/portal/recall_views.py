"""Recall notices on the public portal: the published recall records (seed 二(二)1; DESIGN §6.9).

What the public reads comes from ``restrict(AnonymousUser(), "view")`` — published records only —
with the openFDA-style fields and, for a recall run on this platform, the notice text; nothing of
the case behind it (investigation, objection, progress figures).
"""
from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from zhijian.core.throttling import ThrottledView
from zhijian.recall.models import RecallRecord

PUBLIC_FIELDS = ("recall_number", "classification", "status", "product_description", "product_code",
                 "product_quantity", "code_info", "reason_for_recall", "hazard", "distribution_pattern",
                 "recalling_firm", "city", "state", "country", "voluntary_mandated", "recall_initiation_date",
                 "center_classification_date", "termination_date", "report_date")


def public_records():
    return (RecallRecord.objects.restrict(AnonymousUser(), "view").select_related("case")
            .order_by("-report_date", "-recall_number"))


class RecallListView(ThrottledView):
    def get(self, request):
        page = Paginator(public_records(), 20).get_page(request.GET.get("page"))
        return render(request, "portal/recalls.html", {"page": page})


class RecallDetailView(ThrottledView):
    def get(self, request, pk):
        record = get_object_or_404(public_records(), pk=pk)
        rows = []
        for name in PUBLIC_FIELDS:
            field = RecallRecord._meta.get_field(name)
            value = getattr(record, f"get_{name}_display")() if field.choices and getattr(record, name) \
                else getattr(record, name)
            rows.append({"label": field.verbose_name, "value": value, "name": name})
        notice = record.case if record.case is not None and record.case.published_at else None
        return render(request, "portal/recall_detail.html", {"record": record, "rows": rows,
                                                              "notice_title": notice.notice_title if notice else "",
                                                              "notice_text": notice.notice_text if notice else ""})
