"""Recall workflows (pure domain logic over the models; no HTTP).

A case is opened from a defect report (an enterprise reporting its own product, or an officer),
a risk alert, an unqualified spot-check result or a major quality incident (``open_case``).
Then, after 缺陷汽车产品召回管理条例 Art. 12–21 and 缺陷消费品召回管理办法:

* ``record_investigation`` — what the investigation found;
* ``assess_case`` — the risk level, from a risk assessment (an existing one, or one made here
  through ``risk.services.assess_product``), which also sets the public classification;
* ``notify_defect`` — the defect finding is notified to the producer; the objection window
  (``recall.objection``: 15 working days from the notification) opens;
* ``file_objection`` (the producer, inside the window) → ``decide_objection``: upheld closes
  the case without a recall, rejected orders the recall;
* ``start_voluntary_recall`` (the producer, before or after the finding) or ``order_recall``
  (the bureau, once the window passed without an objection) — a credit event (``recall``);
* ``compute_scope`` — the affected lots: the defective lots and their forward trace;
* ``register_plan`` and ``send_plan`` (to the downstream operators of the scope);
* ``report_progress`` — staged, cumulative figures that cannot exceed the scope;
* ``file_summary`` → ``close_case`` (a credit event ``recall_completed``);
* ``publish_notice`` — the notice on the portal, which creates or updates the ``RecallRecord``.

Each step saves the case once (one audit entry) and appends a typed ``RecallEvent``.
"""
from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.core import scope as S
from zhijian.credit.services import record_event as record_credit_event
from zhijian.deadlines.services import due_date, time_limit

from . import trace as T
from .models import AffectedLot, Lot, ProgressReport, RecallCase, RecallEvent, RecallRecord

OFFICERS = (S.ROLE_PROVINCE_ADMIN, S.ROLE_OFFICER)
OBJECTION_LIMIT = "recall.objection"
FIGURES = ("located", "recovered", "repaired", "destroyed")
Status = RecallCase.Status


def _role(user) -> str | None:
    return S.scope_for(user).role if user is not None and user.is_authenticated else None


def is_officer(user) -> bool:
    return user is not None and (user.is_superuser or _role(user) in OFFICERS)


def is_producer(user, case: RecallCase) -> bool:
    scope = S.scope_for(user)
    return scope.role == S.ROLE_ENTERPRISE and scope.enterprise_id == case.producer_id


def _officer_only(user):
    if not is_officer(user):
        raise PermissionDenied(_("Only officers do this."))


def _officer_or_producer(user, case):
    if not (is_officer(user) or is_producer(user, case)):
        raise PermissionDenied(_("Only the producer or an officer does this."))


def _today(on, now) -> dt.date:
    return on or timezone.localtime(now).date()


def _event(case: RecallCase, type_: str, user, now, **parameters) -> RecallEvent:
    return RecallEvent.objects.create(case=case, type=type_, date=now, user=user, parameters=parameters)


def _locked(case: RecallCase, user, action: str = "change") -> RecallCase:
    return RecallCase.objects.locked(user, case, _("This recall case is outside your scope."), action)


def _require(case: RecallCase, *statuses) -> None:
    if case.status not in statuses:
        raise ValidationError(_("Not possible while the case is %(status)s.") % {"status": case.get_status_display()})


# --------------------------------------------------------------------------- opening


