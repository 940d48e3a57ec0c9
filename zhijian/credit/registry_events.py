"""Credit events from registry records (GB/T 31863 capability and commitment indicators).

Certifications gained and revoked, awards, brands and published standard
self-declarations are registry records; each becomes one credit event pointing
at it (``source_type`` = "registry.<model>"). A single write through a form or
the API records its event at once (post_save signal); bulk imports bypass
signals, so ``sync_registry_events`` adds whatever is missing in bulk — the
monthly grading schedule and the demo loader run it before grading. Both paths
are idempotent: the unique constraint (type, source) holds one event per source.
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from typing import Callable

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.utils import timezone

from zhijian.accounts import audit
from zhijian.registry import models as R

from .models import CreditEvent, EventType

BATCH = 2000


def _year_end(year: int, today: dt.date) -> dt.date:
    return min(dt.date(year, 12, 31), today)


@dataclass(frozen=True)
class Source:
    code: str                                   # event type code
    model: type                                 # registry model
    q: Q                                        # which rows are events
    date: Callable[[object, dt.date], dt.date | None]
    fields: tuple[str, ...]                     # the fields ``date`` reads


SOURCES = (
    Source("certification_gained", R.Certification, Q(valid_from__isnull=False),
           lambda o, today: o.valid_from, ("valid_from",)),
    Source("certification_lost", R.Certification, Q(status=R.Certification.Status.REVOKED),
           lambda o, today: o.last_updated.date(), ("last_updated",)),
    Source("award", R.Award, Q(), lambda o, today: _year_end(o.year, today), ("year",)),
    Source("brand", R.Brand, Q(), lambda o, today: _year_end(o.year, today), ("year",)),
    Source("standard_declaration", R.StandardDeclaration,
           Q(status=R.StandardDeclaration.Status.PUBLISHED, published_on__isnull=False),
           lambda o, today: o.published_on, ("published_on",)),
)


class _Types:
    """Event-type versions by code, picked by date without a query per row."""

    def __init__(self):
        self.by_code: dict[str, list[EventType]] = {}
        for et in EventType.objects.order_by("code", "valid_from"):
            self.by_code.setdefault(et.code, []).append(et)

    def get(self, code: str, on: dt.date) -> EventType | None:
        versions = self.by_code.get(code) or []
        i = bisect_right([v.valid_from for v in versions], on)
        return versions[i - 1] if i else None


def _missing(src: Source, pks=None):
    label = src.model._meta.label_lower
    qs = src.model._base_manager.filter(src.q)
    if pks is not None:
        qs = qs.filter(pk__in=pks)
    done = CreditEvent.objects.filter(type__code=src.code, source_type=label)
    if pks is not None:
        done = done.filter(source_id__in=[str(p) for p in pks])
    existing = set(done.values_list("source_id", flat=True))
    for obj in qs.only("pk", "enterprise_id", *src.fields).order_by("pk").iterator(chunk_size=BATCH):
        if str(obj.pk) not in existing:
            yield obj


@transaction.atomic
def sync_registry_events(today: dt.date | None = None, *, only=None) -> dict[str, int]:
    """Create the missing events; ``only`` = (model, [pks]) limits it to some records."""
    today = today or timezone.localdate()
    types = _Types()
    counts: dict[str, int] = {}
    for src in SOURCES:
        pks = None
        if only is not None:
            if only[0] is not src.model:
                continue
            pks = list(only[1])
        batch, n = [], 0
        for obj in _missing(src, pks):
            day = src.date(obj, today)
            et = types.get(src.code, day) if day else None
            if et is None or day > today:
                continue
            event = CreditEvent(enterprise_id=obj.enterprise_id, type=et, date=day, weight=et.weight,
                                source_type=src.model._meta.label_lower, source_id=str(obj.pk))
            if only is not None:  # one record saved by a user: a normal, change-logged write
                event.save()
                n += 1
                continue
            batch.append(event)
            if len(batch) >= BATCH:
                CreditEvent.objects.bulk_create(batch, ignore_conflicts=True)
                n += len(batch)
                batch = []
        if batch:
            CreditEvent.objects.bulk_create(batch, ignore_conflicts=True)
            n += len(batch)
        counts[src.code] = n
    total = sum(counts.values())
    if total and only is None:
        # Bulk-created rows bypass the change log: one audit entry for the sync.
        audit.append("bulk_create", object_type="credit.creditevent", object_id="registry-sync",
                     object_repr="credit events from registry records", postchange=counts)
    return counts


def _on_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    sync_registry_events(only=(sender, [instance.pk]))


def connect() -> None:
    for model in {s.model for s in SOURCES}:
        post_save.connect(_on_save, sender=model, dispatch_uid=f"credit-registry-events-{model.__name__}")
