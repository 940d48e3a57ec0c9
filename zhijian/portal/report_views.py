"""Published quality-status reports on the public portal (seed 二(四)1: 定期发布质量状况分析报告).

What the public reads comes from ``restrict(AnonymousUser(), "view")``: built reports the province
has published; each with its PDF, HTML and Excel workbook for download.
"""
from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from zhijian.core.throttling import ThrottledView
from zhijian.targets.models import QualityReport
from zhijian.targets.report.views import file_response


def public_reports():
    return (QualityReport.objects.restrict(AnonymousUser(), "view").select_related("division")
            .order_by("-published_at", "-id"))


class ReportListView(ThrottledView):
    def get(self, request):
        page = Paginator(public_reports(), 20).get_page(request.GET.get("page"))
        return render(request, "portal/reports.html", {"page": page})


class ReportFileView(ThrottledView):
    def get(self, request, pk, fmt):
        return file_response(get_object_or_404(public_reports(), pk=pk), fmt)