@transaction.atomic
def open_case(user, *, producer, title: str, product_description: str, defect: str,
              origin: str = RecallCase.Origin.DEFECT_REPORT, division=None, category=None, product=None,
              hazard: str = "", alert=None, incident=None, task=None, lots=(),
              on: dt.date | None = None, now: dt.datetime | None = None) -> RecallCase:
    """Open a case. An enterprise user reports a defect of its own products; an officer opens one
    in its region. The producer's division handles it unless ``division`` names another."""
    now = now or timezone.now()
    on = _today(on, now)
    scope = S.scope_for(user)
    if scope.role == S.ROLE_ENTERPRISE:
        if producer is None or producer.pk != scope.enterprise_id:
            raise PermissionDenied(_("An enterprise reports defects of its own products."))
        if origin != RecallCase.Origin.DEFECT_REPORT:
            raise PermissionDenied(_("Only officers open a case from an alert, a result or an incident."))
        division = producer.division
    elif is_officer(user):
        # the bureau of the producer's place handles the case, unless another is named
        division = division or producer.division
    else:
        raise PermissionDenied(_("Only officers and producers open recall cases."))
    if origin not in RecallCase.Origin.values:
        raise ValidationError({"origin": _("Unknown origin.")})
    links = {RecallCase.Origin.ALERT: alert, RecallCase.Origin.INCIDENT: incident,
             RecallCase.Origin.SPOTCHECK: task}
    if origin in links and links[origin] is None:
        raise ValidationError(_("A case opened from %(origin)s names it.") % {
            "origin": RecallCase.Origin(origin).label})
    if task is not None and task.final_verdict != "unqualified":
        raise ValidationError(_("Only an unqualified spot-check result opens a recall case."))
    if alert is not None and alert.status in alert.ENDED:
        raise ValidationError(_("The alert is closed."))
    risk_level = ""
    assessment = None
    if alert is not None:
        risk_level, assessment = alert.level, alert.assessment
        category = category or alert.category
        hazard = hazard or alert.hazard
    case = RecallCase(number=f"ZH{on:%Y%m%d}{secrets.randbelow(10 ** 6):06d}", title=title.strip(),
                      division=division, producer=producer, category=category, product=product,
                      product_description=product_description.strip(), defect=defect.strip(), hazard=hazard,
                      origin=origin, alert=alert, incident=incident, task=task, assessment=assessment,
                      risk_level=risk_level, opened_by=user, opened_on=on)
    case.full_clean()
    case.save()
    if not RecallCase.objects.is_allowed(user, "add", case):
        raise PermissionDenied(_("You may not open recall cases here."))
    lot_ids = []
    if lots:
        lot_ids = _set_defective_lots(case, lots)
    _event(case, RecallEvent.Type.OPENED, user, now, origin=origin, **({"lots": lot_ids} if lot_ids else {}))
    if alert is not None:
        from zhijian.risk.models import AlertEvent

        AlertEvent.objects.create(alert=alert, type=AlertEvent.Type.HANDED_OFF, date=now, user=user,
                                  parameters={"to": "recall_case", "case": case.pk})
    return case


def _set_defective_lots(case: RecallCase, lots) -> list[int]:
    lots = list(lots)
    foreign = [lot.code for lot in lots if lot.operator_id != case.producer_id
               and not Lot.objects.filter(pk=lot.pk, outgoing__target__operator_id=case.producer_id).exists()]
    if foreign:
        raise ValidationError({"lots": _("These lots are neither the producer's nor went into its products: "
                                         "%(codes)s.") % {"codes": ", ".join(foreign)}})
    case.affected.all().delete()
    AffectedLot.objects.bulk_create([AffectedLot(case=case, lot=lot, operator_id=lot.operator_id, depth=0,
                                                 quantity=lot.quantity) for lot in lots])
    return sorted(lot.pk for lot in lots)


# --------------------------------------------------------------------------- investigation


@transaction.atomic
def record_investigation(case: RecallCase, user, *, text: str, now: dt.datetime | None = None) -> RecallCase:
    now = now or timezone.now()
    _officer_only(user)
    case = _locked(case, user)
    _require(case, Status.INVESTIGATING, Status.NOTIFIED, Status.OBJECTED)
    if not text.strip():
        raise ValidationError({"text": _("Say what the investigation found.")})
    case.investigation = (case.investigation + "\n\n" if case.investigation else "") + text.strip()
    case.save()
    _event(case, RecallEvent.Type.INVESTIGATED, user, now)
    return case


