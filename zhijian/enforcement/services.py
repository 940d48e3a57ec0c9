"""The enforcement-case workflow (pure domain logic over the models; no HTTP).

Every step runs in one transaction, locks the case row inside the user's change scope,
checks the state and the law, saves the case once (one audited change) and records a
typed ``CaseEvent``. A refusal is a ``ValidationError`` keyed by the field concerned (or
``PermissionDenied`` outside the user's scope) and leaves nothing written.

Legal sources (texts in the project's law collection):

* 行政处罚法 (2021): filing (Art. 54), evidence (Art. 46), notice of the proposed penalty
  and the rights to a statement and defence (Art. 44, 45 — no heavier penalty because of
  them), no decision without them (Art. 62), the right to a hearing for large fines and
  confiscations, licence revocation, suspension, closure and practice restriction
  (Art. 63), the hearing requested within 5 days of the notice and announced 7 days before
  (Art. 64 (1), (2)), "5 days" and "7 days" being working days (Art. 85), the outcomes of
  an investigation (Art. 57), the decision within 90 days of filing (Art. 60), payment
  within 15 days of receiving the decision (Art. 67), the late-payment surcharge of 3 % of
  the fine per day, at most the fine (Art. 72 (1)), transfer of suspected crimes to the
  judicial organs (Art. 27).
* 行政执法机关移送涉嫌犯罪案件的规定 (State Council order 310, 2020 revision; not in the
  collection): the public security organ decides on acceptance within 3 days (Art. 8).
* Publication of the decision, its credit event and the serious-violation listing are the
  credit app's (``credit.services_listing.register_penalty`` / ``revoke_penalty``).

The time limits are data (``zhijian.deadlines``: ``enforcement.decision``,
``enforcement.decision_extension``, ``enforcement.statement``,
``enforcement.hearing_request``, ``enforcement.hearing_notice``, ``enforcement.payment``,
``enforcement.transfer_reply``); the "large amount" thresholds of Art. 63 are
``HearingThreshold`` rows.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.credit import services_listing as credit_listing
from zhijian.credit.models import PenaltySeverity, Sector
from zhijian.deadlines.services import due_date

from .models import (HEARING_KINDS, HEAVY_KINDS, MINOR_KINDS, ORIGIN_MODELS, Case, CaseEvent, Evidence,
                     HearingThreshold, JudicialTransfer, Origin, PenaltyDecision, PenaltyKind)

E = CaseEvent.Type
St = Case.Status
SURCHARGE_RATE = Decimal("0.03")  # 行政处罚法 Art. 72 (1): 3 % of the fine per day
CENT = Decimal("0.01")


def today() -> dt.date:
    return timezone.localdate()


def _on(on):
    return on or today()


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def _new_number(on: dt.date) -> str:
    """ZF + date + 6 random digits; uniqueness is enforced by the database."""
    return f"ZF{on:%Y%m%d}{secrets.randbelow(10 ** 6):06d}"


def _event(case: Case, type_: str, user, **parameters) -> CaseEvent:
    clean = {k: (v.isoformat() if isinstance(v, dt.date) else str(v) if isinstance(v, Decimal) else v)
             for k, v in parameters.items()}
    return CaseEvent.objects.create(case=case, type=type_, date=timezone.now(), user=user, parameters=clean)


def _lock(case: Case, user, states=None) -> Case:
    """The case, re-read under a row lock inside the user's change scope, in one of ``states``."""
    locked = (Case.objects.restrict(user, "change").select_for_update(of=("self",)).select_related("enterprise", "division")
              .filter(pk=case.pk).first())
    if locked is None:
        raise PermissionDenied(_("This case is outside your scope, or you may not change cases."))
    if states is not None and locked.status not in states:
        raise ValidationError({"status": _("This step is not possible while the case is “%(status)s”.")
                               % {"status": locked.get_status_display()}})
    return locked


def _not_future(value: dt.date | None, name: str, errors: dict, label: str) -> None:
    if value is None:
        errors[name] = _("Give the date (%(what)s).") % {"what": label}
    elif value > today():
        errors[name] = _("The date (%(what)s) lies in the future.") % {"what": label}


def _not_before(value: dt.date | None, start: dt.date | None, name: str, errors: dict, what: str) -> None:
    if value is not None and start is not None and value < start and name not in errors:
        errors[name] = _("This cannot precede %(what)s (%(date)s).") % {"what": what, "date": start}


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _check_not_suspended(case: Case) -> None:
    if case.suspended:
        raise ValidationError({"status": _("The case is suspended while a judicial organ examines the transfer.")})


# --------------------------------------------------------------------------- origins


def origin_record(case: Case):
    """The source record of a case (a spot-check task, a complaint conversion, an incident, a
    recall case), or None."""
    if not case.origin_type or not case.origin_id:
        return None
    try:
        model = apps.get_model(case.origin_type)
    except (LookupError, ValueError):
        return None
    return model._base_manager.filter(pk=case.origin_id).first()


def cases_from(record):
    """Cases opened from ``record`` (any origin kind)."""
    return Case.objects.filter(origin_type=record._meta.label_lower, origin_id=str(record.pk))


