"""Complaint and report handling as checked steps (no HTTP here). DESIGN §6.2.

Intake (``receive``) gives a ticket number and a verification code, matches the
respondent to the registry (never dropping an unmatched one) and routes the case
to the county-level bureau of the respondent's division. Each later step locks
the case inside the user's scope for changes, checks the state, writes the case
(audited by the change log), appends a typed ``CaseEvent`` and recomputes the
legal clocks on the working-day calendar:

* accept / reject a complaint within 7 wd of its receipt by the handling bureau
  (Art. 14; restarts when the case is transferred to the competent bureau);
* mediation ends 45 wd after acceptance, testing time excluded (Art. 20, 21 (5));
* both parties are told within 7 wd that mediation was terminated (Art. 21);
* a violation clue found in mediation is checked within 15 wd, +15 with approval
  (Art. 23); a report's clue likewise (处罚程序规定 Art. 18);
* a real-name reporter is told of the case decision within 5 wd (Art. 31).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.core import scope as S
from zhijian.deadlines.services import WorkdayCalendar, due_date, time_limit
from zhijian.registry import uscc as gb32100
from zhijian.registry.models import Division, Enterprise, ProductCategory

from .models import (Case, CaseEvent, Channel, Complainant, Conversion, HAZARDS, Kind, Mediation,
                     RejectionReason, TerminationReason, TestingPeriod, Transfer)

St = Case.Status
E = CaseEvent.Type
OFFICERS = frozenset({S.ROLE_OFFICER, S.ROLE_PROVINCE_ADMIN})
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 8
HAZARD_CODES = frozenset(h for h, _label in HAZARDS)
KINDS = frozenset(Kind.values)
CHANNELS = frozenset(Channel.values)
_NAME_NOISE = re.compile(r"(股份有限公司|有限责任公司|有限公司|分公司|公司|集团|经营部|商行|店|厂)$")


class StepError(ValidationError):
    pass


def today() -> dt.date:
    return timezone.localdate()


# --- tickets and verification codes --------------------------------------------------------

def new_ticket(kind: str, on: dt.date) -> str:
    """TS (投诉) or JB (举报) + date + 8 random digits; uniqueness is enforced by the database."""
    return f"{'TS' if kind == Kind.COMPLAINT else 'JB'}{on:%Y%m%d}{secrets.randbelow(10 ** 8):08d}"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def code_hash(ticket: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{ticket}:{code.strip().upper()}".encode(), hashlib.sha256).hexdigest()


def find_by_ticket(ticket: str, code: str) -> Case | None:
    """The case with this ticket if the verification code matches (constant-time compare)."""
    case = Case.objects.filter(ticket=(ticket or "").strip().upper()).select_related(
        "division", "category").first()
    if case is None or not case.code_hash or not code:
        return None
    return case if hmac.compare_digest(case.code_hash, code_hash(case.ticket, code)) else None


# --- respondent matching and routing -------------------------------------------------------

def clean_uscc(value: str, field: str = "respondent_uscc") -> str:
    value = (value or "").strip().upper()
    if not value:
        return ""
    try:
        return gb32100.clean_lookup(value)  # GB 32100, or a registered enterprise's legacy code
    except ValidationError as exc:
        raise ValidationError({field: _("%(v)s is not a valid unified social credit code.") % {"v": value}
                               + " " + " ".join(exc.messages)}) from exc


def core_name(name: str) -> str:
    """The distinctive part of a business name (legal-form suffixes removed)."""
    name = re.sub(r"[（(].*?[)）]", "", (name or "").strip())
    prev = None
    while prev != name:
        prev, name = name, _NAME_NOISE.sub("", name)
    return name


def candidates(name: str, address: str = "", division: Division | None = None,
               limit: int = 5) -> list[tuple[Enterprise, float]]:
    """Registered enterprises ranked by similarity of name (and address) for an officer to confirm."""
    key = core_name(name)
    if len(key) < 2:
        return []
    qs = Enterprise.objects.select_related("division")
    # Candidates share a 2-character window of the distinctive name; bounded before ranking.
    windows = {key[i:i + 2] for i in range(0, max(len(key) - 1, 1))}
    q = Q()
    for w in list(windows)[:6]:
        q |= Q(name__contains=w)
    if division is not None:
        prefix = S.division_prefix(division.code)
        qs = qs.filter(division__code__startswith=prefix) if prefix else qs
    pool = list(qs.filter(q)[:500])
    scored = []
    for ent in pool:
        score = SequenceMatcher(None, key, core_name(ent.name)).ratio()
        if address and ent.address:
            score = 0.8 * score + 0.2 * SequenceMatcher(None, address, ent.address).ratio()
        scored.append((ent, round(score, 3)))
    scored.sort(key=lambda p: (-p[1], p[0].pk))
    return scored[:limit]


def match_respondent(uscc: str, name: str) -> tuple[Enterprise | None, str]:
    """Automatic match by USCC only; a name is matched by an officer from ``candidates``.

    An unmatched respondent is kept as given (name, address) and routed by the division
    the complainant or officer named.
    """
    if uscc:
        ent = Enterprise.objects.filter(uscc=uscc).select_related("division").first()
        if ent is not None:
            return ent, Case.Match.USCC
    return None, Case.Match.UNMATCHED


def handling_division(respondent: Enterprise | None, given: Division | None) -> Division:
    """The county-level bureau of the respondent's division (Art. 12, 25), else the division given."""
    division = respondent.division if respondent is not None else given
    if division is None:
        raise ValidationError({"division": _("Say where the respondent operates (city or county).")})
    return division