@transaction.atomic
def assess_case(case: RecallCase, user, *, assessment=None, now: dt.datetime | None = None,
                **assess_kwargs) -> RecallCase:
    """Link the case to a risk assessment: ``assessment`` (one in the user's scope), or a new one
    made through the risk services from ``assess_kwargs`` (scenarios, evidence; the product,
    category, hazard and division come from the case). The case takes its risk level."""
    from zhijian.risk import services as risk_services
    from zhijian.risk.models import RiskAssessment

    now = now or timezone.now()
    _officer_only(user)
    case = _locked(case, user)
    _require(case, Status.INVESTIGATING, Status.NOTIFIED, Status.OBJECTED)
    if assessment is None:
        if case.category is None:
            raise ValidationError({"category": _("Give the case a product category before assessing it.")})
        alert = case.alert if case.alert is not None and case.alert.status not in case.alert.ENDED else None
        assessment = risk_services.assess_product(
            user, division=case.division, category=case.category, product=case.product_description,
            hazard=assess_kwargs.pop("hazard", None) or case.hazard, alert=alert, now=now, **assess_kwargs)
    elif not RiskAssessment.objects.restrict(user, "view").filter(pk=assessment.pk).exists():
        raise PermissionDenied(_("This assessment is outside your scope."))
    case.assessment = assessment
    case.risk_level = assessment.level
    if not case.hazard:
        case.hazard = assessment.hazard
    case.save()
    _event(case, RecallEvent.Type.ASSESSED, user, now, assessment=assessment.pk, level=assessment.level)
    return case


# --------------------------------------------------------------------------- finding and objection


def objection_due(notified_on: dt.date) -> dt.date:
    """The last day of the producer's objection window (working days from the notification)."""
    return due_date(OBJECTION_LIMIT, notified_on)


@transaction.atomic
def notify_defect(case: RecallCase, user, *, finding: str, on: dt.date | None = None,
                  now: dt.datetime | None = None) -> RecallCase:
    """The bureau's defect finding, notified to the producer on ``on``: the objection window opens."""
    now = now or timezone.now()
    on = _today(on, now)
    _officer_only(user)
    case = _locked(case, user)
    _require(case, Status.INVESTIGATING)
    if not finding.strip():
        raise ValidationError({"finding": _("State the defect found.")})
    if not case.risk_level:
        raise ValidationError(_("Assess the risk before notifying a defect finding."))
    limit = time_limit(OBJECTION_LIMIT, on)
    case.finding = finding.strip()
    case.notified_on = on
    case.objection_due = objection_due(on)
    case.status = Status.NOTIFIED
    case.save()
    _event(case, RecallEvent.Type.NOTIFIED, user, now, notified_on=on.isoformat(),
           objection_due=case.objection_due.isoformat(), basis=limit.source)
    return case


@transaction.atomic
def file_objection(case: RecallCase, user, *, text: str, on: dt.date | None = None,
                   now: dt.datetime | None = None) -> RecallCase:
    """The producer objects to the finding, with its evidence, inside the window."""
    now = now or timezone.now()
    on = _today(on, now)
    _officer_or_producer(user, case)
    case = _locked(case, user, "view")
    _require(case, Status.NOTIFIED)
    if on > case.objection_due:
        raise ValidationError(_("The objection window closed on %(date)s.") % {"date": case.objection_due})
    if not text.strip():
        raise ValidationError({"text": _("Give the grounds and the evidence of the objection.")})
    case.objection = text.strip()
    case.objection_filed_on = on
    case.status = Status.OBJECTED
    case.save()
    _event(case, RecallEvent.Type.OBJECTED, user, now, filed_on=on.isoformat())
    return case


@transaction.atomic
def decide_objection(case: RecallCase, user, *, upheld: bool, text: str, on: dt.date | None = None,
                     now: dt.datetime | None = None) -> RecallCase:
    """The bureau decides on the objection after the experts' review: upheld ends the case
    without a recall; rejected orders the recall (Art. 15 ¶3)."""
    now = now or timezone.now()
    on = _today(on, now)
    _officer_only(user)
    case = _locked(case, user)
    _require(case, Status.OBJECTED)
    if not text.strip():
        raise ValidationError({"text": _("Give the reasons of the decision.")})
    case.objection_decision = text.strip()
    if upheld:
        case.status = Status.DROPPED
        case.closed_on = on
        case.save()
        _event(case, RecallEvent.Type.OBJECTION_UPHELD, user, now)
        return case
    case.save()
    _event(case, RecallEvent.Type.OBJECTION_REJECTED, user, now)
    return _start_recall(case, user, RecallCase.Kind.ORDERED, on, now)


