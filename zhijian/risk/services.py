"""Risk monitoring workflows (pure domain logic over the models; no HTTP).

Incidents (企业重大质量事故强制报告): ``report_incident`` (the enterprise, or an officer on
its behalf) classifies the incident by its casualties and loss into an ``IncidentLevel``
(data: thresholds, reporting time limits, how far up it is reported), records the first
report and opens a risk alert; ``add_report`` adds follow-up, supplementary and final
reports (and re-levels); ``confirm`` makes it a credit event of the enterprise
(``major_incident``); ``close`` and ``reject`` end it. ``incident_clock`` says what is due
and what is late: the first report later than the level's hours, the follow-up report
that is missing after its days, the supplement window for casualties.

Alerts: ``open_alert`` → ``validate_alert`` → ``publish_alert`` (a consumer warning on the
portal) → ``close_alert``, or ``withdraw_alert``; ``mark_step`` ticks an emergency-plan
step; ``react`` records another bureau's reaction (found + measures / not found /
disputed); ``hand_off_to_spotcheck`` drafts a risk-products spot-check plan.

Every write goes through a model save (audited by the change log) and a typed event.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.core import scope as S
from zhijian.credit.services import record_event as record_credit_event

from . import matrix
from .models import (Alert, AlertEvent, AlertReaction, Incident, IncidentEvent, IncidentLevel, IncidentReport,
                     RiskAssessment, Signal)

OFFICERS = (S.ROLE_PROVINCE_ADMIN, S.ROLE_OFFICER)
# the default emergency-plan steps of an alert (应急预案), editable per alert
DEFAULT_PLAN_STEPS = [
    "核实信息，确定涉及的产品、批次和企业",
    "通知生产企业和销售者暂停销售、排查隐患",
    "组织风险评估，确定风险等级",
    "通报相关地区监管部门",
    "发布消费警示（如需要）",
    "督促企业召回或采取其他措施，跟踪落实",
    "总结评估，结案归档",
]


def _role(user) -> str | None:
    return S.scope_for(user).role if user is not None and user.is_authenticated else None


def _new_number(prefix: str, on: dt.date) -> str:
    """Prefix + date + 6 random digits; uniqueness is enforced by the database."""
    return f"{prefix}{on:%Y%m%d}{secrets.randbelow(10 ** 6):06d}"


def _require_allowed(user, action: str, obj) -> None:
    """The saved ``obj`` is inside the user's scope for ``action`` (call inside the transaction)."""
    if not type(obj).objects.is_allowed(user, action, obj):
        raise PermissionDenied(_("This is outside your scope."))


# --------------------------------------------------------------------------- incidents


def level_for(deaths: int, serious_injuries: int, loss: Decimal | int | float) -> IncidentLevel:
    """The most serious level whose threshold any of the figures reaches (the lowest otherwise)."""
    loss = Decimal(str(loss or 0))
    levels = list(IncidentLevel.objects.order_by("-rank", "-code"))
    if not levels:
        raise ValidationError(_("No incident levels are defined (load them with the migrations)."))
    for level in levels:
        if ((level.min_deaths and deaths >= level.min_deaths)
                or (level.min_serious_injuries and serious_injuries >= level.min_serious_injuries)
                or (level.min_loss and loss >= level.min_loss)):
            return level
    return levels[-1]


def _locked_incident(incident: Incident, user, action: str = "change") -> Incident:
    return Incident.objects.locked(user, incident, _("This incident is outside your scope."), action)


FIGURES = ("deaths", "serious_injuries", "minor_injuries", "property_loss")


