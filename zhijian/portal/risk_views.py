"""Consumer warnings on the public portal: the published risk alerts (seed 二(二)2; DESIGN §6.4).

What the public reads comes from ``restrict(AnonymousUser(), "view")`` — published alerts
that were not withdrawn — with the product identity, hazard, risk level and measures; no
owner, no internal description of the case, no reactions of bureaus.
"""
from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from zhijian.core.throttling import ThrottledView
from zhijian.risk.models import Alert

PUBLIC_FIELDS = ("id", "number", "title", "category_id", "category__code", "category__name", "product", "hazard",
                 "level", "measures", "status", "published_at", "division_id", "division__name", "division__code")


def public_alerts():
    return (Alert.objects.restrict(AnonymousUser(), "view").select_related("category", "division")
            .only(*PUBLIC_FIELDS).order_by("-published_at", "-id"))


class WarningListView(ThrottledView):
    def get(self, request):
        page = Paginator(public_alerts(), 20).get_page(request.GET.get("page"))
        return render(request, "portal/warnings.html", {"page": page})


class WarningDetailView(ThrottledView):
    def get(self, request, pk):
        alert = get_object_or_404(public_alerts(), pk=pk)
        return render(request, "portal/warning_detail.html", {"alert": alert})