# --------------------------------------------------------------------------- recall


def _start_recall(case: RecallCase, user, kind: str, on: dt.date, now) -> RecallCase:
    case.kind = kind
    case.decided_on = on
    case.status = Status.RECALLING
    case.save()
    event = RecallEvent.Type.RECALL_ORDERED if kind == RecallCase.Kind.ORDERED else RecallEvent.Type.RECALL_VOLUNTARY
    credit = record_credit_event(case.producer, "recall", on, source=case,
                                 note=f"{case.number} {case.get_kind_display()}")
    _event(case, event, user, now, decided_on=on.isoformat(), credit_event=credit.pk)
    return case


@transaction.atomic
def start_voluntary_recall(case: RecallCase, user, *, on: dt.date | None = None,
                           now: dt.datetime | None = None) -> RecallCase:
    """The producer recalls of its own accord: while under investigation, or accepting the
    finding inside the objection window."""
    now = now or timezone.now()
    on = _today(on, now)
    _officer_or_producer(user, case)
    case = _locked(case, user, "view")
    _require(case, Status.INVESTIGATING, Status.NOTIFIED)
    if case.status == Status.NOTIFIED and on > case.objection_due:
        raise ValidationError(_("The objection window closed on %(date)s; the recall is ordered.")
                              % {"date": case.objection_due})
    return _start_recall(case, user, RecallCase.Kind.VOLUNTARY, on, now)


@transaction.atomic
def order_recall(case: RecallCase, user, *, on: dt.date | None = None, now: dt.datetime | None = None) -> RecallCase:
    """The bureau orders the recall: the producer neither recalled nor objected within the window."""
    now = now or timezone.now()
    on = _today(on, now)
    _officer_only(user)
    case = _locked(case, user)
    _require(case, Status.NOTIFIED)
    if on <= case.objection_due:
        raise ValidationError(_("The producer may object until %(date)s; order the recall after that.")
                              % {"date": case.objection_due})
    return _start_recall(case, user, RecallCase.Kind.ORDERED, on, now)


@transaction.atomic
def compute_scope(case: RecallCase, user, *, lots=None, max_depth: int | None = None,
                  now: dt.datetime | None = None) -> RecallCase:
    """The scope: the defective lots (``lots``, or those already chosen) and every lot their
    forward trace reaches, with their holders and quantities. The units in scope are the
    quantities of the scope's lots held by the producer (its product lots; the lots downstream
    are those same units at the sellers)."""
    now = now or timezone.now()
    _officer_or_producer(user, case)
    case = _locked(case, user, "view")
    _require(case, Status.INVESTIGATING, Status.NOTIFIED, Status.OBJECTED, Status.RECALLING)
    if lots is not None:
        seeds = _set_defective_lots(case, lots)
    else:
        seeds = sorted(case.affected.filter(depth=0).values_list("lot_id", flat=True))
    if not seeds:
        raise ValidationError({"lots": _("Choose the defective lots first.")})
    result = T.trace_lots(seeds, T.FORWARD, max_depth)
    held = dict(Lot.objects.filter(pk__in=result.lots).values_list("pk", "operator_id"))
    quantities = dict(Lot.objects.filter(pk__in=result.lots).values_list("pk", "quantity"))
    notified = dict(case.affected.exclude(notified_on=None).values_list("lot_id", "notified_on"))
    case.affected.all().delete()
    AffectedLot.objects.bulk_create([
        AffectedLot(case=case, lot_id=lot_id, operator_id=held[lot_id], depth=depth,
                    quantity=quantities[lot_id], notified_on=notified.get(lot_id))
        for lot_id, depth in sorted(result.lots.items(), key=lambda x: (x[1], x[0]))])
    case.scope_quantity = scope_units(case)
    case.scope_computed_at = now
    case.save()
    _event(case, RecallEvent.Type.SCOPE_COMPUTED, user, now, lots=len(result.lots),
           operators=len(set(held.values())), units=str(case.scope_quantity),
           **({"max_depth": max_depth} if max_depth is not None else {}))
    return case


