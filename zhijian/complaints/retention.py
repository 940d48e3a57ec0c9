"""Retention of complainants' personal data (个人信息保护法 Art. 19, 47; DESIGN §10).

``purge()`` anonymises the cases closed more than ``ZHIJIAN_COMPLAINT_RETENTION_YEARS``
years ago (closed_on < the same calendar day N years back; 29 February counts as 28
February): the ``Complainant`` row is blanked (name, phone, ID number, address, e-mail),
phone and ID numbers and e-mail addresses written inside the case's facts, request and
outcome note are masked (``masking.mask_text``), and so are those in the free text of the
case's steps (mediation summaries, transfer reasons, conversion notes, event parameters);
``anonymised_on`` is set and a ``CaseEvent`` "anonymised" is added. The case itself (respondent, product, outcome,
dates, labels) stays: statistics and credit history keep working.

One audit entry summarises a purge (count, cutoff, id range); the rows are written with
``update()`` / ``bulk_update()`` so that no per-row audit entry is written (the change log
only ever held masked values of these fields: see ``Complainant.snapshot``). A purge is
idempotent (anonymised cases are skipped) and atomic. Run it daily: ``zhijian complaints
purge`` from cron, or the background task ``purge_expired`` (django-tasks).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django_tasks import task

from .masking import mask_text
from .models import Case, CaseEvent, Complainant, Conversion, Mediation, Transfer

CHUNK = 2000
TEXT_FIELDS = ("facts", "request", "outcome_note")
CLOSED = (Case.Status.CLOSED, Case.Status.REJECTED)


@dataclass
class PurgeResult:
    on: dt.date
    cutoff: dt.date
    years: int
    count: int
    dry_run: bool
    first_id: int | None = None
    last_id: int | None = None
    audit_seq: int | None = None


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def retention_years() -> int:
    return int(getattr(settings, "ZHIJIAN_COMPLAINT_RETENTION_YEARS", 5))


def due(on: dt.date | None = None):
    """The cases whose personal data is due for removal on ``on``."""
    on = on or timezone.localdate()
    cutoff = years_before(on, retention_years())
    return (Case._base_manager.filter(status__in=CLOSED, closed_on__isnull=False, closed_on__lt=cutoff,
                                      anonymised_on__isnull=True), cutoff)


def purge(on: dt.date | None = None, dry_run: bool = False, user=None) -> PurgeResult:
    """Anonymise every case closed more than the retention period before ``on`` (default today)."""
    on = on or timezone.localdate()
    years = retention_years()
    with transaction.atomic():
        qs, cutoff = due(on)
        ids = list(qs.select_for_update().order_by("pk").values_list("pk", flat=True)) if not dry_run \
            else list(qs.order_by("pk").values_list("pk", flat=True))
        result = PurgeResult(on=on, cutoff=cutoff, years=years, count=len(ids), dry_run=dry_run,
                             first_id=ids[0] if ids else None, last_id=ids[-1] if ids else None)
        if dry_run or not ids:
            return result
        actor = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            Complainant._base_manager.filter(case_id__in=chunk).update(
                name="", phone="", id_number="", address="", email="")
            cases = list(Case._base_manager.filter(pk__in=chunk).only("id", *TEXT_FIELDS))
            for case in cases:
                for f in TEXT_FIELDS:
                    setattr(case, f, mask_text(getattr(case, f)) or "")
                case.anonymised_on = on
            Case._base_manager.bulk_update(cases, [*TEXT_FIELDS, "anonymised_on"], batch_size=500)
            _mask_related(chunk)
            CaseEvent.objects.bulk_create(
                [CaseEvent(case_id=pk, type=CaseEvent.Type.ANONYMISED, user_id=actor,
                           parameters={"cutoff": cutoff.isoformat(), "retention_years": years})
                 for pk in chunk], batch_size=1000)
        from zhijian.accounts import audit

        entry = audit.append("purge", object_type="complaints.case", object_id="",
                             object_repr=f"personal data of {len(ids)} cases closed before {cutoff}",
                             postchange={"count": len(ids), "cutoff": cutoff, "on": on, "retention_years": years,
                                         "first_id": ids[0], "last_id": ids[-1]})
        result.audit_seq = entry.seq
    return result


# Free text of a case's steps, where officers may have copied a phone or ID number.
RELATED_TEXT = ((Mediation, ("summary",)), (Transfer, ("reason",)), (Conversion, ("note",)))


def _mask_value(value):
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(v) for v in value]
    return value


def _mask_related(case_ids: list[int]) -> None:
    """Mask phone / ID numbers and e-mail addresses in the free text of the cases' steps and events."""
    for model, fields in RELATED_TEXT:
        rows = list(model._base_manager.filter(case_id__in=case_ids).only("id", *fields))
        changed = []
        for row in rows:
            new = {f: mask_text(getattr(row, f)) or "" for f in fields}
            if any(new[f] != getattr(row, f) for f in fields):
                for f, value in new.items():
                    setattr(row, f, value)
                changed.append(row)
        model._base_manager.bulk_update(changed, list(fields), batch_size=500)
    events = []
    for ev in CaseEvent.objects.filter(case_id__in=case_ids).only("id", "parameters"):
        masked = _mask_value(ev.parameters)
        if masked != ev.parameters:
            ev.parameters = masked
            events.append(ev)
    CaseEvent.objects.bulk_update(events, ["parameters"], batch_size=500)


@task()
def purge_expired() -> dict:
    """Background job: the daily purge (enqueue it from a scheduler, or run the command from cron)."""
    from zhijian.core.context import change_context

    with change_context(source="job"):
        r = purge()
    return {"on": r.on.isoformat(), "cutoff": r.cutoff.isoformat(), "count": r.count}


def summary(on: dt.date | None = None) -> dict:
    """What a purge on ``on`` would do (for the command's --dry-run and the stats page)."""
    qs, cutoff = due(on)
    agg = qs.aggregate(n=Max("pk"), m=Min("pk"))
    return {"cutoff": cutoff, "count": qs.count(), "first_id": agg["m"], "last_id": agg["n"]}
