"""What is in force and what may be published on a given day (DESIGN §6.3).

The one definition used by the public credit page, the agency query API, the
exchange export, the flags in lists and the award check.
"""
from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from .models import EnterpriseListing, PenaltyPublication


def _today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


def active_listing_q(on: dt.date | None = None, prefix: str = "") -> Q:
    """List memberships in force on ``on``: started and not yet removed."""
    on = _today(on)
    return (Q(**{f"{prefix}start__lte": on})
            & (Q(**{f"{prefix}end__isnull": True}) | Q(**{f"{prefix}end__gt": on})))


def active_listings(on: dt.date | None = None):
    return EnterpriseListing.objects.filter(active_listing_q(on))


def blacklisted_ids(enterprise_ids, on: dt.date | None = None) -> set[int]:
    """Ids among ``enterprise_ids`` on the serious-violation list on ``on`` (one query)."""
    return set(active_listings(on).filter(kind=EnterpriseListing.Kind.SERIOUS_VIOLATION,
                                          enterprise_id__in=list(enterprise_ids))
               .values_list("enterprise_id", flat=True))


def is_blacklisted(enterprise_id: int, on: dt.date | None = None) -> bool:
    return bool(blacklisted_ids([enterprise_id], on))


def published_penalties_q(on: dt.date | None = None, prefix: str = "") -> Q:
    """Penalty publications visible to the public on ``on``: published, in period, not withdrawn.

    A revoked penalty is hidden from the day of the revocation (the formal withdrawal,
    with its reason, follows within 3 wd: Art. 11); withdrawal counts from its date.
    """
    on = _today(on)
    return (Q(**{f"{prefix}published_on__lte": on})
            & (Q(**{f"{prefix}withdrawn_on__isnull": True}) | Q(**{f"{prefix}withdrawn_on__gt": on}))
            & (Q(**{f"{prefix}revoked_on__isnull": True}) | Q(**{f"{prefix}revoked_on__gt": on}))
            & (Q(**{f"{prefix}publish_until__isnull": True}) | Q(**{f"{prefix}publish_until__gte": on})))


def published_penalties(on: dt.date | None = None):
    return PenaltyPublication.objects.filter(published_penalties_q(on))