def scope_units(case: RecallCase) -> Decimal:
    own = case.affected.filter(operator_id=case.producer_id).aggregate(q=Sum("quantity"))["q"]
    if own is None:  # the producer holds none of them (a seller's case): the defective lots
        own = case.affected.filter(depth=0).aggregate(q=Sum("quantity"))["q"]
    return own or Decimal(0)


def scope_by_operator(case: RecallCase) -> list[dict]:
    """The scope per holder: lots, quantity, whether the plan was sent to it."""
    rows: dict[int, dict] = {}
    for a in case.affected.select_related("lot", "operator__division"):
        row = rows.setdefault(a.operator_id, {"operator": a.operator, "lots": [], "quantity": Decimal(0),
                                              "notified_on": a.notified_on, "depth": a.depth})
        row["lots"].append(a.lot)
        row["quantity"] += a.quantity
        row["depth"] = min(row["depth"], a.depth)
    return sorted(rows.values(), key=lambda r: (r["depth"], r["operator"].name))


@transaction.atomic
def register_plan(case: RecallCase, user, *, plan: str, on: dt.date | None = None,
                  now: dt.datetime | None = None) -> RecallCase:
    """The recall plan registered with the bureau (a changed plan is registered again, Art. 16)."""
    now = now or timezone.now()
    on = _today(on, now)
    _officer_or_producer(user, case)
    case = _locked(case, user, "view")
    _require(case, Status.RECALLING)
    if not plan.strip():
        raise ValidationError({"plan": _("Give the recall plan.")})
    again = case.plan_registered_on is not None
    case.plan = plan.strip()
    case.plan_registered_on = on
    case.save()
    _event(case, RecallEvent.Type.PLAN_REGISTERED, user, now, **({"again": True} if again else {}))
    return case


@transaction.atomic
def send_plan(case: RecallCase, user, *, on: dt.date | None = None, now: dt.datetime | None = None) -> list:
    """The registered plan goes to the sellers: every other holder in the scope (Art. 17)."""
    now = now or timezone.now()
    on = _today(on, now)
    _officer_or_producer(user, case)
    case = _locked(case, user, "view")
    _require(case, Status.RECALLING)
    if case.plan_registered_on is None:
        raise ValidationError(_("Register the recall plan first."))
    if case.scope_computed_at is None:
        raise ValidationError(_("Compute the scope first: the plan goes to the operators in it."))
    downstream = case.affected.exclude(operator_id=case.producer_id)
    operators = sorted(set(downstream.values_list("operator_id", flat=True)))
    downstream.filter(notified_on=None).update(notified_on=on)
    case.plan_sent_on = on
    case.save()
    _event(case, RecallEvent.Type.PLAN_SENT, user, now, operators=operators)
    return operators


@transaction.atomic
def report_progress(case: RecallCase, user, *, on: dt.date | None = None, text: str = "",
                    now: dt.datetime | None = None, **figures) -> ProgressReport:
    """A staged report (Art. 20): cumulative units located, recovered, repaired, destroyed. No
    figure goes down or above the units in scope; no more are destroyed than recovered."""
    now = now or timezone.now()
    on = _today(on, now)
    _officer_or_producer(user, case)
    case = _locked(case, user, "view")
    _require(case, Status.RECALLING)
    if case.scope_computed_at is None:
        raise ValidationError(_("Compute the scope first: progress is measured against it."))
    values = {k: Decimal(str(figures.get(k) or 0)) for k in FIGURES}
    last = case.progress.order_by("-reported_on", "-id").first()
    errors = {}
    for name, value in values.items():
        label = ProgressReport._meta.get_field(name).verbose_name
        if value < 0:
            errors[name] = _("%(figure)s cannot be negative.") % {"figure": label}
        elif value > case.scope_quantity:
            errors[name] = _("%(figure)s (%(value)s) exceed the %(scope)s units in scope.") % {
                "figure": label, "value": value, "scope": case.scope_quantity}
        elif last is not None and value < getattr(last, name):
            errors[name] = _("%(figure)s are cumulative: %(value)s is less than the %(last)s reported on "
                             "%(date)s.") % {"figure": label, "value": value, "last": getattr(last, name),
                                             "date": last.reported_on}
    if "destroyed" not in errors and values["destroyed"] > values["recovered"]:
        errors["destroyed"] = _("More units destroyed than recovered.")
    if last is not None and on < last.reported_on:
        errors["reported_on"] = _("The last report is dated %(date)s.") % {"date": last.reported_on}
    if errors:
        raise ValidationError(errors)
    report = ProgressReport(case=case, reported_on=on, text=text.strip(), user=user, **values)
    report.full_clean()
    report.save()
    _event(case, RecallEvent.Type.PROGRESS, user, now, report=report.pk,
           **{k: str(v) for k, v in values.items()})
    return report


