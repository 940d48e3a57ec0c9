"""Serious-violation list, penalty publication and credit repair (DESIGN §6.3, §6.8, §7).

Pure domain logic (no HTTP). Every function runs in one transaction and writes
only ``ScopedModel`` rows, so each write is audited by the change log (who, when,
before and after) and a refused call leaves nothing behind. Errors are
``ValidationError``s keyed by the field they concern.

Legal sources:

* 市场监督管理行政处罚信息公示规定 (SAMR order 45, 2021): publication within 20 wd of
  the decision (Art. 9); withdrawal within 3 wd when the decision is revoked (Art. 11);
  publication for 3 months (minor penalties: criticism or a small fine) or 3 years
  (Art. 13); early end of publication on application (Art. 14), never for heavy
  penalties (Art. 14 last paragraph) and not while the enterprise is on the
  abnormal-operation or serious-violation list (Art. 14 (4)).
* 市场监督管理严重违法失信名单管理办法 (SAMR order 44, as summarised in DESIGN §6.3):
  entry on a heavy administrative penalty; 3 years on the abnormal-operation list
  also moves an enterprise there; a listing lasts 3 years; early removal by credit
  repair.

The time limits are data (``zhijian.deadlines``: ``penalty.publish``,
``penalty.withdraw``, ``penalty.period_minor``, ``penalty.period_other``,
``credit.repair_wait``, ``credit.repair_wait_special``). Whether a publication or a
listing is in force on a day is a query (``publication.py``), not a job.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.core import scope as S
from zhijian.deadlines.services import due_date

from .models import (
    CreditEvent,
    EnterpriseListing,
    ListingRemoval,
    PenaltyPublication,
    PenaltySeverity,
    RepairApplication,
    Sector,
)
from .publication import active_listing_q, published_penalties_q
from .services import record_event, source_ref

SERIOUS = EnterpriseListing.Kind.SERIOUS_VIOLATION
ABNORMAL = EnterpriseListing.Kind.ABNORMAL_OPERATION
SPECIAL_SECTORS = {Sector.FOOD, Sector.DRUGS, Sector.SPECIAL_EQUIPMENT}
PENALTY_EVENT = {PenaltySeverity.MINOR: "penalty_minor", PenaltySeverity.ORDINARY: "penalty_ordinary",
                 PenaltySeverity.HEAVY: "penalty_heavy"}
# Stored on the listing as its legal basis, in the language of the law (SAMR order 44).
SERIOUS_BASIS = "《市场监督管理严重违法失信名单管理办法》（国家市场监督管理总局令第44号）"
PROMOTION_BASIS = SERIOUS_BASIS + "：列入经营异常名录满三年"
REPAIR_STAFF_ROLES = {S.ROLE_OFFICER, S.ROLE_PROVINCE_ADMIN}


def _today(on):
    return on or timezone.localdate()


def _lock(obj):
    """Re-read ``obj`` under a row lock (a concurrent second click sees the first one's write)."""
    return type(obj).objects.select_for_update().get(pk=obj.pk)


# --------------------------------------------------------------------------- penalty publication


@transaction.atomic
def register_penalty(enterprise, *, decision_number: str, decision_date: dt.date, authority: str,
                     severity: str, violation: str, penalty: str, sector: str = Sector.GENERAL,
                     legal_basis: str = "", source=None) -> PenaltyPublication:
    """Register a penalty decision for publication; returns the (unpublished) publication.

    Sets ``publish_by`` (20 wd after the decision, Art. 9), records the credit event of
    the penalty's severity (dated on the decision) and, for a heavy penalty, enters the
    enterprise on the serious-violation list from the decision date (SAMR order 44).
    """
    errors = {}
    if not (decision_number or "").strip():
        errors["decision_number"] = _("Give the decision number.")
    if not (authority or "").strip():
        errors["authority"] = _("Give the deciding authority.")
    if severity not in PenaltySeverity.values:
        errors["severity"] = _("Unknown severity %(value)s.") % {"value": severity}
    if sector not in Sector.values:
        errors["sector"] = _("Unknown sector %(value)s.") % {"value": sector}
    if not (violation or "").strip():
        errors["violation"] = _("Describe the violation.")
    if not (penalty or "").strip():
        errors["penalty"] = _("Describe the penalty imposed.")
    if decision_date is None:
        errors["decision_date"] = _("Give the decision date.")
    elif decision_date > timezone.localdate():
        errors["decision_date"] = _("The decision date lies in the future.")
    if not errors and PenaltyPublication.objects.filter(
            enterprise=enterprise, decision_number=decision_number.strip()).exists():
        errors["decision_number"] = _("Decision %(number)s is already registered for this enterprise.") % {
            "number": decision_number.strip()}
    if errors:
        raise ValidationError(errors)
    source_type, source_id = source_ref(source)
    pub = PenaltyPublication.objects.create(
        enterprise=enterprise, decision_number=decision_number.strip(), decision_date=decision_date,
        authority=authority.strip(), severity=severity, sector=sector, violation=violation.strip(),
        penalty=penalty.strip(), legal_basis=(legal_basis or "").strip(),
        publish_by=due_date("penalty.publish", decision_date),
        source_type=source_type, source_id=source_id)
    record_event(enterprise, PENALTY_EVENT[severity], decision_date, source=pub,
                 note=pub.decision_number)
    if severity == PenaltySeverity.HEAVY:
        enter_listing(enterprise, SERIOUS, decision_date,
                      reason=_("Heavy administrative penalty %(number)s: %(penalty)s") % {
                          "number": pub.decision_number, "penalty": pub.penalty},
                      legal_basis=SERIOUS_BASIS, source=pub)
    return pub


def publication_period_key(severity: str) -> str:
    return "penalty.period_minor" if severity == PenaltySeverity.MINOR else "penalty.period_other"


@transaction.atomic
def publish_penalty(pub: PenaltyPublication, on: dt.date | None = None) -> PenaltyPublication:
    """Publish: ``published_on`` and ``publish_until`` (3 months minor, 3 years others, Art. 13)."""
    on = _today(on)
    pub = _lock(pub)
    if pub.published_on:
        raise ValidationError({"published_on": _("Already published on %(date)s.") % {"date": pub.published_on}})
    if pub.revoked_on:
        raise ValidationError({"revoked_on": _("The penalty was revoked on %(date)s; it is not published.")
                               % {"date": pub.revoked_on}})
    if on < pub.decision_date:
        raise ValidationError({"published_on": _("Publication cannot precede the decision (%(date)s).")
                               % {"date": pub.decision_date}})
    pub.published_on = on
    pub.publish_until = due_date(publication_period_key(pub.severity), on)
    pub.save(update_fields=["published_on", "publish_until", "last_updated"])
    return pub


@transaction.atomic
def revoke_penalty(pub: PenaltyPublication, on: dt.date | None = None) -> PenaltyPublication:
    """The decision was changed, revoked or declared void (Art. 11).

    A published penalty must be withdrawn within 3 wd (``withdraw_by``); an unpublished
    one is never published. The penalty's credit event is removed (the grade must not
    count a penalty that no longer stands), and a serious-violation listing that the
    penalty caused ends with removal "basis revoked" and loses its "blacklisting" event.
    """
    on = _today(on)
    pub = _lock(pub)
    if pub.revoked_on:
        raise ValidationError({"revoked_on": _("Already revoked on %(date)s.") % {"date": pub.revoked_on}})
    if on < pub.decision_date:
        raise ValidationError({"revoked_on": _("Revocation cannot precede the decision (%(date)s).")
                               % {"date": pub.decision_date}})
    pub.revoked_on = on
    fields = ["revoked_on", "last_updated"]
    if pub.published_on and not pub.withdrawn_on:
        pub.withdraw_by = due_date("penalty.withdraw", on)
        fields.append("withdraw_by")
    pub.save(update_fields=fields)
    ref_type, ref_id = source_ref(pub)
    for event in CreditEvent.objects.filter(source_type=ref_type, source_id=ref_id):
        event.delete()  # audited (change log) like any other delete
    for listing in EnterpriseListing.objects.filter(source_type=ref_type, source_id=ref_id):
        if EnterpriseListing.objects.filter(pk=listing.pk).filter(active_listing_q(on)).exists():
            remove_listing(listing, on, ListingRemoval.REVOKED,
                           _("Penalty decision %(number)s revoked.") % {"number": pub.decision_number})
        # A listing without a valid basis must not weigh on the grade either.
        listing_type, listing_id = source_ref(listing)
        for event in CreditEvent.objects.filter(source_type=listing_type, source_id=listing_id):
            event.delete()
    return pub


@transaction.atomic
def withdraw_penalty(pub: PenaltyPublication, on: dt.date | None = None,
                     reason: str = "revoked") -> PenaltyPublication:
    """Withdraw a published penalty from publication: "revoked" (Art. 11) or "repaired" (Art. 14).

    The end of the publication period needs no withdrawal: the window is a query.
    """
    on = _today(on)
    pub = _lock(pub)
    if not pub.published_on:
        raise ValidationError({"published_on": _("The penalty is not published.")})
    if pub.withdrawn_on:
        raise ValidationError({"withdrawn_on": _("Already withdrawn on %(date)s.") % {"date": pub.withdrawn_on}})
    if on < pub.published_on:
        raise ValidationError({"withdrawn_on": _("Withdrawal cannot precede publication (%(date)s).")
                               % {"date": pub.published_on}})
    if reason == "revoked":
        if not pub.revoked_on:
            raise ValidationError({"withdrawal_reason": _("Record the revocation of the penalty first.")})
    elif reason == "repaired":
        if pub.severity == PenaltySeverity.HEAVY:
            raise ValidationError({"withdrawal_reason": _(
                "A heavy penalty cannot be withdrawn from publication early (Art. 14).")})
    else:
        raise ValidationError({"withdrawal_reason": _(
            "Withdraw because the penalty was revoked or the credit was repaired; the publication "
            "period ends by itself.")})
    pub.withdrawn_on = on
    pub.withdrawal_reason = reason
    pub.save(update_fields=["withdrawn_on", "withdrawal_reason", "last_updated"])
    return pub


# --------------------------------------------------------------------------- lists


@transaction.atomic
def enter_listing(enterprise, kind: str, start: dt.date, reason: str, legal_basis: str = "", *,
                  planned_end: dt.date | None = None, source=None) -> EnterpriseListing:
    """Enter an enterprise on the serious-violation or abnormal-operation list.

    A serious-violation listing runs 3 years unless ``planned_end`` says otherwise and
    records the "blacklisting" credit event (SAMR order 44).
    """
    errors = {}
    if kind not in EnterpriseListing.Kind.values:
        errors["kind"] = _("Unknown list %(value)s.") % {"value": kind}
    if start is None:
        errors["start"] = _("Give the listing date.")
    if not (reason or "").strip():
        errors["reason"] = _("Give the reason for the listing.")
    if kind == SERIOUS and not (legal_basis or "").strip():
        errors["legal_basis"] = _("Give the legal basis of a serious-violation listing.")
    if start is not None and planned_end is not None and planned_end <= start:
        errors["planned_end"] = _("The listing must end after it starts.")
    if not errors and EnterpriseListing.objects.filter(enterprise=enterprise, kind=kind).filter(
            active_listing_q(start)).exists():
        errors["kind"] = _("The enterprise is already on the %(list)s on %(date)s.") % {
            "list": EnterpriseListing.Kind(kind).label, "date": start}
    if errors:
        raise ValidationError(errors)
    if planned_end is None and kind == SERIOUS:
        planned_end = due_date("credit.serious_listing_period", start)
    source_type, source_id = source_ref(source)
    listing = EnterpriseListing.objects.create(
        enterprise=enterprise, kind=kind, start=start, reason=reason.strip(),
        legal_basis=(legal_basis or "").strip(), planned_end=planned_end,
        source_type=source_type, source_id=source_id)
    if kind == SERIOUS:
        record_event(enterprise, "blacklisting", start, source=listing, note=listing.reason[:200])
    return listing


@transaction.atomic
def remove_listing(listing: EnterpriseListing, on: dt.date | None, removal: str,
                   note: str = "") -> EnterpriseListing:
    """End a listing on ``on``. Before the planned end the reason must be given (early exit)."""
    on = _today(on)
    listing = _lock(listing)
    errors = {}
    if listing.end is not None:
        errors["end"] = _("Already removed on %(date)s.") % {"date": listing.end}
    elif on < listing.start:
        errors["end"] = _("Removal cannot precede the listing (%(date)s).") % {"date": listing.start}
    if removal not in ListingRemoval.values:
        errors["removal"] = _("Unknown removal reason %(value)s.") % {"value": removal}
    elif removal == ListingRemoval.EXPIRED and (listing.planned_end is None or on < listing.planned_end):
        errors["removal"] = _("The listing period has not ended (listed until %(date)s).") % {
            "date": listing.planned_end or "—"}
    early = listing.planned_end is None or on < listing.planned_end
    if early and removal != ListingRemoval.EXPIRED and not (note or "").strip():
        errors["removal_note"] = _("Give the reason for removing the enterprise before the end of "
                                   "the listing period.")
    if errors:
        raise ValidationError(errors)
    listing.end = on
    listing.removal = removal
    listing.removal_note = (note or "").strip()
    listing.save(update_fields=["end", "removal", "removal_note", "last_updated"])
    return listing


@transaction.atomic
def promote_long_abnormal(on: dt.date | None = None) -> list[EnterpriseListing]:
    """Move enterprises 3 years on the abnormal-operation list to the serious-violation list.

    The new listing starts on the abnormal listing's third anniversary (the day the
    condition was met, whenever this runs) and names the abnormal listing as its source,
    so running it again creates nothing new.
    """
    on = _today(on)
    created = []
    candidates = (EnterpriseListing.objects.filter(kind=ABNORMAL).filter(active_listing_q(on))
                  .select_related("enterprise").order_by("start", "id"))
    for abnormal in candidates:
        promoted_on = due_date("credit.abnormal_to_serious", abnormal.start)
        if promoted_on > on:
            continue
        ref_type, ref_id = source_ref(abnormal)
        if EnterpriseListing.objects.filter(kind=SERIOUS, source_type=ref_type, source_id=ref_id).exists():
            continue
        if EnterpriseListing.objects.filter(enterprise_id=abnormal.enterprise_id, kind=SERIOUS).filter(
                active_listing_q(promoted_on)).exists():
            continue
        created.append(enter_listing(
            abnormal.enterprise, SERIOUS, promoted_on,
            reason=_("On the abnormal-operation list since %(date)s (3 years).") % {"date": abnormal.start},
            legal_basis=PROMOTION_BASIS, source=abnormal))
    return created


# --------------------------------------------------------------------------- credit repair


def repair_wait_key(sector: str) -> str:
    return "credit.repair_wait_special" if sector in SPECIAL_SECTORS else "credit.repair_wait"


def listing_sector(listing: EnterpriseListing) -> str:
    """The sector of a listing: that of the penalty that caused it, else general."""
    if listing.source_type == "credit.penaltypublication" and listing.source_id:
        sector = (PenaltyPublication.objects.filter(pk=listing.source_id)
                  .values_list("sector", flat=True).first())
        if sector:
            return sector
    return Sector.GENERAL


def earliest_repair_date(target) -> dt.date | None:
    """First day a repair application for ``target`` may be filed (None: not published yet)."""
    if isinstance(target, PenaltyPublication):
        if not target.published_on:
            return None
        return due_date(repair_wait_key(target.sector), target.published_on)
    return due_date(repair_wait_key(listing_sector(target)), target.start)


def repair_refusal(target, on: dt.date | None = None, *,
                   at_review: bool = False) -> tuple[str, str] | None:
    """Why a repair application for ``target`` would be refused on ``on`` (field, message), or None.

    ``at_review``: the conditions that must still hold when an officer approves (the
    waiting period and the open application were checked when it was filed).
    """
    on = _today(on)
    if isinstance(target, PenaltyPublication):
        if target.severity == PenaltySeverity.HEAVY:
            return "penalty", _("A heavy penalty cannot be withdrawn from publication early "
                                "(市场监督管理行政处罚信息公示规定 Art. 14).")
        if not PenaltyPublication.objects.filter(pk=target.pk).filter(published_penalties_q(on)).exists():
            return "penalty", _("This penalty is not in its publication period; there is nothing to repair.")
        if EnterpriseListing.objects.filter(enterprise_id=target.enterprise_id).filter(
                active_listing_q(on)).exists():
            return "penalty", _("An enterprise on the abnormal-operation or serious-violation list cannot "
                                "end a penalty publication early (Art. 14 (4)).")
    elif isinstance(target, EnterpriseListing):
        if target.kind != SERIOUS:
            return "listing", _("An enterprise leaves the abnormal-operation list by fulfilling its "
                                "obligations, not by credit repair.")
        if not EnterpriseListing.objects.filter(pk=target.pk).filter(active_listing_q(on)).exists():
            return "listing", _("This listing is not in force; there is nothing to repair.")
    else:
        raise TypeError("target must be a PenaltyPublication or an EnterpriseListing")
    if at_review:
        return None
    field = "penalty" if isinstance(target, PenaltyPublication) else "listing"
    earliest = earliest_repair_date(target)
    if on < earliest:
        return "applied_on", _("Credit repair may be applied for from %(date)s (the waiting period after "
                               "publication or listing has not passed).") % {"date": earliest}
    open_q = RepairApplication.objects.filter(status=RepairApplication.Status.SUBMITTED, **{field: target})
    if open_q.exists():
        return field, _("An application for this record is already awaiting review.")
    return None


@transaction.atomic
def apply_for_repair(applicant, target, statement: str, commitment: bool, evidence=None,
                     on: dt.date | None = None) -> RepairApplication:
    """File a credit-repair application for a penalty publication or a serious-violation listing.

    ``applicant`` is the enterprise, or an enterprise user (who may apply for its own
    enterprise only). Refused before the waiting period (6 months after publication or
    listing, 12 for food, drugs and special equipment), for heavy penalties, for records
    not in force and when an application for the same record is open.
    """
    on = _today(on)
    from zhijian.registry.models import Enterprise

    if isinstance(applicant, Enterprise):
        enterprise_id = applicant.pk
    else:
        scope = S.scope_for(applicant)
        if scope.role != S.ROLE_ENTERPRISE or scope.enterprise_id is None:
            raise PermissionDenied(_("Only the enterprise itself applies for credit repair."))
        enterprise_id = scope.enterprise_id
    if target.enterprise_id != enterprise_id:
        raise PermissionDenied(_("This record belongs to another enterprise."))
    target = _lock(target)  # serialises two applications for the same record
    errors = {}
    refusal = repair_refusal(target, on)
    if refusal is not None:
        errors[refusal[0]] = refusal[1]
    if not (statement or "").strip():
        errors["statement"] = _("Describe how the violation was rectified and its consequences removed.")
    if not commitment:
        errors["commitment"] = _("Sign the credit commitment.")
    if errors:
        raise ValidationError(errors)
    kwargs = {"penalty": target} if isinstance(target, PenaltyPublication) else {"listing": target}
    application = RepairApplication(enterprise_id=enterprise_id, applied_on=on, statement=statement.strip(),
                                    commitment=True, **kwargs)
    if evidence:
        application.evidence = evidence
    application.save()
    return application


@transaction.atomic
def review_repair(application: RepairApplication, officer, approve: bool, reason: str,
                  on: dt.date | None = None) -> RepairApplication:
    """Decide a repair application. Approval withdraws the penalty publication ("repaired")
    or removes the listing ("repaired"); the decision and its effect are one transaction,
    both audited by the change log."""
    on = _today(on)
    scope = S.scope_for(officer)
    if not scope.unrestricted and scope.role not in REPAIR_STAFF_ROLES:
        raise PermissionDenied(_("Only an officer decides on credit repair."))
    if not RepairApplication.objects.is_allowed(officer, "change", application):
        raise PermissionDenied(_("This application is outside your scope."))
    application = _lock(application)
    errors = {}
    if application.status != RepairApplication.Status.SUBMITTED:
        errors["status"] = _("This application was already decided (%(status)s).") % {
            "status": application.get_status_display()}
    elif on < application.applied_on:
        errors["reviewed_on"] = _("The decision cannot precede the application (%(date)s).") % {
            "date": application.applied_on}
    if not (reason or "").strip():
        errors["decision_reason"] = _("Give the reason for the decision.")
    if errors:
        raise ValidationError(errors)
    if approve:
        target = application.penalty or application.listing
        refusal = repair_refusal(target, on, at_review=True)
        if refusal is not None:
            raise ValidationError({"status": refusal[1]})
        if application.penalty_id:
            withdraw_penalty(application.penalty, on, reason="repaired")
        else:
            remove_listing(application.listing, on, ListingRemoval.REPAIRED,
                           _("Credit repair approved (application %(id)s): %(reason)s") % {
                               "id": application.pk, "reason": reason.strip()})
    application.status = (RepairApplication.Status.APPROVED if approve
                          else RepairApplication.Status.REJECTED)
    application.reviewed_by = officer
    application.reviewed_on = on
    application.decision_reason = reason.strip()
    application.save(update_fields=["status", "reviewed_by", "reviewed_on", "decision_reason", "last_updated"])
    return application
