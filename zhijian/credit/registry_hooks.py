"""What credit adds to the registry through ``zhijian.registry.hooks`` (registered in ``apps.py``).

* Award eligibility (DESIGN §6.8, §7; SAMR order 44): an award of year *Y* is refused
  for an enterprise that was on the serious-violation list at any time in *Y* (an award
  carries only its year, so the whole year counts).
* The "blacklisted" flag in every enterprise list: the enterprise is on the
  serious-violation list today (``publication.active_listing_q``).
"""
from __future__ import annotations

import datetime as dt

from django.db.models import Exists, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import EnterpriseListing

SERIOUS = EnterpriseListing.Kind.SERIOUS_VIOLATION


def refuse_blacklisted_awards(items: list[tuple[int, int]]) -> dict[int, str]:
    """Refuse (enterprise id, year) pairs whose enterprise was listed in that year (one query)."""
    # a year outside the calendar is the year field's error to report, not this check's
    items = [(e, y) if isinstance(y, int) and 1 <= y <= 9999 else (e, None) for e, y in items]
    if not any(y for _e, y in items):
        return {}
    years = {y for _e, y in items if y}
    ids = {e for e, _y in items}
    rows = (EnterpriseListing.objects.filter(kind=SERIOUS, enterprise_id__in=ids,
                                             start__lte=dt.date(max(years), 12, 31))
            .filter(Q(end__isnull=True) | Q(end__gt=dt.date(min(years), 1, 1)))
            .select_related("enterprise").only("enterprise", "enterprise__name", "enterprise__uscc", "start", "end"))
    by_enterprise: dict[int, list] = {}
    for listing in rows:
        by_enterprise.setdefault(listing.enterprise_id, []).append(listing)
    refused = {}
    for index, (enterprise_id, year) in enumerate(items):
        if year is None:
            continue
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        for listing in by_enterprise.get(enterprise_id, ()):
            if listing.start <= last and (listing.end is None or listing.end > first):
                refused[index] = _(
                    "%(name)s (%(uscc)s) was on the serious-violation list in %(year)s (listed on "
                    "%(start)s) and may not receive awards or honours (SAMR order 44).") % {
                    "name": listing.enterprise.name, "uscc": listing.enterprise.uscc, "year": year,
                    "start": listing.start}
                break
    return refused


def blacklisted_expression(outer_ref, on: dt.date):
    from .publication import active_listing_q

    return Exists(EnterpriseListing.objects.filter(active_listing_q(on), kind=SERIOUS,
                                                   enterprise_id=outer_ref))


def register():
    from zhijian.registry import hooks

    hooks.register_award_check(refuse_blacklisted_awards)
    hooks.register_enterprise_flag("blacklisted", gettext_lazy("serious-violation list"),
                                   blacklisted_expression, public=True)