def latest_progress(case: RecallCase) -> ProgressReport | None:
    return case.progress.order_by("-reported_on", "-id").first()


@transaction.atomic
def file_summary(case: RecallCase, user, *, text: str, on: dt.date | None = None,
                 now: dt.datetime | None = None) -> RecallCase:
    now = now or timezone.now()
    on = _today(on, now)
    _officer_or_producer(user, case)
    case = _locked(case, user, "view")
    _require(case, Status.RECALLING)
    if not case.progress.exists():
        raise ValidationError(_("File at least one progress report before the summary."))
    if not text.strip():
        raise ValidationError({"text": _("Give the summary report.")})
    case.summary = text.strip()
    case.summary_filed_on = on
    case.status = Status.SUMMARISED
    case.save()
    _event(case, RecallEvent.Type.SUMMARY, user, now)
    return case


@transaction.atomic
def close_case(case: RecallCase, user, *, note: str = "", on: dt.date | None = None,
               now: dt.datetime | None = None) -> RecallCase:
    """The bureau accepts the summary and closes the case: a credit event of the completed recall;
    a published record becomes completed."""
    now = now or timezone.now()
    on = _today(on, now)
    _officer_only(user)
    case = _locked(case, user)
    _require(case, Status.SUMMARISED)
    case.status = Status.CLOSED
    case.closed_on = on
    case.closing_note = note.strip()
    case.save()
    credit = record_credit_event(case.producer, "recall_completed", on, source=case, note=case.number)
    record = RecallRecord.objects.filter(case=case).first()
    if record is not None:
        _fill_record(record, case, on)
        record.save()
    _event(case, RecallEvent.Type.CLOSED, user, now, credit_event=credit.pk)
    return case


@transaction.atomic
def drop_case(case: RecallCase, user, *, reason: str, on: dt.date | None = None,
              now: dt.datetime | None = None) -> RecallCase:
    """No defect: the case ends without a recall."""
    now = now or timezone.now()
    on = _today(on, now)
    _officer_only(user)
    case = _locked(case, user)
    _require(case, Status.INVESTIGATING, Status.NOTIFIED)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    case.status = Status.DROPPED
    case.closed_on = on
    case.closing_note = reason.strip()
    case.save()
    _event(case, RecallEvent.Type.DROPPED, user, now, reason=reason.strip())
    return case


# --------------------------------------------------------------------------- public record


def classification_for(risk_level: str) -> str:
    """Serious risk → class I, high → class II, medium or low → class III (docs/recall.md)."""
    return RecallRecord.CLASSIFICATION_BY_RISK.get(risk_level or "", RecallRecord.Classification.III)


def _division_names(division) -> tuple[str, str]:
    """(city, province) names of a GB/T 2260 division."""
    chain = []
    d = division
    while d is not None:
        chain.append(d)
        d = d.parent
    province = next((x.name for x in chain if x.code.endswith("0000")), "")
    city = next((x.name for x in chain if x.code.endswith("00") and not x.code.endswith("0000")), "")
    return city, province