def origin_defaults(record) -> dict:
    """Enterprise, division, title and facts a case from ``record`` starts with."""
    label = record._meta.label_lower
    if label == "spotcheck.task":
        return {"origin": Origin.SPOTCHECK, "enterprise": record.enterprise, "division": record.division,
                "origin_reference": f"{record.plan_id}-{record.pk}",
                "title": _("Unqualified product in spot check: %(what)s") % {"what": record.category},
                "facts": _("Spot-check task %(ref)s: result unqualified (test report %(report)s).") % {
                    "ref": f"{record.plan_id}-{record.pk}", "report": record.report_number or "—"}}
    if label == "complaints.conversion":
        case = record.case
        return {"origin": Origin.COMPLAINT, "enterprise": case.respondent, "division": case.division,
                "origin_reference": record.reference or case.ticket,
                "title": _("Violation clue from %(ticket)s") % {"ticket": case.ticket},
                "facts": record.note or ""}
    if label == "recall.recallcase":
        return {"origin": Origin.RECALL, "enterprise": record.producer, "division": record.division,
                "origin_reference": record.number,
                "title": _("Defective product %(product)s (recall %(number)s)") % {
                    "product": record.product_description, "number": record.number},
                "facts": record.defect}
    if label == "risk.incident":
        return {"origin": Origin.INCIDENT, "enterprise": record.enterprise, "division": record.division,
                "origin_reference": record.number,
                "title": _("Major quality incident %(number)s: %(product)s") % {
                    "number": record.number, "product": record.product_name},
                "facts": record.description}
    raise ValidationError({"origin": _("Cases are not opened from this kind of record.")})


def _check_origin(user, origin: str, record) -> None:
    """The source record fits the origin kind, the user may see it, and it is not used up."""
    expected = ORIGIN_MODELS.get(origin)
    if record is None:
        if expected is not None:
            raise ValidationError({"origin": _("A case of this origin is opened from its record (%(what)s).")
                                   % {"what": Origin(origin).label}})
        return
    label = record._meta.label_lower
    if label != expected:
        raise ValidationError({"origin": _("The source record does not match the origin “%(origin)s”.")
                               % {"origin": Origin(origin).label}})
    if label == "complaints.conversion":
        from zhijian.complaints.models import Case as Complaint, Conversion

        if not Complaint.objects.restrict(user, "change").filter(pk=record.case_id).exists():
            raise PermissionDenied(_("The complaint or report is outside your scope."))
        if record.target != Conversion.Target.ENFORCEMENT:
            raise ValidationError({"origin": _("This conversion is into a spot check, not an enforcement case.")})
        if record.target_id:
            raise ValidationError({"origin": _("An enforcement case was already opened from this conversion.")})
        if record.case.respondent_id is None:
            raise ValidationError({"enterprise": _("The respondent is not matched to the registry; match it "
                                                   "on the complaint first.")})
        return
    model = type(record)
    if not model.objects.restrict(user, "view").filter(pk=record.pk).exists():
        raise PermissionDenied(_("The source record is outside your scope."))
    if label == "spotcheck.task" and record.final_verdict != "unqualified":
        raise ValidationError({"origin": _("Only an unqualified spot-check result opens a case.")})
    if label == "risk.incident" and record.status == "rejected":
        raise ValidationError({"origin": _("The report was found not to be a quality incident.")})
    if cases_from(record).exclude(status=St.NOT_FILED).exists():
        raise ValidationError({"origin": _("A case was already opened from this record.")})


@transaction.atomic
def open_case(user, *, enterprise, division, title: str, facts: str, origin: str, record=None,
              origin_reference: str = "", on: dt.date | None = None) -> Case:
    """Propose filing a case (立案 awaits the approval of another officer, ``approve_filing``).

    ``record``: the source record — an unqualified spot-check task, a complaint's conversion
    into an enforcement case (its ``target_type`` / ``target_id`` then point at the new case),
    a major quality incident; None for a tip-off or an inspection.
    """
    on = _on(on)
    errors = {}
    if origin not in Origin.values:
        errors["origin"] = _("Unknown origin %(value)s.") % {"value": origin}
    if enterprise is None:
        errors["enterprise"] = _("Name the party (a registered enterprise).")
    if division is None:
        errors["division"] = _("Give the handling bureau's division.")
    if not (title or "").strip():
        errors["title"] = _("Name the suspected violation.")
    if not (facts or "").strip():
        errors["facts"] = _("Describe the facts.")
    _not_future(on, "proposed_on", errors, _("filing proposed on"))
    _raise(errors)
    _check_origin(user, origin, record)
    if record is not None and not (origin_reference or "").strip():
        origin_reference = origin_defaults(record)["origin_reference"]
    case = Case(number=_new_number(on), title=title.strip(), enterprise=enterprise, division=division,
                origin=origin, origin_reference=(origin_reference or "").strip()[:100], facts=facts.strip(),
                proposed_on=on, proposed_by=user)
    if record is not None:
        case.origin_type, case.origin_id = record._meta.label_lower, str(record.pk)
    case.save()
    if not Case.objects.is_allowed(user, "add", case):
        raise PermissionDenied(_("The case would be outside your scope; nothing was saved."))
    if record is not None and record._meta.label_lower == "complaints.conversion":
        record.target_type, record.target_id = case._meta.label_lower, str(case.pk)
        record.save(update_fields=["target_type", "target_id"])
    _event(case, E.PROPOSED, user, origin=origin, reference=case.origin_reference)
    return case