# --- clocks --------------------------------------------------------------------------------

def _calendar(calendar: WorkdayCalendar | None) -> WorkdayCalendar:
    return calendar or WorkdayCalendar.load()


def _clue_due(key: str, start: dt.date, extended: bool, cal: WorkdayCalendar) -> dt.date:
    """The check's deadline; an approved extension adds the ``<key>_extension`` time limit."""
    extra = time_limit(f"{key}_extension", start).amount if extended else 0
    return due_date(key, start, calendar=cal, extra=extra)


def compute_clocks(case: Case, calendar: WorkdayCalendar | None = None) -> Case:
    """Recompute the due dates from the case's dates; ``next_due`` is the earliest open one."""
    cal = _calendar(calendar)
    start = case.assigned_on or case.received_on
    if case.kind == Kind.COMPLAINT:
        case.accept_due = due_date("complaint.accept", start, calendar=cal)
        if case.decided_on and case.status != St.REJECTED and not case.rejection_reason:
            periods = list(case.testing_periods.all()) if case.pk else []
            if any(p.end is None for p in periods):
                case.mediation_due = None  # paused while testing runs (Art. 20)
            else:
                case.mediation_due = due_date("complaint.mediation", case.decided_on, calendar=cal,
                                              exclude=[(p.start, p.end) for p in periods])
        if case.clue_found_on:
            case.clue_due = _clue_due("complaint.clue_check", case.clue_found_on, case.clue_extended, cal)
    else:
        case.accept_due = None
        case.clue_due = _clue_due("report.check", start, case.clue_extended, cal)
    open_clocks = []
    if case.kind == Kind.COMPLAINT and case.status == St.RECEIVED:
        open_clocks.append((case.accept_due, "accept"))
    if case.kind == Kind.COMPLAINT and case.status == St.ACCEPTED and case.mediation_due:
        open_clocks.append((case.mediation_due, "mediation"))
    if case.clue_due and not case.clue_checked_on and (
            (case.kind == Kind.REPORT and case.status in (St.RECEIVED, St.CHECKING))
            or (case.kind == Kind.COMPLAINT and case.clue_found_on)):
        open_clocks.append((case.clue_due, "clue_check"))
    if case.notify_due and not case.notified_on:
        open_clocks.append((case.notify_due, "notify"))
    open_clocks = [c for c in open_clocks if c[0]]
    if open_clocks:
        case.next_due, case.next_due_kind = min(open_clocks)
    else:
        case.next_due, case.next_due_kind = None, ""
    return case


