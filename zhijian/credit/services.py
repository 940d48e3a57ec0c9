"""The interface other apps call: record credit events, read grades and risk classes.

Apps that produce events (spot checks, complaints, enforcement …) call
``record_event`` with their source record; ``credit`` never imports them.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import CreditEvent, EventType, Grade, Method

DEFAULT_RISK_CLASS = "B"  # enterprises never graded (DESIGN §6.1 "general")
_CHUNK = 900  # stay under SQLite's bound-parameter limit


def source_ref(source) -> tuple[str, str]:
    """("app_label.model", "pk") of a saved model instance; ("", "") for None."""
    if source is None:
        return "", ""
    if isinstance(source, tuple):
        return str(source[0]), str(source[1])
    if getattr(source, "pk", None) is None:
        raise ValidationError(_("The source record must be saved first."))
    return source._meta.label_lower, str(source.pk)


def event_type_for(code: str, on: dt.date) -> EventType:
    """The version of event type ``code`` in force on ``on``."""
    et = EventType.objects.filter(code=code, valid_from__lte=on).order_by("-valid_from").first()
    if et is None:
        raise ValidationError({"type": _("Unknown credit-event type %(code)s on %(date)s.")
                               % {"code": code, "date": on}})
    return et


@transaction.atomic
def record_event(enterprise, type_code: str, date: dt.date, *, source=None, weight=None,
                 note: str = "", reason: str = "") -> CreditEvent:
    """Record a credit event; idempotent per (type, source): a second call returns the first event.

    ``weight`` overrides the type version's default weight and then needs ``reason``.
    The write is audited by the change log (ScopedModel).
    """
    source_type, source_id = source_ref(source)
    if source_type:
        existing = (CreditEvent.objects.select_for_update()
                    .filter(type__code=type_code, source_type=source_type, source_id=source_id).first())
        if existing is not None:
            return existing
    et = event_type_for(type_code, date)
    if weight is None:
        weight = et.weight
    else:
        weight = Decimal(str(weight))
        if weight != et.weight and not reason.strip():
            raise ValidationError({"weight_reason": _("Give a reason for a weight other than the "
                                                      "type's %(w)s.") % {"w": et.weight}})
    try:
        with transaction.atomic():  # the unique constraint settles a race between two callers
            return CreditEvent.objects.create(
                enterprise=enterprise, type=et, date=date, weight=weight, weight_reason=reason.strip(),
                source_type=source_type, source_id=source_id, note=note)
    except IntegrityError:
        if not source_type:
            raise
        return CreditEvent.objects.get(type=et, source_type=source_type, source_id=source_id)


def current_method(on: dt.date | None = None) -> Method:
    """The published method in force on ``on`` (today by default)."""
    on = on or timezone.localdate()
    method = Method.objects.filter(published=True, valid_from__lte=on).order_by("-valid_from", "-version").first()
    if method is None:
        raise ValidationError(_("No published evaluation method is in force on %(date)s.") % {"date": on})
    return method


def current_grade(enterprise) -> Grade | None:
    """The enterprise's latest grade, or None if it was never graded."""
    return (Grade.objects.filter(enterprise=enterprise).select_related("method", "run")
            .order_by("-computed_at", "-id").first())


def risk_classes(usccs) -> dict[str, str]:
    """Credit-risk class by USCC from each enterprise's latest grade; B if never graded."""
    usccs = list(dict.fromkeys(usccs))
    result = dict.fromkeys(usccs, DEFAULT_RISK_CLASS)
    for i in range(0, len(usccs), _CHUNK):
        chunk = usccs[i:i + _CHUNK]
        seen = set()
        rows = (Grade.objects.filter(enterprise__uscc__in=chunk)
                .order_by("enterprise_id", "-computed_at", "-id")
                .values_list("enterprise__uscc", "risk_class"))
        for uscc, cls in rows:
            if uscc not in seen:
                seen.add(uscc)
                result[uscc] = cls
    return result