@transaction.atomic
def approve_filing(case: Case, user, *, on: dt.date | None = None) -> Case:
    """File the case (立案, 行政处罚法 Art. 54) with the approval of an officer other than the
    proposer; the decision is due 90 days later (Art. 60)."""
    on = _on(on)
    case = _lock(case, user, (St.PROPOSED,))
    errors = {}
    if case.proposed_by_id is not None and case.proposed_by_id == user.pk:
        errors["approved_by"] = _("The filing is approved by another officer than the one who proposed it.")
    _not_future(on, "filed_on", errors, _("filed on"))
    _not_before(on, case.proposed_on, "filed_on", errors, _("the proposal"))
    _raise(errors)
    case.status, case.filed_on, case.approved_by = St.INVESTIGATING, on, user
    case.decision_due = due_date("enforcement.decision", on)
    case.save()
    _event(case, E.FILED, user, on=on, decision_due=case.decision_due)
    return case


@transaction.atomic
def refuse_filing(case: Case, user, *, reason: str, on: dt.date | None = None) -> Case:
    on = _on(on)
    case = _lock(case, user, (St.PROPOSED,))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for not filing the case.")})
    case.status, case.reason, case.closed_on = St.NOT_FILED, reason.strip(), on
    case.save()
    _event(case, E.NOT_FILED, user, reason=case.reason)
    return case


# --------------------------------------------------------------------------- investigation


@transaction.atomic
def add_evidence(case: Case, user, *, kind: str, description: str, collected_on: dt.date,
                 collected_by: str = "") -> Evidence:
    case = _lock(case, user, Case.BEFORE_DECISION)
    errors = {}
    if kind not in Evidence.Kind.values:
        errors["kind"] = _("Unknown kind of evidence %(value)s.") % {"value": kind}
    if not (description or "").strip():
        errors["description"] = _("Describe the evidence.")
    _not_future(collected_on, "collected_on", errors, _("collected on"))
    _raise(errors)
    item = Evidence.objects.create(case=case, kind=kind, description=description.strip(),
                                   collected_on=collected_on, collected_by=(collected_by or "").strip(), user=user)
    _event(case, E.EVIDENCE_ADDED, user, kind=kind, collected_on=collected_on, evidence=item.pk)
    return item


@transaction.atomic
def extend_decision(case: Case, user, *, reason: str) -> Case:
    """Extend the decision period once, with approval (行政处罚法 Art. 60: rules may provide otherwise)."""
    case = _lock(case, user, Case.BEFORE_DECISION)
    if case.extension_reason:
        raise ValidationError({"extension_reason": _("The decision period was already extended.")})
    if not (reason or "").strip():
        raise ValidationError({"extension_reason": _("Give the reason for the extension.")})
    previous = case.decision_due
    case.decision_due = due_date("enforcement.decision_extension", previous)
    case.extension_reason = reason.strip()[:255]
    case.save()
    _event(case, E.EXTENDED, user, previous=previous, decision_due=case.decision_due, reason=case.extension_reason)
    return case


# --------------------------------------------------------------------------- notice, statement, hearing


def threshold(kind: str, on: dt.date) -> Decimal | None:
    row = HearingThreshold.objects.filter(kind=kind, valid_from__lte=on).order_by("-valid_from").first()
    return row.amount if row is not None else None


def hearing_reasons(kinds, fine=0, gains=0, goods_value=0, on: dt.date | None = None) -> list[str]:
    """Why a penalty carries the right to a hearing (行政处罚法 Art. 63); empty: no such right."""
    on = _on(on)
    reasons = []
    for kind, amount, label in ((HearingThreshold.Kind.FINE, fine, _("large fine")),
                                (HearingThreshold.Kind.CONFISCATED_GAINS, gains, _("large confiscation of gains")),
                                (HearingThreshold.Kind.GOODS_VALUE, goods_value,
                                 _("confiscation of goods of large value"))):
        limit = threshold(kind, on)
        if limit is not None and _money(amount) >= limit > 0:
            reasons.append(f"{label} (≥ {limit})")
    reasons += [str(PenaltyKind(k).label) for k in kinds if k in HEARING_KINDS]
    return reasons


def _check_penalty(kinds, fine, gains, goods_value, errors: dict) -> list[str]:
    kinds = list(dict.fromkeys(kinds or []))
    unknown = [k for k in kinds if k not in PenaltyKind.values]
    if not kinds:
        errors["kinds"] = _("Choose at least one penalty.")
    elif unknown:
        errors["kinds"] = _("Unknown penalty %(value)s.") % {"value": ", ".join(unknown)}
    for name, kind, amount in (("fine", PenaltyKind.FINE, fine), ("gains", PenaltyKind.CONFISCATE_GAINS, gains)):
        if kind in kinds and _money(amount) <= 0:
            errors[name] = _("Give the amount of the %(what)s.") % {"what": PenaltyKind(kind).label}
        elif kind not in kinds and _money(amount) > 0:
            errors[name] = _("An amount is given, but “%(what)s” is not among the penalties.") % {
                "what": PenaltyKind(kind).label}
    if _money(goods_value) > 0 and PenaltyKind.CONFISCATE_GOODS not in kinds:
        errors["goods_value"] = _("A value of goods is given, but “%(what)s” is not among the penalties.") % {
            "what": PenaltyKind.CONFISCATE_GOODS.label}
    return kinds


