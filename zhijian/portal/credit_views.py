"""The public credit page of an enterprise on the portal (一公开; DESIGN §6.3, §7).

What the public may read, and nothing more — every row comes from
``restrict(AnonymousUser(), "view")`` whoever is signed in:

* the latest grade made by a *published* evaluation method (``Grade.public_q``), with
  the method version and date; the credit-risk class is **not** shown: it is internal
  supervision information (it sets how often the enterprise is spot-checked, DESIGN
  §6.1), not a published credit judgment;
* serious-violation list entries in force today (``EnterpriseListing.public_q``):
  reason, legal basis, listing date and planned end;
* penalty publications inside their publication window (``PenaltyPublication.public_q``
  = ``publication.published_penalties_q``): never unpublished, expired, revoked or
  withdrawn ones.

No personal data: no legal representative, phone or address, no officer names.
Rate-limited like the other portal pages (``PortalRateThrottle``).
"""
from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from zhijian.credit.models import EnterpriseListing, Grade, PenaltyPublication
from zhijian.registry.models import normalize_uscc

from .spotcheck_views import ThrottledView, public_user
from .views import public_enterprises

PENALTY_FIELDS = ("id", "enterprise_id", "decision_number", "decision_date", "authority", "severity",
                  "violation", "penalty", "legal_basis", "published_on", "publish_until")


class CreditPageView(ThrottledView):
    def get(self, request, uscc):
        enterprise = get_object_or_404(public_enterprises(), uscc=normalize_uscc(uscc).upper())
        anon = public_user()
        grade = (Grade.objects.restrict(anon, "view").filter(enterprise=enterprise)
                 .select_related("method").only("id", "enterprise_id", "grade", "as_of", "method__version")
                 .order_by("-computed_at", "-id").first())
        listings = (EnterpriseListing.objects.restrict(anon, "view").filter(enterprise=enterprise)
                    .only("id", "enterprise_id", "kind", "start", "planned_end", "reason", "legal_basis")
                    .order_by("-start", "-id"))
        penalties = (PenaltyPublication.objects.restrict(anon, "view").filter(enterprise=enterprise)
                     .only(*PENALTY_FIELDS).order_by("-published_on", "-id"))
        return render(request, "portal/credit_page.html", {
            "enterprise": enterprise, "grade": grade, "listings": list(listings),
            "penalties": list(penalties), "today": timezone.localdate()})
