"""Award applications: submission, the eligibility check, review, decision, reward and payment
(seed 三(三); DESIGN §6.8, §7). Pure domain logic, no HTTP; every step is one transaction that
locks the application inside the user's scope, records a typed ``AwardEvent`` and is audited.

The steps, in order (any other order is refused with the state it needs):

    draft ──submit──▶ submitted ──check──▶ eligible ──start_review──▶ under review ──decide──▶ granted / rejected
                                    └────▶ ineligible (reasons)  ──check again──▶ …
    granted (with a provincial reward) ──record_payment──▶ paid

Eligibility (``eligibility_reasons``): refused, with the reason of each failed check, when

* the enterprise is (or was in the award year) on the serious-violation list — the registry's
  award hook (``zhijian.registry.hooks.award_refusals``; credit registers the check, SAMR order
  44, DESIGN §6.3, §7); the award year and the year of the check are both tried;
* the enterprise had a major quality incident of level ``MIN_INCIDENT_RANK`` ("larger", 较大) or
  above, not rejected, within ``INCIDENT_YEARS`` years before the check. Default 3 years: an
  assumption — the quality-award rules of China and Jiangsu (中国质量奖管理办法, 江苏省质量奖
  管理办法) ask for no major quality or safety incident "in the last three years"; those texts
  are not among the legal texts this project holds, so check them before relying on the number.
  Both are parameters of ``check_eligibility``.

Reward (``reward_for``): the ``AwardReward`` row of the kind in force for the award year
(3,000,000 / 2,000,000 / 1,000,000 yuan, seed 三(三)); a city-level award has none. One-off: an
enterprise that already has the reward of a kind (granted with a reward, or paid) gets 0 for a
second grant of that kind, with a note naming the earlier application; a payment is refused when
one was recorded for the same enterprise and kind (also a database constraint).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.core.labels import label_of
from zhijian.core.scope import ROLE_ENTERPRISE, ROLE_PROVINCE_ADMIN, scope_for

from .awards import AwardApplication, AwardEvent, AwardKind, AwardReward

S = AwardApplication.Status
INCIDENT_YEARS = 3
MIN_INCIDENT_RANK = 2  # IncidentLevel.rank: 1 general, 2 larger (较大), 3 major, 4 especially serious
PROVINCIAL_KINDS = {AwardKind.CHINA_QUALITY_AWARD, AwardKind.CHINA_QUALITY_AWARD_NOMINATION,
                    AwardKind.JIANGSU_QUALITY_AWARD}


def _is_province(user) -> bool:
    s = scope_for(user)
    return s.unrestricted or s.role == ROLE_PROVINCE_ADMIN


def _is_staff(user) -> bool:
    s = scope_for(user)
    return s.role is not None and s.role != ROLE_ENTERPRISE


def _locked(app, user):
    return AwardApplication.objects.locked(user, app, _("The application is outside your scope."))


def _event(app, type_, user, **params):
    AwardEvent.objects.create(application=app, type=type_, date=timezone.now(), user=user, parameters={
        k: (str(v) if isinstance(v, (Decimal, dt.date)) else v) for k, v in params.items()})


def _need(app, *statuses, step):
    if app.status not in statuses:
        raise ValidationError(_("%(step)s is not possible: the application is %(status)s; it must be %(needed)s.")
                              % {"step": step, "status": app.get_status_display(),
                                 "needed": _(" or ").join(str(S(s).label) for s in statuses)})


def submit(app: AwardApplication, user) -> AwardApplication:
    """The enterprise (or an officer for it) hands in the application."""
    with transaction.atomic():
        app = _locked(app, user)
        _need(app, S.DRAFT, step=_("Submission"))
        if not app.documents.strip():
            raise ValidationError({"documents": _("List the documents submitted.")})
        app.status, app.submitted_at = S.SUBMITTED, timezone.now()
        app.save()
        _event(app, AwardEvent.Type.SUBMITTED, user)
    return app


def eligibility_reasons(enterprise, year: int, *, on: dt.date, incident_years: int = INCIDENT_YEARS,
                        min_incident_rank: int = MIN_INCIDENT_RANK) -> list[str]:
    """The reason of every failed eligibility check (empty: eligible)."""
    from zhijian.registry import hooks
    from zhijian.risk.models import Incident

    reasons = []
    refused = hooks.award_refusals([(enterprise.pk, year), (enterprise.pk, on.year)])
    for index in sorted(refused):
        if refused[index] not in reasons:
            reasons.append(refused[index])
    try:
        since = on.replace(year=on.year - incident_years)
    except ValueError:  # 29 February
        since = on.replace(year=on.year - incident_years, day=28)
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(since, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(on, dt.time.max, tzinfo=tz)
    incidents = (Incident.objects.filter(enterprise=enterprise, level__rank__gte=min_incident_rank,
                                         occurred_at__gte=start, occurred_at__lte=end)
                 .exclude(status=Incident.Status.REJECTED).select_related("level").order_by("occurred_at"))
    for inc in incidents:
        reasons.append(_("Major quality incident %(number)s of level %(level)s on %(date)s, within the last "
                         "%(years)d years (since %(since)s).") % {
            "number": inc.number, "level": label_of(inc.level.name, inc.level.name_zh),
            "date": timezone.localtime(inc.occurred_at).date().isoformat(), "years": incident_years,
            "since": since.isoformat()})
    return reasons


def check_eligibility(app: AwardApplication, user, *, on: dt.date | None = None,
                      incident_years: int = INCIDENT_YEARS,
                      min_incident_rank: int = MIN_INCIDENT_RANK) -> AwardApplication:
    """An officer (or the province) checks a submitted application (again after ineligibility)."""
    on = on or timezone.localdate()
    if not _is_staff(user):
        raise PermissionDenied(_("Only the bureau checks eligibility."))
    with transaction.atomic():
        app = _locked(app, user)
        _need(app, S.SUBMITTED, S.INELIGIBLE, step=_("The eligibility check"))
        reasons = eligibility_reasons(app.enterprise, app.year, on=on, incident_years=incident_years,
                                      min_incident_rank=min_incident_rank)
        app.checked_on, app.ineligible_reasons = on, reasons
        app.status = S.INELIGIBLE if reasons else S.ELIGIBLE
        app.save()
        _event(app, AwardEvent.Type.FOUND_INELIGIBLE if reasons else AwardEvent.Type.FOUND_ELIGIBLE, user,
               on=on, reasons=reasons)
    return app


def _may_decide(app, user):
    if app.kind in PROVINCIAL_KINDS and not _is_province(user):
        raise PermissionDenied(_("Provincial and national awards are reviewed and decided by the province."))
    if not _is_staff(user):
        raise PermissionDenied(_("Only the bureau reviews applications."))


def start_review(app: AwardApplication, user) -> AwardApplication:
    with transaction.atomic():
        app = _locked(app, user)
        _may_decide(app, user)
        _need(app, S.ELIGIBLE, step=_("The review"))
        app.status = S.UNDER_REVIEW
        app.save()
        _event(app, AwardEvent.Type.REVIEW_STARTED, user)
    return app


def reward_for(kind: str, year: int) -> AwardReward | None:
    """The provincial reward row of ``kind`` in force for ``year`` (None: no provincial reward)."""
    return AwardReward.objects.filter(kind=kind, applies_from__lte=year).order_by("-applies_from").first()


def decide(app: AwardApplication, user, *, grant: bool, on: dt.date, number: str, note: str = "",
           payment_due: dt.date | None = None) -> AwardApplication:
    """The decision (grant or reject) with its date and document number; a grant computes the
    one-off reward."""
    if not (number or "").strip():
        raise ValidationError({"number": _("Give the decision's document number.")})
    if not grant and not note.strip():
        raise ValidationError({"note": _("Give the reason for the rejection.")})
    if payment_due and payment_due < on:
        raise ValidationError({"payment_due": _("The payment cannot be due before the decision.")})
    with transaction.atomic():
        app = _locked(app, user)
        _may_decide(app, user)
        _need(app, S.UNDER_REVIEW, step=_("The decision"))
        app.decision_date, app.decision_number, app.decision_note = on, number.strip(), note
        if grant:
            app.status = S.GRANTED
            row = reward_for(app.kind, app.year)
            if row is None:
                app.reward_amount, app.reward_note = None, _("No provincial reward for this award.")
            else:
                earlier = (AwardApplication.objects.filter(enterprise=app.enterprise, kind=app.kind,
                                                           status=S.GRANTED, reward_amount__gt=0)
                           .exclude(pk=app.pk).order_by("decision_date", "pk").first())
                if earlier is not None:
                    app.reward_amount = Decimal(0)
                    app.reward_note = _("One-off reward already granted with application %(pk)s (%(year)s).") % {
                        "pk": earlier.pk, "year": earlier.year}
                else:
                    app.reward_amount, app.reward_note = row.amount, row.source[:255]
                    app.payment_due = payment_due
        else:
            app.status = S.REJECTED
        app.save()
        _event(app, AwardEvent.Type.GRANTED if grant else AwardEvent.Type.REJECTED, user, on=on, number=number,
               reward=app.reward_amount)
    return app


def record_payment(app: AwardApplication, user, *, paid_on: dt.date, voucher: str) -> AwardApplication:
    """The province records the payment of the reward (once per enterprise and award kind)."""
    if not _is_province(user):
        raise PermissionDenied(_("Only the province pays the provincial rewards."))
    if not (voucher or "").strip():
        raise ValidationError({"voucher": _("Give the payment voucher number.")})
    with transaction.atomic():
        app = _locked(app, user)
        _need(app, S.GRANTED, step=_("The payment"))
        if not app.reward_amount:
            raise ValidationError(_("This grant carries no provincial reward to pay."))
        if app.paid_on:
            raise ValidationError(_("The reward was paid on %(on)s (voucher %(voucher)s).") % {
                "on": app.paid_on.isoformat(), "voucher": app.voucher_number})
        other = (AwardApplication.objects.filter(enterprise=app.enterprise, kind=app.kind, paid_on__isnull=False)
                 .exclude(pk=app.pk).first())
        if other is not None:
            raise ValidationError(_("The one-off reward of this award was already paid to the enterprise on "
                                    "%(on)s (application %(pk)s).") % {"on": other.paid_on.isoformat(),
                                                                      "pk": other.pk})
        if paid_on < app.decision_date:
            raise ValidationError({"paid_on": _("The payment cannot precede the decision.")})
        app.paid_on, app.voucher_number = paid_on, voucher.strip()
        app.save()
        _event(app, AwardEvent.Type.PAID, user, on=paid_on, voucher=app.voucher_number, amount=app.reward_amount)
    return app


STEPS = ("submit", "check", "review", "decide", "pay")