@transaction.atomic
def notify(case: Case, user, *, number: str, on: dt.date, kinds, penalty: str, fine=0, gains=0, goods_value=0,
           hearing_right: bool = False) -> Case:
    """Serve the notice of the proposed penalty with its facts, reasons and basis, and of the
    party's rights (Art. 44): statement and defence always, a hearing where Art. 63 gives it
    (computed; ``hearing_right`` adds it for "other heavier penalties", Art. 63 (5))."""
    case = _lock(case, user, (St.INVESTIGATING,))
    _check_not_suspended(case)
    errors = {}
    if not (number or "").strip():
        errors["number"] = _("Give the notice number.")
    if not (penalty or "").strip():
        errors["penalty"] = _("Describe the proposed penalty, its facts, reasons and basis.")
    kinds = _check_penalty(kinds, fine, gains, goods_value, errors)
    _not_future(on, "notice_on", errors, _("notice served on"))
    _not_before(on, case.filed_on, "notice_on", errors, _("the filing"))
    if not case.evidence.exists():
        errors["evidence"] = _("Record the evidence first: no penalty without established facts (Art. 40).")
    _raise(errors)
    reasons = hearing_reasons(kinds, fine, gains, goods_value, on)
    case.notice_number, case.notice_on, case.proposed_kinds = number.strip(), on, kinds
    case.proposed_fine, case.proposed_gains, case.proposed_goods_value = _money(fine), _money(gains), _money(goods_value)
    case.proposed_penalty = penalty.strip()
    case.hearing_right = bool(reasons) or bool(hearing_right)
    case.statement_due = due_date("enforcement.statement", on)
    case.hearing_request_due = due_date("enforcement.hearing_request", on) if case.hearing_right else None
    case.status = St.NOTIFIED
    case.save()
    _event(case, E.NOTIFIED, user, number=case.notice_number, kinds=kinds, hearing_right=case.hearing_right,
           hearing_reasons=reasons, statement_due=case.statement_due)
    return case


@transaction.atomic
def record_statement(case: Case, user, *, on: dt.date, text: str) -> Case:
    """The party's statement and defence, heard and reviewed (Art. 45)."""
    case = _lock(case, user, (St.NOTIFIED,))
    errors = {}
    if not (text or "").strip():
        errors["statement"] = _("Write down the statement and defence.")
    _not_future(on, "statement_on", errors, _("statement made on"))
    _not_before(on, case.notice_on, "statement_on", errors, _("the notice"))
    _raise(errors)
    case.statement_on = on
    case.statement = (case.statement + "\n\n" if case.statement else "") + text.strip()
    case.save()
    _event(case, E.STATEMENT, user, on=on, late=on > case.statement_due)
    return case


@transaction.atomic
def request_hearing(case: Case, user, *, on: dt.date) -> Case:
    """The party asks for a hearing: only where the notice gave the right, within 5 wd (Art. 64 (1), 85)."""
    case = _lock(case, user, (St.NOTIFIED,))
    errors = {}
    if not case.hearing_right:
        errors["hearing_requested_on"] = _("The proposed penalty carries no right to a hearing (Art. 63); "
                                           "the party may make a statement and defence.")
    elif case.hearing_requested_on:
        errors["hearing_requested_on"] = _("A hearing was already requested on %(date)s.") % {
            "date": case.hearing_requested_on}
    _not_future(on, "hearing_requested_on", errors, _("hearing requested on"))
    _not_before(on, case.notice_on, "hearing_requested_on", errors, _("the notice"))
    if not errors and on > case.hearing_request_due:
        errors["hearing_requested_on"] = _("A hearing had to be requested by %(date)s (5 working days after the "
                                           "notice, Art. 64 (1)).") % {"date": case.hearing_request_due}
    _raise(errors)
    case.hearing_requested_on = on
    case.save()
    _event(case, E.HEARING_REQUESTED, user, on=on)
    return case


def earliest_hearing(notified_on: dt.date) -> dt.date:
    """A hearing announced on ``notified_on`` is held no earlier than 7 wd later (Art. 64 (2), 85)."""
    return due_date("enforcement.hearing_notice", notified_on)


@transaction.atomic
def notify_hearing(case: Case, user, *, on: dt.date, hearing_date: dt.date) -> Case:
    case = _lock(case, user, (St.NOTIFIED,))
    errors = {}
    if not case.hearing_requested_on:
        errors["hearing_date"] = _("No hearing was requested.")
    elif case.hearing_held_on:
        errors["hearing_date"] = _("The hearing was held on %(date)s.") % {"date": case.hearing_held_on}
    _not_future(on, "hearing_notified_on", errors, _("party told of the hearing on"))
    _not_before(on, case.hearing_requested_on, "hearing_notified_on", errors, _("the request"))
    if hearing_date is None:
        errors["hearing_date"] = _("Give the hearing date.")
    elif not errors and hearing_date < earliest_hearing(on):
        errors["hearing_date"] = _("The party must be told 7 working days before the hearing (Art. 64 (2)): "
                                   "the earliest date is %(date)s.") % {"date": earliest_hearing(on)}
    _raise(errors)
    case.hearing_notified_on, case.hearing_date = on, hearing_date
    case.save()
    _event(case, E.HEARING_NOTIFIED, user, on=on, hearing_date=hearing_date)
    return case