@transaction.atomic
def report_incident(user, *, enterprise, category, product_name: str, occurred_at: dt.datetime, division,
                    place: str, description: str, deaths: int = 0, serious_injuries: int = 0,
                    minor_injuries: int = 0, property_loss=0, batch: str = "", cause: str = "",
                    measures: str = "", now: dt.datetime | None = None) -> Incident:
    """The first report of a major quality incident; opens a draft risk alert owned by the
    reporting officer (or, for an enterprise's own report, by nobody until an officer takes it:
    the alert is opened when the incident is confirmed)."""
    now = now or timezone.now()
    role = _role(user)
    if role == S.ROLE_ENTERPRISE:
        if S.scope_for(user).enterprise_id != enterprise.pk:
            raise PermissionDenied(_("An enterprise reports its own incidents only."))
        channel = Incident.Channel.ENTERPRISE
    elif role in OFFICERS or (user is not None and user.is_superuser):
        channel = Incident.Channel.OFFICER
    else:
        raise PermissionDenied(_("Incidents are reported by the enterprise or by an officer."))
    if occurred_at is None or timezone.is_naive(occurred_at):
        raise ValidationError({"occurred_at": _("Give the date and time of the incident.")})
    if occurred_at > now:
        raise ValidationError({"occurred_at": _("The incident cannot have occurred in the future.")})
    incident = Incident(
        number=_new_number("SG", timezone.localtime(now).date()), enterprise=enterprise, category=category,
        product_name=product_name.strip(), batch=batch.strip(), occurred_at=occurred_at, division=division,
        place=place.strip(), deaths=deaths, serious_injuries=serious_injuries, minor_injuries=minor_injuries,
        property_loss=Decimal(str(property_loss or 0)), description=description.strip(), cause=cause.strip(),
        measures=measures.strip(), channel=channel, reported_at=now, reported_by=user,
        level=level_for(deaths, serious_injuries, property_loss), last_report_at=now)
    incident.full_clean()
    incident.save()
    _require_allowed(user, "add", incident)  # raising rolls the write (and its audit entry) back
    IncidentReport.objects.create(incident=incident, kind=IncidentReport.Kind.INITIAL, reported_at=now,
                                  user=user, text=incident.description,
                                  **{f: getattr(incident, f) for f in FIGURES})
    IncidentEvent.objects.create(incident=incident, type=IncidentEvent.Type.REPORTED, date=now, user=user,
                                 parameters={"level": incident.level.code, "channel": channel,
                                             "late": incident_clock(incident, now).first_report_late})
    if channel == Incident.Channel.OFFICER:
        _alert_for_incident(incident, user, now)
    return incident


@transaction.atomic
def add_report(incident: Incident, user, *, kind: str, text: str, now: dt.datetime | None = None,
               **figures) -> IncidentReport:
    """A follow-up (续报), supplementary (补报: casualties found later) or final report; the
    figures are the totals known now, and the level follows them (never down)."""
    now = now or timezone.now()
    role = _role(user)
    action = "view" if role == S.ROLE_ENTERPRISE else "change"
    incident = _locked_incident(incident, user, action)
    if role == S.ROLE_ENTERPRISE and S.scope_for(user).enterprise_id != incident.enterprise_id:
        raise PermissionDenied(_("An enterprise reports on its own incidents only."))
    if incident.status in (Incident.Status.CLOSED, Incident.Status.REJECTED):
        raise ValidationError(_("The incident is closed."))
    if kind not in (IncidentReport.Kind.FOLLOW_UP, IncidentReport.Kind.SUPPLEMENT, IncidentReport.Kind.FINAL):
        raise ValidationError({"kind": _("A report is a follow-up, a supplement or the final report.")})
    if not (text or "").strip():
        raise ValidationError({"text": _("Write the report.")})
    values = {f: figures.get(f, getattr(incident, f)) for f in FIGURES}
    for f in FIGURES:
        if Decimal(str(values[f] or 0)) < Decimal(str(getattr(incident, f) or 0)):
            raise ValidationError({f: _("Totals cannot go down: give the total known now "
                                        "(%(field)s was %(value)s).") % {"field": f, "value": getattr(incident, f)}})
    report = IncidentReport.objects.create(incident=incident, kind=kind, reported_at=now, user=user,
                                           text=text.strip(), **values)
    for f in FIGURES:
        setattr(incident, f, values[f])
    new_level = level_for(incident.deaths, incident.serious_injuries, incident.property_loss)
    if new_level.rank > incident.level.rank:
        IncidentEvent.objects.create(incident=incident, type=IncidentEvent.Type.LEVEL_CHANGED, date=now,
                                     user=user, parameters={"from": incident.level.code, "to": new_level.code})
        incident.level = new_level
    incident.last_report_at = now
    incident.save()
    IncidentEvent.objects.create(incident=incident, type=IncidentEvent.Type.REPORT_ADDED, date=now, user=user,
                                 parameters={"kind": kind})
    return report