def _fill_record(record: RecallRecord, case: RecallCase, on: dt.date) -> None:
    affected = list(case.affected.select_related("lot", "operator__division"))
    own_codes = sorted({a.lot.code for a in affected if a.depth == 0 or a.operator_id == case.producer_id})
    places = []
    for a in affected:
        if a.operator_id == case.producer_id:
            continue
        city, province = _division_names(a.operator.division)
        place = city or province
        if place and place not in places:
            places.append(place)
    unit = next((a.lot.unit for a in affected if a.lot.unit), "")
    city, province = _division_names(case.producer.division)
    record.event_id = str(case.pk)
    record.classification = classification_for(case.risk_level)
    record.status = {Status.CLOSED: RecallRecord.Status.COMPLETED}.get(case.status, RecallRecord.Status.ONGOING)
    record.product_description = case.product_description
    record.product_code = (case.product.barcode or case.product.model_number) if case.product else ""
    record.product_quantity = f"{case.scope_quantity.normalize():f} {unit}".strip() if case.scope_computed_at else ""
    record.code_info = ", ".join(own_codes)
    record.reason_for_recall = case.finding or case.defect
    record.hazard = case.hazard
    record.distribution_pattern = "、".join(places)
    record.recalling_firm = case.producer.name
    record.enterprise = case.producer
    record.city, record.state, record.country = city, province, "中国"
    record.voluntary_mandated = case.kind or RecallCase.Kind.VOLUNTARY
    record.recall_initiation_date = case.decided_on
    record.center_classification_date = case.notified_on or case.decided_on
    record.termination_date = case.closed_on if case.status == Status.CLOSED else None
    record.report_date = record.report_date or on
    record.source = RecallRecord.Source.CASE
    record.case = case
    record.division = case.division
    record.published = True


@transaction.atomic
def publish_notice(case: RecallCase, user, *, title: str, text: str, now: dt.datetime | None = None) -> RecallRecord:
    """Publish (or republish) the recall notice on the portal: the public record is created or
    brought up to date from the case."""
    now = now or timezone.now()
    on = timezone.localtime(now).date()
    _officer_only(user)
    case = _locked(case, user)
    _require(case, Status.RECALLING, Status.SUMMARISED, Status.CLOSED)
    if not title.strip() or not text.strip():
        raise ValidationError(_("Give the notice a title and a text."))
    case.notice_title = title.strip()
    case.notice_text = text.strip()
    case.published_at = case.published_at or now
    case.save()
    record = RecallRecord.objects.filter(case=case).first()
    if record is None:
        record = RecallRecord(recall_number=case.number)
    _fill_record(record, case, on)
    record.full_clean(validate_unique=False)
    record.save()
    _event(case, RecallEvent.Type.PUBLISHED, user, now, record=record.pk)
    return record


def next_steps(case: RecallCase, user, on: dt.date | None = None) -> set[str]:
    """The steps the user may take now (pages offer only these; services check again)."""
    on = on or timezone.localdate()
    officer = is_officer(user) and RecallCase.objects.is_allowed(user, "change", case)
    producer = is_producer(user, case)
    either = officer or producer
    s = case.status
    steps = set()
    if officer and s in (Status.INVESTIGATING, Status.NOTIFIED, Status.OBJECTED):
        steps |= {"investigate", "assess"}
    if officer and s == Status.INVESTIGATING:
        steps |= {"notify", "drop"}
    if officer and s == Status.NOTIFIED:
        steps.add("drop")
        if case.objection_due and on > case.objection_due:
            steps.add("order")
    if either and s == Status.NOTIFIED and case.objection_due and on <= case.objection_due:
        steps |= {"object", "voluntary"}
    if either and s == Status.INVESTIGATING:
        steps.add("voluntary")
    if officer and s == Status.OBJECTED:
        steps.add("decide")
    if either and s in (Status.INVESTIGATING, Status.NOTIFIED, Status.OBJECTED, Status.RECALLING):
        steps.add("scope")
    if either and s == Status.RECALLING:
        steps |= {"plan", "progress"}
        if case.plan_registered_on and case.scope_computed_at:
            steps.add("send")
        if case.progress.exists():
            steps.add("summary")
    if officer and s == Status.SUMMARISED:
        steps.add("close")
    if officer and s in (Status.RECALLING, Status.SUMMARISED, Status.CLOSED):
        steps.add("publish")
    return steps


def progress_totals(case: RecallCase) -> dict:
    last = latest_progress(case)
    return {k: (getattr(last, k) if last else Decimal(0)) for k in FIGURES}