@transaction.atomic
def hold_hearing(case: Case, user, *, on: dt.date, record: str) -> Case:
    case = _lock(case, user, (St.NOTIFIED,))
    errors = {}
    if not case.hearing_notified_on:
        errors["hearing_held_on"] = _("Tell the party of the hearing's time and place first.")
    elif case.hearing_held_on:
        errors["hearing_held_on"] = _("The hearing was held on %(date)s.") % {"date": case.hearing_held_on}
    if not (record or "").strip():
        errors["hearing_record"] = _("Give the hearing record.")
    _not_future(on, "hearing_held_on", errors, _("hearing held on"))
    _not_before(on, case.hearing_date, "hearing_held_on", errors, _("the announced hearing date"))
    _raise(errors)
    case.hearing_held_on, case.hearing_record = on, record.strip()
    case.save()
    _event(case, E.HEARING_HELD, user, on=on)
    return case


# --------------------------------------------------------------------------- decision


def suggested_severity(kinds) -> str:
    """The credit severity a set of penalties implies at least (SAMR order 44; publication rules Art. 13)."""
    kinds = set(kinds or [])
    if kinds & HEAVY_KINDS:
        return PenaltySeverity.HEAVY
    if kinds and kinds <= MINOR_KINDS | {PenaltyKind.FINE}:
        return PenaltySeverity.MINOR
    return PenaltySeverity.ORDINARY


SEVERITY_RANK = {PenaltySeverity.MINOR: 0, PenaltySeverity.ORDINARY: 1, PenaltySeverity.HEAVY: 2}


def default_authority(case: Case) -> str:
    return f"{case.division.name}市场监督管理局"


@transaction.atomic
def decide(case: Case, user, *, number: str, on: dt.date, kinds, violation: str, penalty: str, legal_basis: str,
           severity: str, fine=0, gains=0, goods_value=0, sector: str = Sector.GENERAL, authority: str = "",
           served_on: dt.date | None = None) -> PenaltyDecision:
    """The penalty decision (Art. 57 (1)); registered for publication and as a credit event
    through the credit app (``register_penalty``: published within 20 wd; a heavy penalty
    lists the enterprise as a serious violator)."""
    case = _lock(case, user, (St.NOTIFIED,))
    _check_not_suspended(case)
    errors = {}
    if not (number or "").strip():
        errors["number"] = _("Give the decision number.")
    for name, value, message in (("violation", violation, _("Describe the violation.")),
                                 ("penalty", penalty, _("Describe the penalty imposed.")),
                                 ("legal_basis", legal_basis, _("Give the legal basis."))):
        if not (value or "").strip():
            errors[name] = message
    kinds = _check_penalty(kinds, fine, gains, goods_value, errors)
    if severity not in PenaltySeverity.values:
        errors["severity"] = _("Unknown severity %(value)s.") % {"value": severity}
    elif kinds and "kinds" not in errors and SEVERITY_RANK[severity] < SEVERITY_RANK[suggested_severity(kinds)]:
        errors["severity"] = _("These penalties make the decision at least “%(severity)s”.") % {
            "severity": PenaltySeverity(suggested_severity(kinds)).label}
    _not_future(on, "decided_on", errors, _("decided on"))
    _not_before(on, case.notice_on, "decided_on", errors, _("the notice"))
    served_on = served_on or on
    _not_future(served_on, "served_on", errors, _("decision served on"))
    _not_before(served_on, on, "served_on", errors, _("the decision"))
    if "decided_on" not in errors:
        # Art. 62: no decision before the party was heard (or let the time for it pass)
        if not case.statement_on and on <= case.statement_due:
            errors["decided_on"] = _("The party may make a statement and defence until %(date)s (Art. 44, 45, "
                                     "62).") % {"date": case.statement_due}
        elif case.hearing_requested_on and not case.hearing_held_on:
            errors["decided_on"] = _("The hearing the party requested has not been held (Art. 63, 64).")
        elif case.hearing_right and not case.hearing_requested_on and on <= case.hearing_request_due:
            errors["decided_on"] = _("The party may request a hearing until %(date)s (Art. 64 (1)).") % {
                "date": case.hearing_request_due}
    if "kinds" not in errors and not errors.keys() & {"fine", "gains", "goods_value"}:
        # Art. 45: no heavier penalty than the notice told the party of (a new notice is needed)
        beyond = [str(PenaltyKind(k).label) for k in kinds if k not in case.proposed_kinds]
        if beyond:
            errors["kinds"] = _("Not in the notice of proposed penalty: %(kinds)s; serve a new notice.") % {
                "kinds": ", ".join(beyond)}
        for name, amount, proposed in (("fine", fine, case.proposed_fine), ("gains", gains, case.proposed_gains),
                                       ("goods_value", goods_value, case.proposed_goods_value)):
            if _money(amount) > proposed:
                errors[name] = _("More than the notice proposed (%(amount)s); a decision may not be heavier "
                                 "(Art. 45).") % {"amount": proposed}
        if not beyond and not case.hearing_right and hearing_reasons(kinds, fine, gains, goods_value, on):
            errors["kinds"] = _("This penalty carries the right to a hearing, which the notice did not offer "
                                "(Art. 63); serve a new notice.")
    _raise(errors)
    decision = PenaltyDecision.objects.create(
        case=case, number=number.strip(), decided_on=on, authority=(authority or "").strip() or default_authority(case),
        kinds=kinds, fine=_money(fine), confiscated_gains=_money(gains), goods_value=_money(goods_value),
        violation=violation.strip(), penalty=penalty.strip(), legal_basis=legal_basis.strip(), severity=severity,
        sector=sector, served_on=served_on)
    if decision.monetary > 0:
        decision.payment_due = due_date("enforcement.payment", served_on)
    decision.publication = credit_listing.register_penalty(
        case.enterprise, decision_number=decision.number, decision_date=on, authority=decision.authority,
        severity=severity, violation=decision.violation, penalty=decision.penalty, sector=sector,
        legal_basis=decision.legal_basis, source=case)
    decision.save(update_fields=["payment_due", "publication", "last_updated"])
    case.status, case.outcome = St.DECIDED, Case.Outcome.PENALTY
    if not decision.monetary and not decision.needs_execution:
        case.status = St.EXECUTED  # a warning or a criticism is executed by the decision itself
    case.save()
    _event(case, E.DECIDED, user, number=decision.number, kinds=kinds, severity=severity, fine=decision.fine,
           late=on > case.decision_due, publish_by=decision.publication.publish_by)
    return decision