def due_soon_limit(on: dt.date, days: int = 3, calendar: WorkdayCalendar | None = None) -> dt.date:
    return _calendar(calendar).add_workdays(on, days)


def dashboard(queryset, on: dt.date | None = None, soon_days: int = 3,
              calendar: WorkdayCalendar | None = None) -> dict[str, object]:
    """Open cases overdue (next deadline passed) and due soon (within ``soon_days`` working days)."""
    on = on or today()
    limit = due_soon_limit(on, soon_days, calendar)
    open_qs = queryset.filter(next_due__isnull=False)
    return {"overdue": open_qs.filter(next_due__lt=on).order_by("next_due", "id"),
            "due_soon": open_qs.filter(next_due__gte=on, next_due__lte=limit).order_by("next_due", "id"),
            "on": on, "limit": limit}


# --- intake --------------------------------------------------------------------------------

def _decimal(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        d = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValidationError({field: _("Enter an amount in yuan.")}) from exc
    if d < 0:
        raise ValidationError({field: _("The amount cannot be negative.")})
    return d


def validate_intake(data: dict) -> dict:
    """Check and normalise the intake fields; raises ValidationError naming each bad field."""
    errors = {}
    kind = data.get("kind") or Kind.COMPLAINT
    if kind not in KINDS:
        errors["kind"] = _("Choose complaint or report.")
    channel = data.get("channel") or Channel.WEB
    if channel not in CHANNELS:
        errors["channel"] = _("Unknown channel %(v)s.") % {"v": channel}
    for f in ("respondent_name", "facts"):
        if not (data.get(f) or "").strip():
            errors[f] = _("This field is required.")
    person = {f: (data.get(f"complainant_{f}") or data.get(f) or "").strip()
              for f in ("name", "phone", "id_number", "address", "email")}
    real_name = data.get("real_name", True) not in (False, "0", "false", "False", "")
    if kind == Kind.COMPLAINT:
        # Art. 9 (1): name, phone and address of the complainant.
        for f in ("name", "phone"):
            if not person[f]:
                errors[f"complainant_{f}"] = _("A complaint needs the complainant's name and phone (Art. 9).")
    elif real_name and not (person["name"] and person["phone"]):
        errors["complainant_name"] = _("A real-name report needs the reporter's name and phone.")
    if person["phone"] and not re.fullmatch(r"[0-9+\- ]{5,20}", person["phone"]):
        errors["complainant_phone"] = _("Enter a phone number (digits only).")
    try:
        uscc = clean_uscc(data.get("respondent_uscc", ""))
    except ValidationError as exc:
        errors.update(exc.message_dict)
        uscc = ""
    received_on = data.get("received_on") or today()
    if isinstance(received_on, str):
        try:
            received_on = dt.date.fromisoformat(received_on.strip())
        except ValueError:
            errors["received_on"] = _("Enter a date as YYYY-MM-DD.")
    if isinstance(received_on, dt.date) and received_on > today():
        errors["received_on"] = _("The date of receipt cannot be in the future.")
    try:
        amount = _decimal(data.get("amount_claimed"), "amount_claimed")
    except ValidationError as exc:
        errors.update(exc.message_dict)
        amount = None
    if errors:
        raise ValidationError(errors)
    return {"kind": kind, "channel": channel, "received_on": received_on, "real_name": real_name,
            "respondent_name": data["respondent_name"].strip()[:200], "respondent_uscc": uscc,
            "respondent_address": (data.get("respondent_address") or "").strip()[:255],
            "product": (data.get("product") or "").strip()[:200], "facts": data["facts"].strip(),
            "request": (data.get("request") or "").strip(), "amount_claimed": amount,
            "external_id": (data.get("external_id") or "").strip()[:64], "person": person}


def classify(cases: list[Case]) -> None:
    """Suggest category and hazard labels with confidences (the officer confirms them)."""
    from .labelling import suggest_labels

    suggest_labels(cases)


@transaction.atomic
def receive(data: dict, *, user=None, division: Division | None = None,
            calendar: WorkdayCalendar | None = None, with_code: bool = True) -> tuple[Case, str]:
    """Register a complaint or report from any channel; returns the case and its verification code.

    ``division`` is where the respondent operates when it is not in the registry
    (chosen on the form, or the officer's own division).
    """
    v = validate_intake(data)
    respondent, match = match_respondent(v["respondent_uscc"], v["respondent_name"])
    target = handling_division(respondent, division)
    case = Case(kind=v["kind"], channel=v["channel"], received_on=v["received_on"], real_name=v["real_name"],
                respondent_name=v["respondent_name"], respondent_uscc=v["respondent_uscc"],
                respondent_address=v["respondent_address"], respondent=respondent, respondent_match=match,
                division=target, product=v["product"], facts=v["facts"], request=v["request"],
                amount_claimed=v["amount_claimed"], external_id=v["external_id"],
                assigned_on=v["received_on"])
    code = new_code() if with_code else ""
    compute_clocks(case, calendar)
    for _attempt in range(5):
        case.ticket = new_ticket(case.kind, case.received_on)
        case.code_hash = code_hash(case.ticket, code) if code else ""
        try:
            with transaction.atomic():
                case.save()
            break
        except IntegrityError:
            case.pk = None
            case._state.adding = True
    else:  # pragma: no cover - 10^8 tickets a day
        raise ValidationError(_("Could not allocate a ticket number; try again."))
    Complainant.objects.create(case=case, **v["person"])
    actor = user if user is not None and user.is_authenticated else None
    CaseEvent.objects.create(case=case, type=E.RECEIVED, user=actor,
                             parameters={"channel": case.channel, "ticket": case.ticket})
    CaseEvent.objects.create(case=case, type=E.ROUTED, user=actor,
                             parameters={"division": target.code, "respondent_match": match,
                                         "respondent": respondent.pk if respondent else None})
    classify([case])
    return case, code


# --- steps ---------------------------------------------------------------------------------

def _lock(case: Case, user, sources=None, kind: str | None = None) -> Case:
    locked = Case.objects.locked(user, case, _("This case is outside your scope."))
    role = S.scope_for(user).role
    if role not in OFFICERS and not user.is_superuser:
        raise PermissionDenied(_("Only officers handle complaints and reports."))
    if kind and locked.kind != kind:
        raise StepError(_("This step applies to a %(kind)s only.") % {"kind": Kind(kind).label})
    if sources is not None and locked.status not in sources:
        raise StepError(_("Not possible while the case is %(status)s.") % {"status": locked.get_status_display()})
    return locked


def _date(value, field: str, default: dt.date) -> dt.date:
    if value in (None, ""):
        return default
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise StepError({field: _("Enter a date as YYYY-MM-DD.")}) from exc


def _finish(case: Case, user, event: str, params: dict, calendar=None) -> Case:
    compute_clocks(case, calendar)
    case.save()
    CaseEvent.objects.create(case=case, type=event, user=user if user.is_authenticated else None,
                             parameters=params)
    return case


@transaction.atomic
def transfer(case: Case, user, to_division: Division, reason: str, *, on: dt.date | None = None,
             calendar=None) -> Case:
    """Send the case to the competent bureau; its acceptance clock restarts there (Art. 14)."""
    on = on or today()
    case = _lock(case, user, sources=(St.RECEIVED, St.CHECKING))
    if not (reason or "").strip():
        raise StepError({"reason": _("Give the reason for the transfer.")})
    if to_division.pk == case.division_id:
        raise StepError({"to_division": _("The case is already with this bureau.")})
    Transfer.objects.create(case=case, from_division_id=case.division_id, to_division=to_division,
                            date=on, reason=reason.strip(), user=user)
    params = {"from": case.division_id, "to": to_division.pk, "reason": reason.strip()}
    case.division = to_division
    case.assigned_on = on
    return _finish(case, user, E.TRANSFERRED, params, calendar)


@transaction.atomic
def confirm_respondent(case: Case, user, enterprise: Enterprise, *, on: dt.date | None = None,
                       calendar=None) -> Case:
    """The officer confirms which registered enterprise the respondent is."""
    case = _lock(case, user)
    case.respondent = enterprise
    case.respondent_match = Case.Match.CONFIRMED
    if not case.respondent_uscc:
        case.respondent_uscc = enterprise.uscc
    _finish(case, user, E.MATCHED, {"enterprise": enterprise.pk, "uscc": enterprise.uscc}, calendar)
    if case.upheld and case.kind == Kind.COMPLAINT:
        _record_credit(case)
    return case


@transaction.atomic
def confirm_labels(case: Case, user, *, category: ProductCategory | None, hazard: str) -> Case:
    """Confirmed labels become training data for the classifier."""
    case = _lock(case, user)
    if hazard and hazard not in HAZARD_CODES:
        raise StepError({"hazard": _("Unknown hazard %(v)s.") % {"v": hazard}})
    before = {"category": case.category_id, "hazard": case.hazard}
    case.category = category
    case.category_group = category.group if category else ""
    case.category_level = "product" if category else ""
    case.hazard = hazard
    case.labels_confirmed = True
    case.labels_confirmed_by = user
    case.save()
    CaseEvent.objects.create(case=case, type=E.LABELLED, user=user,
                             parameters={"before": before,
                                         "after": {"category": category.pk if category else None,
                                                   "hazard": hazard}})
    return case


@transaction.atomic
def accept(case: Case, user, *, on: dt.date | None = None, calendar=None) -> Case:
    on = on or today()
    case = _lock(case, user, sources=(St.RECEIVED,), kind=Kind.COMPLAINT)
    if on < case.received_on:
        raise StepError({"on": _("The decision cannot precede receipt.")})
    case.decided_on = on
    case.status = St.ACCEPTED
    return _finish(case, user, E.ACCEPTED, {"decided_on": on.isoformat(),
                                            "late": bool(case.accept_due and on > case.accept_due)}, calendar)


@transaction.atomic
def reject(case: Case, user, reason: str, note: str = "", *, on: dt.date | None = None, calendar=None) -> Case:
    on = on or today()
    case = _lock(case, user, sources=(St.RECEIVED,), kind=Kind.COMPLAINT)
    if reason not in RejectionReason.values:
        raise StepError({"rejection_reason": _("Choose a reason from the legal list (Art. 15).")})
    case.decided_on = on
    case.rejection_reason = reason
    case.status = St.REJECTED
    case.outcome = Case.Outcome.REJECTED
    case.outcome_note = note.strip()
    case.closed_on = on
    case.notified_on = on  # the decision is sent to the complainant with it (Art. 14)
    return _finish(case, user, E.REJECTED, {"reason": reason, "note": note.strip()}, calendar)


@transaction.atomic
def start_testing(case: Case, user, *, start: dt.date | None = None, body: str = "", calendar=None) -> Case:
    case = _lock(case, user, sources=(St.ACCEPTED,), kind=Kind.COMPLAINT)
    start = _date(start, "start", today())
    if case.testing_periods.filter(end__isnull=True).exists():
        raise StepError({"start": _("Testing is already running; record its end first.")})
    if case.decided_on and start < case.decided_on:
        raise StepError({"start": _("Testing cannot start before acceptance.")})
    TestingPeriod.objects.create(case=case, start=start, body=body.strip())
    return _finish(case, user, E.TESTING_STARTED, {"start": start.isoformat(), "body": body.strip()}, calendar)


@transaction.atomic
def end_testing(case: Case, user, *, end: dt.date | None = None, calendar=None) -> Case:
    case = _lock(case, user, sources=(St.ACCEPTED,), kind=Kind.COMPLAINT)
    period = case.testing_periods.filter(end__isnull=True).first()
    if period is None:
        raise StepError({"end": _("No testing is running.")})
    end = _date(end, "end", today())
    if end < period.start:
        raise StepError({"end": _("Testing cannot end before it started (%(d)s).") % {"d": period.start}})
    period.end = end
    period.save()
    return _finish(case, user, E.TESTING_ENDED, {"start": period.start.isoformat(), "end": end.isoformat()},
                   calendar)


@transaction.atomic
def record_mediation(case: Case, user, *, date=None, method: str, mediator: str, summary: str,
                     entrusted_to: str = "", calendar=None) -> Mediation:
    case = _lock(case, user, sources=(St.ACCEPTED,), kind=Kind.COMPLAINT)
    date = _date(date, "date", today())
    errors = {}
    if method not in Mediation.Method.values:
        errors["method"] = _("Choose how the mediation was held.")
    if not (mediator or "").strip():
        errors["mediator"] = _("This field is required.")
    if not (summary or "").strip():
        errors["summary"] = _("This field is required.")
    if errors:
        raise StepError(errors)
    m = Mediation.objects.create(case=case, date=date, method=method, mediator=mediator.strip(),
                                 entrusted_to=entrusted_to.strip(), summary=summary.strip(), user=user)
    _finish(case, user, E.MEDIATED, {"mediation": m.pk, "date": date.isoformat(), "method": method}, calendar)
    return m


@transaction.atomic
def find_clue(case: Case, user, note: str, *, on: dt.date | None = None, calendar=None) -> Case:
    """A violation clue found during mediation: check within 15 wd (Art. 23)."""
    on = on or today()
    case = _lock(case, user, sources=(St.ACCEPTED, St.CLOSED), kind=Kind.COMPLAINT)
    if case.clue_found_on:
        raise StepError(_("A clue is already recorded on this case."))
    if not (note or "").strip():
        raise StepError({"note": _("Describe the suspected violation.")})
    case.clue_found_on = on
    return _finish(case, user, E.CLUE_FOUND, {"on": on.isoformat(), "note": note.strip()}, calendar)


@transaction.atomic
def extend_clue_check(case: Case, user, approval: str, *, calendar=None) -> Case:
    """Extend the clue check by 15 wd with the approval of the bureau head."""
    case = _lock(case, user)
    if not case.clue_due or case.clue_checked_on:
        raise StepError(_("There is no open clue check to extend."))
    if case.clue_extended:
        raise StepError(_("The clue check was already extended once."))
    if not (approval or "").strip():
        raise StepError({"approval": _("Name the approval (who approved, document number).")})
    case.clue_extended = True
    return _finish(case, user, E.CLUE_EXTENDED, {"approval": approval.strip()}, calendar)


@transaction.atomic
def check_clue(case: Case, user, result: str, *, on: dt.date | None = None, calendar=None) -> Case:
    on = on or today()
    case = _lock(case, user, kind=Kind.COMPLAINT)
    if not case.clue_found_on or case.clue_checked_on:
        raise StepError(_("There is no open clue check."))
    if not (result or "").strip():
        raise StepError({"result": _("Record the result of the check.")})
    case.clue_checked_on = on
    return _finish(case, user, E.CLUE_CHECKED, {"on": on.isoformat(), "result": result.strip(),
                                                "late": on > case.clue_due}, calendar)


@transaction.atomic
def close_with_agreement(case: Case, user, *, on: dt.date | None = None, refunded=None, compensated=None,
                         upheld: bool = True, note: str = "", calendar=None) -> Case:
    on = on or today()
    case = _lock(case, user, sources=(St.ACCEPTED,), kind=Kind.COMPLAINT)
    if case.testing_periods.filter(end__isnull=True).exists():
        raise StepError(_("Record the end of testing first."))
    case.amount_refunded = _decimal(refunded, "amount_refunded")
    case.amount_compensated = _decimal(compensated, "amount_compensated")
    case.outcome = Case.Outcome.AGREEMENT
    case.upheld = bool(upheld)
    case.outcome_note = (note or "").strip()
    case.status = St.CLOSED
    case.closed_on = on
    case.notified_on = on  # the agreement is signed by both parties
    _finish(case, user, E.CLOSED, {"outcome": case.outcome, "refunded": str(case.amount_refunded or ""),
                                   "compensated": str(case.amount_compensated or ""),
                                   "upheld": case.upheld}, calendar)
    _record_credit(case)
    return case


@transaction.atomic
def terminate(case: Case, user, reason: str, *, on: dt.date | None = None, upheld: bool = False,
              note: str = "", calendar=None) -> Case:
    """Mediation ends without agreement (Art. 21); both parties are told within 7 wd."""
    on = on or today()
    case = _lock(case, user, sources=(St.ACCEPTED,), kind=Kind.COMPLAINT)
    if reason not in TerminationReason.values:
        raise StepError({"termination_reason": _("Choose a reason from the legal list (Art. 21).")})
    if reason == TerminationReason.TIME_LIMIT and (case.mediation_due is None or on <= case.mediation_due):
        raise StepError({"termination_reason": _("The 45 working days end on %(d)s.") % {
            "d": case.mediation_due or _("(paused while testing)")}})
    open_test = case.testing_periods.filter(end__isnull=True).first()
    if open_test is not None:
        open_test.end = on
        open_test.save()
    case.termination_reason = reason
    case.outcome = Case.Outcome.TERMINATED
    case.upheld = bool(upheld)
    case.outcome_note = (note or "").strip()
    case.status = St.CLOSED
    case.closed_on = on
    case.notify_due = due_date("complaint.notify_termination", on, calendar=_calendar(calendar))
    _finish(case, user, E.CLOSED, {"outcome": case.outcome, "reason": reason, "upheld": case.upheld}, calendar)
    _record_credit(case)
    return case


@transaction.atomic
def start_check(case: Case, user, *, on: dt.date | None = None, calendar=None) -> Case:
    """A report's clue goes under check (decide on a case within 15 wd, +15 with approval)."""
    case = _lock(case, user, sources=(St.RECEIVED,), kind=Kind.REPORT)
    case.status = St.CHECKING
    return _finish(case, user, E.CHECK_STARTED, {"on": (on or today()).isoformat()}, calendar)


@transaction.atomic
def decide_report(case: Case, user, *, open_case: bool, reference: str = "", note: str = "",
                  on: dt.date | None = None, calendar=None) -> Case:
    """Decide whether to open an enforcement case; a real-name reporter is told within 5 wd."""
    on = on or today()
    case = _lock(case, user, sources=(St.RECEIVED, St.CHECKING), kind=Kind.REPORT)
    if open_case and not (reference or "").strip():
        raise StepError({"reference": _("Give the enforcement case number.")})
    case.decided_on = on
    case.clue_checked_on = on
    case.status = St.CASE_OPENED if open_case else St.NOT_OPENED
    case.outcome = Case.Outcome.CASE_OPENED if open_case else Case.Outcome.NOT_OPENED
    case.outcome_note = (note or "").strip()
    if case.real_name:
        case.notify_due = due_date("report.notify_reporter", on, calendar=_calendar(calendar))
    if open_case:
        Conversion.objects.create(case=case, target=Conversion.Target.ENFORCEMENT, reference=reference.strip(),
                                  date=on, note=note.strip(), user=user)
    return _finish(case, user, E.DECIDED, {"open_case": open_case, "reference": reference.strip()}, calendar)


@transaction.atomic
def convert(case: Case, user, *, target: str, reference: str, note: str = "", target_record=None,
            on: dt.date | None = None, calendar=None) -> Conversion:
    """Turn a report or a complaint's violation clue into an enforcement case or a targeted spot check."""
    on = on or today()
    case = _lock(case, user)
    if target not in Conversion.Target.values:
        raise StepError({"target": _("Choose an enforcement case or a targeted spot check.")})
    if case.kind == Kind.COMPLAINT and not case.clue_found_on:
        raise StepError(_("Record the violation clue found in mediation first."))
    if not (reference or "").strip():
        raise StepError({"reference": _("Give the case number or the spot-check plan.")})
    ttype, tid = ("", "")
    if target_record is not None:
        ttype, tid = target_record._meta.label_lower, str(target_record.pk)
    conv = Conversion.objects.create(case=case, target=target, reference=reference.strip(), target_type=ttype,
                                     target_id=tid, date=on, note=(note or "").strip(), user=user)
    _finish(case, user, E.CONVERTED, {"target": target, "reference": reference.strip(), "conversion": conv.pk},
            calendar)
    return conv


@transaction.atomic
def record_notification(case: Case, user, *, on: dt.date | None = None, calendar=None) -> Case:
    on = on or today()
    case = _lock(case, user)
    if not case.notify_due or case.notified_on:
        raise StepError(_("Nobody is waiting to be told on this case."))
    case.notified_on = on
    return _finish(case, user, E.NOTIFIED, {"on": on.isoformat(), "late": on > case.notify_due}, calendar)


@transaction.atomic
def close_report(case: Case, user, *, on: dt.date | None = None, calendar=None) -> Case:
    on = on or today()
    case = _lock(case, user, sources=(St.CASE_OPENED, St.NOT_OPENED), kind=Kind.REPORT)
    if case.real_name and case.notify_due and not case.notified_on:
        raise StepError(_("Tell the real-name reporter of the decision first (by %(d)s).") % {"d": case.notify_due})
    case.status = St.CLOSED
    case.closed_on = on
    return _finish(case, user, E.CLOSED, {"outcome": case.outcome}, calendar)


def _record_credit(case: Case) -> None:
    """An upheld complaint against a registered enterprise becomes a credit event (once)."""
    if case.kind != Kind.COMPLAINT or not case.upheld or case.respondent_id is None or not case.closed_on:
        return
    from zhijian.credit.services import record_event

    record_event(case.respondent, "complaint_upheld", case.closed_on, source=case,
                 note=f"{case.ticket}")


# --- what a step needs, for pages and the API ----------------------------------------------

def available_steps(case: Case, user) -> list[str]:
    """Names of the steps ``user`` could take now (state and role; data checks come on the step)."""
    role = S.scope_for(user).role
    if role not in OFFICERS and not getattr(user, "is_superuser", False):
        return []
    steps = []
    st = case.status
    if case.kind == Kind.COMPLAINT:
        if st == St.RECEIVED:
            steps += ["accept", "reject", "transfer"]
        if st == St.ACCEPTED:
            running = any(p.end is None for p in case.testing_periods.all())
            steps += ["end_testing" if running else "start_testing", "mediate", "close_agreement", "terminate"]
        if st in (St.ACCEPTED, St.CLOSED) and not case.clue_found_on:
            steps.append("find_clue")
        if case.clue_found_on and not case.clue_checked_on:
            steps += ["check_clue"] + ([] if case.clue_extended else ["extend_clue"])
        if case.clue_found_on:
            steps.append("convert")
    else:
        if st == St.RECEIVED:
            steps += ["start_check", "transfer", "decide"]
        if st == St.CHECKING:
            steps += ["decide", "transfer", "convert"] + ([] if case.clue_extended else ["extend_clue"])
        if st in (St.CASE_OPENED, St.NOT_OPENED):
            steps += ["close_report", "convert"]
    if case.notify_due and not case.notified_on:
        steps.append("notify")
    if case.respondent_match == Case.Match.UNMATCHED:
        steps.append("match")
    steps.append("labels")
    return steps