def _officer_only(user):
    if _role(user) not in OFFICERS and not user.is_superuser:
        raise PermissionDenied(_("Only officers do this."))


@transaction.atomic
def confirm_incident(incident: Incident, user, *, now: dt.datetime | None = None) -> Incident:
    """The bureau confirms a quality incident: a credit event of the enterprise (major_incident)
    on the day it occurred, and a risk alert if none is open yet."""
    now = now or timezone.now()
    _officer_only(user)
    incident = _locked_incident(incident, user)
    if incident.status != Incident.Status.REPORTED:
        raise ValidationError(_("Only a reported incident can be confirmed."))
    incident.status = Incident.Status.CONFIRMED
    incident.save()
    record_credit_event(incident.enterprise, "major_incident", timezone.localtime(incident.occurred_at).date(),
                        source=incident, note=incident.number)
    IncidentEvent.objects.create(incident=incident, type=IncidentEvent.Type.CONFIRMED, date=now, user=user)
    if not incident.alerts.exists():
        _alert_for_incident(incident, user, now)
    return incident


@transaction.atomic
def reject_incident(incident: Incident, user, *, reason: str, now: dt.datetime | None = None) -> Incident:
    now = now or timezone.now()
    _officer_only(user)
    incident = _locked_incident(incident, user)
    if incident.status != Incident.Status.REPORTED:
        raise ValidationError(_("Only a reported incident can be found not to be a quality incident."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason.")})
    incident.status = Incident.Status.REJECTED
    incident.closed_at = now
    incident.save()
    IncidentEvent.objects.create(incident=incident, type=IncidentEvent.Type.REJECTED, date=now, user=user,
                                 parameters={"reason": reason.strip()})
    return incident


@transaction.atomic
def close_incident(incident: Incident, user, *, now: dt.datetime | None = None) -> Incident:
    """Close a confirmed incident once its final report is in."""
    now = now or timezone.now()
    _officer_only(user)
    incident = _locked_incident(incident, user)
    if incident.status != Incident.Status.CONFIRMED:
        raise ValidationError(_("Only a confirmed incident can be closed."))
    if not incident.reports.filter(kind=IncidentReport.Kind.FINAL).exists():
        raise ValidationError(_("The final report is missing."))
    incident.status = Incident.Status.CLOSED
    incident.closed_at = now
    incident.save()
    IncidentEvent.objects.create(incident=incident, type=IncidentEvent.Type.CLOSED, date=now, user=user)
    return incident


@dataclass(frozen=True)
class IncidentClock:
    first_report_due: dt.datetime
    first_report_late: bool
    next_report_due: dt.datetime | None  # while open: last report + follow-up days
    follow_up_overdue: bool
    supplement_until: dt.datetime
    escalate_to: str
    escalation_due: dt.datetime  # the report has passed every level up to escalate_to


ESCALATION_STEPS = {"city": 1, "province": 2, "national": 3}


def incident_clock(incident: Incident, now: dt.datetime | None = None) -> IncidentClock:
    """What the level's time limits say about this incident at ``now``."""
    now = now or timezone.now()
    level = incident.level
    first_due = incident.occurred_at + dt.timedelta(hours=level.report_hours)
    is_open = incident.status in (Incident.Status.REPORTED, Incident.Status.CONFIRMED)
    next_due = incident.last_report_at + dt.timedelta(days=level.follow_up_days) if is_open else None
    steps = ESCALATION_STEPS.get(level.escalate_to, 1)
    return IncidentClock(
        first_report_due=first_due, first_report_late=incident.reported_at > first_due,
        next_report_due=next_due, follow_up_overdue=bool(next_due and now > next_due),
        supplement_until=incident.occurred_at + dt.timedelta(days=level.supplement_days),
        escalate_to=level.escalate_to,
        escalation_due=incident.reported_at + dt.timedelta(hours=level.escalate_hours * steps))


def overdue_incidents(queryset, now: dt.datetime | None = None) -> dict[str, list[Incident]]:
    """Open incidents whose follow-up report is missing, and incidents first reported late."""
    now = now or timezone.now()
    out: dict[str, list[Incident]] = {"follow_up": [], "late_first_report": []}
    for incident in queryset.select_related("level", "enterprise"):
        clock = incident_clock(incident, now)
        if clock.follow_up_overdue:
            out["follow_up"].append(incident)
        if clock.first_report_late and incident.status != Incident.Status.REJECTED:
            out["late_first_report"].append(incident)
    return out


# --------------------------------------------------------------------------- risk assessment


def _fraction_text(p) -> str:
    return f"{p.numerator}/{p.denominator}" if p.denominator != 1 else str(p.numerator)


@transaction.atomic
def assess_product(user, *, division, category, product: str, hazard: str, scenarios: list, evidence: str,
                   previous: RiskAssessment | None = None, alert: Alert | None = None,
                   now: dt.datetime | None = None) -> RiskAssessment:
    """Assess a product by its injury scenarios (``matrix.assess``: the product's level is its
    worst scenario's). ``previous`` makes this a new version of that assessment.

    ``alert``: the open alert the assessment is made for (from a signal, an incident, by hand);
    the alert is linked to it and takes the serious level when the assessment finds a serious
    risk. Without an alert, a serious risk opens one (source: assessment) owned by the assessor."""
    now = now or timezone.now()
    _officer_only(user)
    if alert is not None:
        alert = _locked_alert(alert, user)
        if alert.status in Alert.ENDED:
            raise ValidationError(_("The alert is closed."))
    if not (evidence or "").strip():
        raise ValidationError({"evidence": _("Give the evidence the assessment rests on (tests, incidents, "
                                             "literature).")})
    try:
        result = matrix.assess(scenarios)
    except matrix.RiskInputError as exc:
        raise ValidationError({"scenarios": str(exc)}) from exc
    if previous is not None:
        previous = RiskAssessment.objects.locked(user, previous, _("This assessment is outside your scope."))
        if hasattr(previous, "next_version"):
            raise ValidationError(_("This version has been revised already; revise the latest one."))
    stored = [{"name": r.name, "severity": r.severity,
               "steps": [{"description": st.description, "probability": _fraction_text(st.probability)}
                         for st in sc.steps],
               "probability": _fraction_text(r.probability), "band": r.band, "level": r.level}
              for sc, r in zip((matrix.as_scenario(x, i) for i, x in enumerate(scenarios, start=1)),
                               result.scenarios)]
    assessment = RiskAssessment(division=division, category=category, product=product.strip(), hazard=hazard,
                                scenarios=stored, level=result.level,
                                probability=_fraction_text(result.worst.probability),
                                worst_scenario=result.worst.name[:200], evidence=evidence.strip(), assessor=user,
                                version=previous.version + 1 if previous else 1, previous=previous)
    assessment.full_clean()
    assessment.save()
    _require_allowed(user, "add", assessment)
    if alert is not None:
        alert.assessment = assessment
        raised = result.level == Alert.Level.SERIOUS and alert.level != Alert.Level.SERIOUS
        if raised:
            alert.level = Alert.Level.SERIOUS
        if not alert.product:
            alert.product = assessment.product
        if not alert.hazard:
            alert.hazard = assessment.hazard
        alert.save()
        _alert_event(alert, AlertEvent.Type.ASSESSED, user, now, assessment=assessment.pk, level=result.level,
                     version=assessment.version, **({"level_raised": True} if raised else {}))
    elif result.level == "S" and not Alert.objects.filter(assessment__in=[assessment.pk] + (
            [previous.pk] if previous else [])).exists():
        open_alert(user, title=_("Serious risk: %(product)s") % {"product": assessment.product},
                   division=division, category=category, level=Alert.Level.SERIOUS, source=Alert.Source.ASSESSMENT,
                   product=assessment.product, hazard=hazard, description=assessment.worst_scenario,
                   assessment=assessment, now=now)
    return assessment


# --------------------------------------------------------------------------- alerts

INCIDENT_LEVEL_TO_RISK = {1: Alert.Level.HIGH, 2: Alert.Level.SERIOUS, 3: Alert.Level.SERIOUS,
                          4: Alert.Level.SERIOUS}


def _alert_event(alert: Alert, type_: str, user, now, **parameters) -> None:
    AlertEvent.objects.create(alert=alert, type=type_, date=now, user=user, parameters=parameters)


def _alert_for_incident(incident: Incident, user, now) -> Alert:
    return open_alert(user, title=_("Major quality incident %(number)s: %(product)s") % {
        "number": incident.number, "product": incident.product_name},
        division=incident.division, category=incident.category,
        level=INCIDENT_LEVEL_TO_RISK.get(incident.level.rank, Alert.Level.HIGH),
        source=Alert.Source.INCIDENT, incident=incident,
        product=" ".join(x for x in (incident.product_name, incident.batch) if x),
        description=incident.description, now=now)


@transaction.atomic
def open_alert(user, *, title: str, division, category, level: str, source: str = Alert.Source.MANUAL,
               incident: Incident | None = None, assessment: RiskAssessment | None = None, product: str = "",
               hazard: str = "", description: str = "",
               plan_steps: list[str] | None = None, now: dt.datetime | None = None) -> Alert:
    now = now or timezone.now()
    _officer_only(user)
    steps = plan_steps if plan_steps is not None else DEFAULT_PLAN_STEPS
    alert = Alert(number=_new_number("FX", timezone.localtime(now).date()), title=title.strip(),
                  division=division, category=category, product=product, hazard=hazard, level=level,
                  source=source, incident=incident, assessment=assessment, owner=user, description=description,
                  plan_steps=[{"step": s, "done": None} for s in steps])
    alert.full_clean()
    alert.save()
    _require_allowed(user, "add", alert)
    _alert_event(alert, AlertEvent.Type.OPENED, user, now, source=source, level=level)
    return alert


def _locked_alert(alert: Alert, user) -> Alert:
    return Alert.objects.locked(user, alert, _("This alert is outside your scope."))


ALERT_MOVES = {
    # name: (from statuses, to status, event)
    "validate": ((Alert.Status.DRAFT,), Alert.Status.VALIDATED, AlertEvent.Type.VALIDATED),
    "publish": ((Alert.Status.VALIDATED,), Alert.Status.PUBLISHED, AlertEvent.Type.PUBLISHED),
    "close": ((Alert.Status.PUBLISHED, Alert.Status.VALIDATED), Alert.Status.CLOSED, AlertEvent.Type.CLOSED),
    "withdraw": ((Alert.Status.DRAFT, Alert.Status.VALIDATED, Alert.Status.PUBLISHED), Alert.Status.WITHDRAWN,
                 AlertEvent.Type.WITHDRAWN),
}


@transaction.atomic
def move_alert(alert: Alert, user, move: str, *, reason: str = "", now: dt.datetime | None = None) -> Alert:
    """One step of the lifecycle draft → validated → published → closed, or → withdrawn.

    Validation is a second look: the officer who opened the alert does not validate it."""
    now = now or timezone.now()
    _officer_only(user)
    if move not in ALERT_MOVES:
        raise ValidationError(_("Unknown step %(step)s.") % {"step": move})
    alert = _locked_alert(alert, user)
    sources, target, event = ALERT_MOVES[move]
    if alert.status not in sources:
        raise ValidationError(_("An alert that is %(status)s cannot be %(target)s.") % {
            "status": alert.get_status_display(), "target": Alert.Status(target).label})
    if move == "validate" and alert.owner_id == user.pk:
        raise PermissionDenied(_("Another officer validates the alert, not its owner."))
    if move == "withdraw" and not reason.strip():
        raise ValidationError({"reason": _("Give the reason for withdrawing the alert.")})
    alert.status = target
    if move == "publish":
        alert.published_at = now
    if move in ("close", "withdraw"):
        alert.closed_at = now
    alert.save()
    _alert_event(alert, event, user, now, **({"reason": reason.strip()} if reason.strip() else {}))
    return alert


@transaction.atomic
def mark_step(alert: Alert, user, index: int, *, now: dt.datetime | None = None) -> Alert:
    now = now or timezone.now()
    _officer_only(user)
    alert = _locked_alert(alert, user)
    if alert.status in Alert.ENDED:
        raise ValidationError(_("The alert is closed."))
    steps = list(alert.plan_steps)
    if not 0 <= index < len(steps):
        raise ValidationError(_("No such step."))
    if steps[index].get("done"):
        raise ValidationError(_("That step is done already."))
    steps[index] = {**steps[index], "done": now.isoformat(), "by": user.get_username()}
    alert.plan_steps = steps
    alert.save()
    _alert_event(alert, AlertEvent.Type.STEP_DONE, user, now, step=steps[index]["step"])
    return alert


@transaction.atomic
def react(alert: Alert, user, *, kind: str, text: str = "", now: dt.datetime | None = None) -> AlertReaction:
    """Another bureau's reaction to a published alert (its own division is the reacting one)."""
    now = now or timezone.now()
    _officer_only(user)
    # a published alert goes to every bureau; an unpublished one is seen in its region only
    alert = Alert.objects.select_for_update().filter(pk=alert.pk).first()
    if alert is None or (alert.published_at is None
                         and not Alert.objects.restrict(user, "view").filter(pk=alert.pk).exists()):
        raise PermissionDenied(_("This alert is outside your scope."))
    if alert.status != Alert.Status.PUBLISHED:
        raise ValidationError(_("Only a published alert gets reactions."))
    division = getattr(getattr(user, "profile", None), "division_id", None)
    if division is None:
        raise PermissionDenied(_("Reactions come from a bureau."))
    if kind not in AlertReaction.Kind.values:
        raise ValidationError({"kind": _("Choose a reaction.")})
    if kind != AlertReaction.Kind.NOT_FOUND and not (text or "").strip():
        raise ValidationError({"text": _("Say what was found and done, or why the assessment is disputed.")})
    reaction = AlertReaction(alert=alert, division_id=division, kind=kind,
                             text=(text or "").strip(), user=user, date=now)
    reaction.full_clean()
    reaction.save()
    _alert_event(alert, AlertEvent.Type.REACTION, user, now, kind=kind, division=reaction.division_id)
    return reaction


@transaction.atomic
def hand_off_to_spotcheck(alert: Alert, user, *, now: dt.datetime | None = None):
    """Draft a risk-products spot-check plan (风险产品随机抽查) of the alert's category in the
    issuing division; the officer completes and commits it as any plan."""
    from zhijian.spotcheck.models import Plan

    now = now or timezone.now()
    _officer_only(user)
    alert = _locked_alert(alert, user)
    if alert.status not in (Alert.Status.VALIDATED, Alert.Status.PUBLISHED):
        raise ValidationError(_("Validate the alert first."))
    today = timezone.localtime(now).date()
    # issued by the officer's own bureau, sampling where the alert's products are
    bureau = getattr(getattr(user, "profile", None), "division_id", None) or alert.division_id
    plan = Plan(title=(_("Risk spot check: %(title)s") % {"title": alert.title})[:200],
                kind=Plan.Kind.RISK, year=today.year, period=str(today.year), starts_on=today,
                ends_on=today + dt.timedelta(days=90), division_id=bureau)
    plan.full_clean()
    plan.save()
    if not Plan.objects.is_allowed(user, "add", plan):
        raise PermissionDenied(_("You may not draft spot-check plans here."))
    plan.categories.set([alert.category])
    if alert.division_id != bureau:
        plan.scope_divisions.set([alert.division_id])
    _alert_event(alert, AlertEvent.Type.HANDED_OFF, user, now, to="spotcheck_plan", plan=plan.pk)
    return plan


# --------------------------------------------------------------------------- signals


def _locked_signal(signal: Signal, user) -> Signal:
    _officer_only(user)
    locked = Signal.objects.locked(user, signal, _("This signal is outside your scope."))
    if locked.status != Signal.Status.NEW:
        raise ValidationError(_("The signal has been dealt with already."))
    return locked


@transaction.atomic
def alert_from_signal(signal: Signal, user, *, now: dt.datetime | None = None) -> Alert:
    """Open a risk alert (source: signal) for a new signal; the signal points to it."""
    signal = _locked_signal(signal, user)
    alert = open_alert(user, title=_("Signal: %(category)s in %(division)s, week of %(week)s") % {
        "category": signal.category.name, "division": signal.division.name, "week": signal.week},
        division=signal.division, category=signal.category, level=Alert.Level.MEDIUM, source=Alert.Source.SIGNAL,
        hazard=signal.hazard, description=_("%(definition)s: observed %(observed)g, statistic %(statistic).2f above "
                                            "%(threshold).2f.") % {
            "definition": signal.definition.name, "observed": signal.observed, "statistic": signal.statistic,
            "threshold": signal.threshold}, now=now)
    signal.status = Signal.Status.ALERTED
    signal.alert = alert
    signal.save()
    return alert


@transaction.atomic
def dismiss_signal(signal: Signal, user, *, reason: str) -> Signal:
    signal = _locked_signal(signal, user)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for dismissing the signal.")})
    signal.status = Signal.Status.DISMISSED
    signal.series = {**signal.series, "dismissed": reason.strip()}
    signal.save()
    return signal


# --------------------------------------------------------------------------- injury cases


def injury_text(case) -> str:
    return f"{case.diagnosis} {case.body_part} {case.narrative}".strip()


def classify_injury_cases(cases, model=None) -> int:
    """Fill in product category and hazard the submitter left blank, from the narrative.

    The complaints classifier (``zhijian.complaints.classifier``) labels each narrative; a
    product category is taken when the classifier is sure of the product (level "product"; a
    sure catalog group alone does not name a category), a hazard when its confidence reaches
    the hazard threshold. Whatever is taken marks the case ``classified`` (machine labels,
    which an officer corrects on the case page); the confidences are kept either way. A case
    whose product and hazard were both given is left alone. The cases are changed in memory
    (the caller saves them); returns how many were classified. Advisory: when the model
    cannot run, the cases stay as they are.
    """
    import logging

    from zhijian.complaints.classifier.model import UNCLASSIFIED, classify
    from zhijian.registry.models import ProductCategory

    todo = [c for c in cases if c.product_id is None or not c.hazard]
    if not todo:
        return 0
    try:
        preds = classify([injury_text(c) for c in todo], model=model)
    except Exception:  # the case is kept unlabelled, never refused
        logging.getLogger(__name__).exception("injury narrative classification failed")
        return 0
    codes = {p.category for p in preds if p.category and p.category != UNCLASSIFIED}
    categories = dict(ProductCategory.objects.filter(code__in=codes).values_list("code", "pk"))
    done = 0
    for case, p in zip(todo, preds):
        took = False
        if case.product_id is None:
            case.product_confidence = round(float(p.category_confidence), 4)
            if getattr(p, "level", "product") == "product" and categories.get(p.category):
                case.product_id = categories[p.category]
                took = True
        if not case.hazard:
            case.hazard_confidence = round(float(p.hazard_confidence), 4)
            if not p.hazard_unclassified and p.hazard and p.hazard != UNCLASSIFIED:
                case.hazard = p.hazard
                took = True
        if took:
            case.classified = True
            done += 1
    return done


def corrected_by_hand(case, changed: set[str]) -> None:
    """An officer's change of a machine-classified product or hazard confirms the labels."""
    if case.pk and case.classified and changed & {"product", "hazard"}:
        case.classified = False