@transaction.atomic
def no_penalty(case: Case, user, *, on: dt.date, reason: str) -> Case:
    """No penalty: minor violation corrected, no fault, or facts not established (Art. 33, 57 (2), (3))."""
    return _end_without_penalty(case, user, on, reason, Case.Outcome.NO_PENALTY, E.NO_PENALTY)


@transaction.atomic
def drop_case(case: Case, user, *, on: dt.date, reason: str) -> Case:
    """Drop the case (撤销立案), e.g. the party does not exist any more or the facts are not a violation."""
    return _end_without_penalty(case, user, on, reason, Case.Outcome.DROPPED, E.DROPPED)


def _end_without_penalty(case, user, on, reason, outcome, event) -> Case:
    case = _lock(case, user, Case.BEFORE_DECISION)
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = _("Give the reason.")
    _not_future(on, "closed_on", errors, _("closed on"))
    _not_before(on, case.filed_on, "closed_on", errors, _("the filing"))
    _raise(errors)
    case.status, case.outcome, case.reason, case.closed_on = St.CLOSED, outcome, reason.strip(), on
    case.suspended = False
    case.save()
    _event(case, event, user, reason=case.reason)
    return case


# --------------------------------------------------------------------------- payment, execution, revocation


def _lock_decision(decision: PenaltyDecision, user) -> tuple[PenaltyDecision, Case]:
    case = _lock(decision.case, user)
    decision = PenaltyDecision.objects.select_for_update(of=("self",)).select_related("publication").get(pk=decision.pk)
    return decision, case


def surcharge(decision: PenaltyDecision, on: dt.date | None = None) -> Decimal:
    """The late-payment surcharge on ``on`` (or on the payment day): 3 % of the fine for each day
    after the payment deadline, never more than the fine (Art. 72 (1))."""
    on = decision.paid_on or _on(on)
    if not decision.fine or decision.payment_due is None or on <= decision.payment_due:
        return Decimal("0.00")
    days = (on - decision.payment_due).days
    return min(_money(decision.fine * SURCHARGE_RATE * days), _money(decision.fine))


def amount_due(decision: PenaltyDecision, on: dt.date | None = None) -> Decimal:
    return _money(decision.monetary) + surcharge(decision, on)


def _maybe_executed(decision: PenaltyDecision, case: Case) -> None:
    paid = decision.monetary == 0 or decision.paid_on is not None
    executed = not decision.needs_execution or decision.executed_on is not None
    if paid and executed and case.status == St.DECIDED:
        case.status = St.EXECUTED


@transaction.atomic
def record_payment(decision: PenaltyDecision, user, *, on: dt.date, amount) -> PenaltyDecision:
    decision, case = _lock_decision(decision, user)
    errors = {}
    if decision.monetary <= 0:
        errors["paid_amount"] = _("This decision imposes no fine or confiscation of gains.")
    elif decision.paid_on:
        errors["paid_on"] = _("Paid on %(date)s.") % {"date": decision.paid_on}
    elif decision.revoked_on:
        errors["paid_on"] = _("The decision was revoked on %(date)s.") % {"date": decision.revoked_on}
    _not_future(on, "paid_on", errors, _("paid on"))
    _not_before(on, decision.served_on, "paid_on", errors, _("the service of the decision"))
    if not errors:
        due, extra = amount_due(decision, on), surcharge(decision, on)
        if _money(amount) < due:
            errors["paid_amount"] = _("%(due)s is due on %(date)s (%(base)s and a late-payment surcharge of "
                                      "%(extra)s, Art. 72).") % {"due": due, "date": on, "base": _money(decision.monetary),
                                                                "extra": extra}
    _raise(errors)
    decision.surcharge_paid = surcharge(decision, on)
    decision.paid_on, decision.paid_amount = on, _money(amount)
    decision.save()
    _maybe_executed(decision, case)
    case.save()
    _event(case, E.PAID, user, on=on, amount=decision.paid_amount, surcharge=decision.surcharge_paid,
           late=on > decision.payment_due)
    return decision


@transaction.atomic
def record_execution(decision: PenaltyDecision, user, *, on: dt.date, note: str) -> PenaltyDecision:
    """Goods confiscated, suspension or revocation carried out, …"""
    decision, case = _lock_decision(decision, user)
    errors = {}
    if not decision.needs_execution:
        errors["executed_on"] = _("Nothing besides the payment is to be executed.")
    elif decision.executed_on:
        errors["executed_on"] = _("Executed on %(date)s.") % {"date": decision.executed_on}
    if not (note or "").strip():
        errors["execution_note"] = _("Describe how the penalty was executed.")
    _not_future(on, "executed_on", errors, _("executed on"))
    _not_before(on, decision.decided_on, "executed_on", errors, _("the decision"))
    _raise(errors)
    decision.executed_on, decision.execution_note = on, note.strip()
    decision.save()
    _maybe_executed(decision, case)
    case.save()
    _event(case, E.EXECUTED, user, on=on)
    return decision


@transaction.atomic
def publish(decision: PenaltyDecision, user, *, on: dt.date | None = None) -> PenaltyDecision:
    """Publish the decision through the credit app (within 20 wd of the decision)."""
    decision, case = _lock_decision(decision, user)
    if decision.publication is None:
        raise ValidationError({"publication": _("The decision has no publication record.")})
    pub = credit_listing.publish_penalty(decision.publication, on=_on(on))
    _event(case, E.PUBLISHED, user, on=pub.published_on, late=pub.published_on > pub.publish_by)
    return decision


@transaction.atomic
def revoke(decision: PenaltyDecision, user, *, on: dt.date, reason: str) -> PenaltyDecision:
    """The decision was revoked on review or in litigation: the credit app withdraws the
    publication (within 3 wd), its credit event and the listing it caused."""
    decision, case = _lock_decision(decision, user)
    errors = {}
    if decision.revoked_on:
        errors["revoked_on"] = _("Revoked on %(date)s.") % {"date": decision.revoked_on}
    if not (reason or "").strip():
        errors["revocation_reason"] = _("Give the reason (review decision, judgment).")
    _not_future(on, "revoked_on", errors, _("revoked on"))
    _not_before(on, decision.decided_on, "revoked_on", errors, _("the decision"))
    _raise(errors)
    if decision.publication is not None:
        credit_listing.revoke_penalty(decision.publication, on=on)
    decision.revoked_on, decision.revocation_reason = on, reason.strip()[:255]
    decision.save()
    _event(case, E.REVOKED, user, on=on, reason=decision.revocation_reason)
    return decision


@transaction.atomic
def close_case(case: Case, user, *, on: dt.date) -> Case:
    """Close a case whose penalty was executed (or revoked), or whose transfer was accepted."""
    case = _lock(case, user, (St.DECIDED, St.EXECUTED, St.INVESTIGATING, St.NOTIFIED))
    errors = {}
    decision = PenaltyDecision.objects.filter(case=case).first()
    accepted = case.transfers.filter(status=JudicialTransfer.Status.ACCEPTED).exists()
    if case.status in Case.BEFORE_DECISION:
        if not accepted:
            errors["status"] = _("Decide the case first (penalty, no penalty, or dropped).")
        else:
            case.outcome = Case.Outcome.TRANSFERRED
    elif case.status == St.DECIDED and not (decision and decision.revoked_on):
        errors["status"] = _("The penalty has not been paid and executed yet.")
    _not_future(on, "closed_on", errors, _("closed on"))
    _raise(errors)
    case.status, case.closed_on, case.suspended = St.CLOSED, on, False
    case.save()
    _event(case, E.CLOSED, user, on=on, outcome=case.outcome)
    return case


# --------------------------------------------------------------------------- transfer to judicial organs


@transaction.atomic
def transfer(case: Case, user, *, organ_kind: str, organ_name: str, suspected_crime: str, on: dt.date,
             documents: str, suspend: bool = True) -> JudicialTransfer:
    """Transfer a suspected crime to the public security organ or the procuratorate (行政处罚法
    Art. 27); before a decision the administrative case may be suspended meanwhile."""
    case = _lock(case, user, (St.INVESTIGATING, St.NOTIFIED, St.DECIDED, St.EXECUTED))
    errors = {}
    if organ_kind not in JudicialTransfer.Organ.values:
        errors["organ_kind"] = _("Choose the public security bureau or the procuratorate.")
    for name, value, message in (("organ_name", organ_name, _("Name the receiving organ.")),
                                 ("suspected_crime", suspected_crime, _("Name the suspected crime.")),
                                 ("documents", documents, _("List the documents transferred (transfer letter, "
                                                            "investigation report, list of goods, test reports)."))):
        if not (value or "").strip():
            errors[name] = message
    _not_future(on, "transferred_on", errors, _("transferred on"))
    _not_before(on, case.filed_on, "transferred_on", errors, _("the filing"))
    if case.transfers.exclude(status__in=JudicialTransfer.ENDED).exists():
        errors["status"] = _("The case is already with a judicial organ.")
    _raise(errors)
    suspend = bool(suspend) and case.status in Case.BEFORE_DECISION
    item = JudicialTransfer.objects.create(
        case=case, organ_kind=organ_kind, organ_name=organ_name.strip(), suspected_crime=suspected_crime.strip(),
        transferred_on=on, documents=documents.strip(), reply_due=due_date("enforcement.transfer_reply", on),
        status_on=on, suspends_case=suspend, user=user)
    if suspend:
        case.suspended = True
        case.save()
    _event(case, E.TRANSFERRED, user, organ=item.organ_name, on=on, suspended=suspend, transfer=item.pk)
    return item


TRANSFER_MOVES = {
    JudicialTransfer.Status.TRANSFERRED: (JudicialTransfer.Status.ACCEPTED, JudicialTransfer.Status.NOT_ACCEPTED,
                                          JudicialTransfer.Status.RETURNED),
    JudicialTransfer.Status.ACCEPTED: (JudicialTransfer.Status.RETURNED,),
}


@transaction.atomic
def update_transfer(item: JudicialTransfer, user, *, status: str, on: dt.date, outcome: str = "") -> JudicialTransfer:
    """The judicial organ's answer: accepted (criminal case opened), not accepted, or returned
    for an administrative penalty (Art. 27 ¶1); the last two resume the administrative case."""
    case = _lock(item.case, user)
    item = JudicialTransfer.objects.select_for_update().get(pk=item.pk)
    errors = {}
    if status not in TRANSFER_MOVES.get(item.status, ()):
        errors["status"] = _("From “%(from)s” the transfer cannot become “%(to)s”.") % {
            "from": item.get_status_display(),
            "to": JudicialTransfer.Status(status).label if status in JudicialTransfer.Status.values else status}
    _not_future(on, "status_on", errors, _("status since"))
    _not_before(on, item.status_on, "status_on", errors, _("the last status"))
    if status in JudicialTransfer.ENDED and not (outcome or "").strip():
        errors["outcome"] = _("Give the organ's reasons.")
    _raise(errors)
    item.status, item.status_on = status, on
    if (outcome or "").strip():
        item.outcome = (item.outcome + "\n" if item.outcome else "") + outcome.strip()
    item.save()
    _event(case, E.TRANSFER_UPDATED, user, status=status, on=on, transfer=item.pk,
           late=status != JudicialTransfer.Status.RETURNED and on > item.reply_due)
    if status in JudicialTransfer.ENDED and case.suspended:
        case.suspended = False
        case.save()
        _event(case, E.RESUMED, user, on=on)
    return item


# --------------------------------------------------------------------------- clocks


@dataclass
class Deadline:
    key: str
    label: str
    due: dt.date
    done: dt.date | None = None
    overdue: bool = False
    note: str = ""


@dataclass
class CaseClock:
    deadlines: list[Deadline] = field(default_factory=list)
    surcharge: Decimal = Decimal("0.00")

    @property
    def overdue(self) -> list[Deadline]:
        return [d for d in self.deadlines if d.overdue]


def case_clock(case: Case, decision: PenaltyDecision | None = None, on: dt.date | None = None) -> CaseClock:
    """The case's deadlines on ``on`` (done, running or overdue)."""
    on = _on(on)
    clock = CaseClock()
    add = clock.deadlines.append
    decided_on = decision.decided_on if decision else (case.closed_on if case.outcome else None)
    if case.decision_due:
        add(Deadline("decision", _("decision (Art. 60)"), case.decision_due, decided_on,
                     overdue=decided_on is None and not case.suspended and case.is_open and on > case.decision_due))
    if case.statement_due:
        add(Deadline("statement", _("statement and defence"), case.statement_due, case.statement_on))
    if case.hearing_request_due:
        add(Deadline("hearing_request", _("hearing request (Art. 64)"), case.hearing_request_due,
                     case.hearing_requested_on))
    if case.hearing_notified_on:
        add(Deadline("hearing", _("hearing, at the earliest (Art. 64)"), earliest_hearing(case.hearing_notified_on),
                     case.hearing_held_on))
    if decision is not None:
        if decision.payment_due:
            clock.surcharge = surcharge(decision, on)
            add(Deadline("payment", _("payment (Art. 67)"), decision.payment_due, decision.paid_on,
                         overdue=decision.paid_on is None and not decision.revoked_on and on > decision.payment_due))
        pub = decision.publication
        if pub is not None and pub.publish_by:
            add(Deadline("publication", _("publication of the decision"), pub.publish_by, pub.published_on,
                         overdue=pub.published_on is None and not pub.revoked_on and on > pub.publish_by))
    return clock


def overdue_cases(queryset, on: dt.date | None = None) -> dict[str, list]:
    """Open cases past the decision deadline; decisions past payment or publication deadlines."""
    on = _on(on)
    decision = (queryset.filter(status__in=Case.BEFORE_DECISION + (St.PROPOSED,), suspended=False,
                                decision_due__lt=on)
                .select_related("enterprise", "division").order_by("decision_due")[:200])
    decisions = PenaltyDecision.objects.filter(case__in=queryset).select_related("case", "case__enterprise",
                                                                                   "publication")
    payment = [d for d in decisions.filter(payment_due__lt=on, paid_on__isnull=True, revoked_on__isnull=True)
               .order_by("payment_due")[:200]]
    for d in payment:
        d.surcharge_today = surcharge(d, on)
    publication = list(decisions.filter(publication__publish_by__lt=on, publication__published_on__isnull=True,
                                        publication__revoked_on__isnull=True).order_by("publication__publish_by")[:200])
    hearing = (queryset.filter(status=St.NOTIFIED, hearing_requested_on__isnull=False, hearing_held_on__isnull=True)
               .select_related("enterprise").order_by("hearing_requested_on")[:200])
    transfers = (JudicialTransfer.objects.filter(case__in=queryset, status=JudicialTransfer.Status.TRANSFERRED,
                                                 reply_due__lt=on).select_related("case").order_by("reply_due")[:200])
    return {"decision": list(decision), "payment": payment, "publication": publication, "hearing": list(hearing),
            "transfers": list(transfers)}
