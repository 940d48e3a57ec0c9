"""Enforcement cases against quality violations (seed 二(二)3; DESIGN §3, §6.3).

* ``Case`` — an administrative-penalty case (案件) against an enterprise, opened from an
  unqualified spot-check result, a complaint or report converted by the complaints app,
  a major quality incident, or directly (tip-off, inspection); the origin is a generic
  reference (``origin`` kind + ``origin_type`` / ``origin_id``), so a recall origin needs
  no schema change. Its workflow (``services.py``): filing proposed → filed with approval
  → investigation (``Evidence``) → notice of proposed penalty with the rights to a
  statement, a defence and — for heavy penalties — a hearing → decision (``PenaltyDecision``)
  or no penalty / case dropped → payment and execution → closed.
* ``PenaltyDecision`` — the decision (kinds, amounts, legal basis, severity); it registers
  through the credit app's penalty publication (``credit.services_listing.register_penalty``).
* ``JudicialTransfer`` — transfer of a suspected crime to a judicial organ (行刑衔接).
* ``CaseEvent`` — the typed history of a case (Saleor's order events are the model).
* ``HearingThreshold`` — what counts as a "large" fine or confiscation (行政处罚法 Art. 63),
  as data.
"""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhijian.core.models import ChangeLoggedModel, ScopedModel, TimestampedModel
from zhijian.credit.models import PenaltySeverity, Sector

MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0"), "validators": [MinValueValidator(0)]}


class Origin(models.TextChoices):
    """Where a case comes from; the record kinds behind them are ``ORIGIN_MODELS``."""

    SPOTCHECK = "spotcheck", _("unqualified spot-check result")
    COMPLAINT = "complaint", _("complaint or report")
    INCIDENT = "incident", _("major quality incident")
    RECALL = "recall", _("recall")
    TIP_OFF = "tip_off", _("tip-off")
    INSPECTION = "inspection", _("inspection")


# origin kind -> "app_label.model" of its source record (None: no record, a reference only)
ORIGIN_MODELS = {
    Origin.SPOTCHECK: "spotcheck.task",
    Origin.COMPLAINT: "complaints.conversion",
    Origin.INCIDENT: "risk.incident",
    Origin.RECALL: "recall.recallcase",
    Origin.TIP_OFF: None,
    Origin.INSPECTION: None,
}


class PenaltyKind(models.TextChoices):
    """Kinds of administrative penalty (行政处罚法 Art. 9)."""

    WARNING = "warning", _("warning")
    CRITICISM = "criticism", _("public criticism")
    FINE = "fine", _("fine")
    CONFISCATE_GAINS = "confiscate_gains", _("confiscation of illegal gains")
    CONFISCATE_GOODS = "confiscate_goods", _("confiscation of illegal goods")
    LICENCE_SUSPENDED = "licence_suspended", _("licence suspended")
    QUALIFICATION_LOWERED = "qualification_lowered", _("qualification lowered")
    LICENCE_REVOKED = "licence_revoked", _("licence revoked")
    BUSINESS_RESTRICTED = "business_restricted", _("production and business restricted")
    SUSPENSION = "suspension", _("production or business suspended")
    CLOSURE = "closure", _("closure ordered")
    PRACTICE_RESTRICTED = "practice_restricted", _("practice restricted")


# Penalties that always carry the right to a hearing (行政处罚法 Art. 63 (3), (4)).
HEARING_KINDS = frozenset({PenaltyKind.QUALIFICATION_LOWERED, PenaltyKind.LICENCE_REVOKED,
                           PenaltyKind.SUSPENSION, PenaltyKind.CLOSURE, PenaltyKind.PRACTICE_RESTRICTED})
# Penalties that make a decision heavy for credit (SAMR order 44; credit.PenaltySeverity.HEAVY).
HEAVY_KINDS = frozenset({PenaltyKind.LICENCE_REVOKED, PenaltyKind.SUSPENSION, PenaltyKind.CLOSURE,
                         PenaltyKind.PRACTICE_RESTRICTED})
# Penalties of a minor decision at most (warning, criticism; 行政处罚信息公示规定 Art. 13).
MINOR_KINDS = frozenset({PenaltyKind.WARNING, PenaltyKind.CRITICISM})
# Penalties that need no execution record beyond their payment (or nothing at all).
NO_EXECUTION_KINDS = frozenset({PenaltyKind.WARNING, PenaltyKind.CRITICISM, PenaltyKind.FINE,
                                PenaltyKind.CONFISCATE_GAINS})


class HearingThreshold(ScopedModel, TimestampedModel):
    """From which amount a fine or a confiscation is "large" (行政处罚法 Art. 63 (1), (2))."""

    class Kind(models.TextChoices):
        FINE = "fine", _("fine")
        CONFISCATED_GAINS = "confiscated_gains", _("confiscated illegal gains")
        GOODS_VALUE = "goods_value", _("value of confiscated goods")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("from (yuan)"), **MONEY)
    source = models.CharField(_("legal source"), max_length=255)
    valid_from = models.DateField(_("applies from"))

    scope_division = None

    class Meta:
        ordering = ["kind", "-valid_from"]
        verbose_name = _("hearing threshold")
        verbose_name_plural = _("hearing thresholds")
        constraints = [models.UniqueConstraint(fields=["kind", "valid_from"], name="uniq_hearing_threshold")]

    def __str__(self):
        return f"{self.get_kind_display()} ≥ {self.amount}"


class Case(ScopedModel, TimestampedModel):
    """An administrative-penalty case handled by the bureau of ``division``."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("filing proposed")
        NOT_FILED = "not_filed", _("not filed")
        INVESTIGATING = "investigating", _("filed, under investigation")
        NOTIFIED = "notified", _("notice of proposed penalty served")
        DECIDED = "decided", _("penalty decided")
        EXECUTED = "executed", _("penalty executed")
        CLOSED = "closed", _("closed")

    class Outcome(models.TextChoices):
        PENALTY = "penalty", _("penalty imposed")
        NO_PENALTY = "no_penalty", _("no penalty")
        DROPPED = "dropped", _("case dropped")
        TRANSFERRED = "transferred", _("transferred to a judicial organ")

    OPEN = (Status.PROPOSED, Status.INVESTIGATING, Status.NOTIFIED, Status.DECIDED, Status.EXECUTED)
    BEFORE_DECISION = (Status.INVESTIGATING, Status.NOTIFIED)

    number = models.CharField(_("case number"), max_length=24, unique=True, editable=False)
    title = models.CharField(_("suspected violation"), max_length=200)
    enterprise = models.ForeignKey("registry.Enterprise", models.PROTECT, related_name="enforcement_cases",
                                   verbose_name=_("party (enterprise)"))
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="enforcement_cases",
                                 verbose_name=_("handling bureau's division"))
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices)
    origin_type = models.CharField(max_length=100, blank=True)  # "app_label.model" of the source record
    origin_id = models.CharField(max_length=64, blank=True)
    origin_reference = models.CharField(_("origin reference"), max_length=100, blank=True)
    facts = models.TextField(_("facts"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED,
                              db_index=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    proposed_on = models.DateField(_("filing proposed on"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("proposed by"))
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("filing approved by"))
    decision_due = models.DateField(_("decide by"), null=True, blank=True)
    extension_reason = models.CharField(_("reason for the extension"), max_length=255, blank=True)
    # the notice of proposed penalty (行政处罚法 Art. 44)
    notice_number = models.CharField(_("notice number"), max_length=100, blank=True)
    notice_on = models.DateField(_("notice served on"), null=True, blank=True)
    proposed_kinds = models.JSONField(_("proposed penalties"), default=list, blank=True)
    proposed_fine = models.DecimalField(_("proposed fine (yuan)"), **MONEY)
    proposed_gains = models.DecimalField(_("proposed confiscation of gains (yuan)"), **MONEY)
    proposed_goods_value = models.DecimalField(_("value of goods proposed for confiscation (yuan)"), **MONEY)
    proposed_penalty = models.TextField(_("proposed penalty"), blank=True)
    hearing_right = models.BooleanField(_("right to a hearing"), default=False)
    statement_due = models.DateField(_("statement and defence by"), null=True, blank=True)
    statement_on = models.DateField(_("statement made on"), null=True, blank=True)
    statement = models.TextField(_("statement and defence"), blank=True)
    hearing_request_due = models.DateField(_("hearing to be requested by"), null=True, blank=True)
    hearing_requested_on = models.DateField(_("hearing requested on"), null=True, blank=True)
    hearing_notified_on = models.DateField(_("party told of the hearing on"), null=True, blank=True)
    hearing_date = models.DateField(_("hearing date"), null=True, blank=True)
    hearing_held_on = models.DateField(_("hearing held on"), null=True, blank=True)
    hearing_record = models.TextField(_("hearing record"), blank=True)
    suspended = models.BooleanField(_("suspended pending a judicial organ"), default=False)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    reason = models.TextField(_("reason (no penalty, dropped, not filed)"), blank=True)

    scope_division = "division"

    class Meta:
        ordering = ["-proposed_on", "-id"]
        verbose_name = _("enforcement case")
        verbose_name_plural = _("enforcement cases")
        indexes = [models.Index(fields=["origin_type", "origin_id"], name="enf_case_origin")]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("enforcement:case_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class Evidence(ChangeLoggedModel):
    """An item of evidence collected in the investigation (行政处罚法 Art. 46, 54-56)."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("documentary evidence")
        PHYSICAL = "physical", _("physical evidence")
        AUDIOVISUAL = "audiovisual", _("audio-visual material")
        ELECTRONIC = "electronic", _("electronic data")
        WITNESS = "witness", _("witness testimony")
        PARTY = "party", _("party's statement")
        EXPERT = "expert", _("test report or expert opinion")
        RECORD = "onsite_record", _("inspection or on-site record")

    case = models.ForeignKey(Case, models.CASCADE, related_name="evidence", verbose_name=_("case"))
    kind = models.CharField(_("kind of evidence"), max_length=16, choices=Kind.choices)
    description = models.TextField(_("description"))
    collected_on = models.DateField(_("collected on"))
    collected_by = models.CharField(_("collected by"), max_length=100, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("recorded by"))

    class Meta:
        ordering = ["collected_on", "id"]
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence")

    def __str__(self):
        return f"{self.case_id} {self.get_kind_display()} {self.collected_on}"


class PenaltyDecision(ScopedModel, TimestampedModel):
    """The penalty decision of a case; published through the credit app.

    The enterprise reads its own decisions (not the case file behind them)."""

    case = models.OneToOneField(Case, models.PROTECT, related_name="decision", verbose_name=_("case"))
    number = models.CharField(_("decision number"), max_length=100)
    decided_on = models.DateField(_("decided on"))
    authority = models.CharField(_("deciding authority"), max_length=200)
    kinds = models.JSONField(_("penalties"), default=list)
    fine = models.DecimalField(_("fine (yuan)"), **MONEY)
    confiscated_gains = models.DecimalField(_("illegal gains confiscated (yuan)"), **MONEY)
    goods_value = models.DecimalField(_("value of goods confiscated (yuan)"), **MONEY)
    violation = models.TextField(_("violation"))
    penalty = models.TextField(_("penalty imposed"))
    legal_basis = models.CharField(_("legal basis"), max_length=255)
    severity = models.CharField(_("severity"), max_length=10, choices=PenaltySeverity.choices)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, default=Sector.GENERAL)
    served_on = models.DateField(_("decision served on"))
    payment_due = models.DateField(_("pay by"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    paid_amount = models.DecimalField(_("amount paid (yuan)"), **MONEY)
    surcharge_paid = models.DecimalField(_("late-payment surcharge paid (yuan)"), **MONEY)
    executed_on = models.DateField(_("executed on"), null=True, blank=True)
    execution_note = models.TextField(_("execution"), blank=True)
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revocation_reason = models.CharField(_("reason for the revocation"), max_length=255, blank=True)
    publication = models.ForeignKey("credit.PenaltyPublication", models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("penalty publication"))

    scope_division = "case__division"
    scope_enterprise = "case__enterprise_id"

    class Meta:
        ordering = ["-decided_on", "-id"]
        verbose_name = _("penalty decision")
        verbose_name_plural = _("penalty decisions")

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("enforcement:penaltydecision_detail", args=[self.pk])

    @property
    def monetary(self) -> Decimal:
        return (self.fine or 0) + (self.confiscated_gains or 0)

    @property
    def needs_execution(self) -> bool:
        return any(k not in NO_EXECUTION_KINDS for k in self.kinds)

    def kind_labels(self) -> list[str]:
        return [PenaltyKind(k).label for k in self.kinds if k in PenaltyKind.values]


class JudicialTransfer(ScopedModel, TimestampedModel):
    """Transfer of a case of suspected crime to a judicial organ (行政处罚法 Art. 27;
    行政执法机关移送涉嫌犯罪案件的规定)."""

    class Organ(models.TextChoices):
        PUBLIC_SECURITY = "public_security", _("public security bureau")
        PROCURATORATE = "procuratorate", _("procuratorate")

    class Status(models.TextChoices):
        TRANSFERRED = "transferred", _("transferred")
        ACCEPTED = "accepted", _("accepted (criminal case opened)")
        NOT_ACCEPTED = "not_accepted", _("not accepted")
        RETURNED = "returned", _("returned for administrative penalty")

    ENDED = (Status.NOT_ACCEPTED, Status.RETURNED)

    case = models.ForeignKey(Case, models.PROTECT, related_name="transfers", verbose_name=_("case"))
    organ_kind = models.CharField(_("receiving organ"), max_length=16, choices=Organ.choices)
    organ_name = models.CharField(_("name of the receiving organ"), max_length=200)
    suspected_crime = models.CharField(_("suspected crime"), max_length=200)
    transferred_on = models.DateField(_("transferred on"))
    documents = models.TextField(_("documents transferred"))
    reply_due = models.DateField(_("acceptance decision due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.TRANSFERRED,
                              db_index=True)
    status_on = models.DateField(_("status since"))
    outcome = models.TextField(_("outcome"), blank=True)
    suspends_case = models.BooleanField(_("administrative case suspended"), default=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("transferred by"))

    scope_division = "case__division"

    class Meta:
        ordering = ["-transferred_on", "-id"]
        verbose_name = _("judicial transfer")
        verbose_name_plural = _("judicial transfers")

    def __str__(self):
        return f"{self.case.number} → {self.organ_name}"

    def get_absolute_url(self):
        return reverse("enforcement:judicialtransfer_detail", args=[self.pk])


class CaseEvent(models.Model):
    """A typed event in a case's history (Saleor's order events are the model)."""

    class Type(models.TextChoices):
        PROPOSED = "proposed", _("filing proposed")
        FILED = "filed", _("filed")
        NOT_FILED = "not_filed", _("not filed")
        EVIDENCE_ADDED = "evidence_added", _("evidence added")
        EXTENDED = "extended", _("decision period extended")
        NOTIFIED = "notified", _("notice of proposed penalty served")
        STATEMENT = "statement", _("statement and defence heard")
        HEARING_REQUESTED = "hearing_requested", _("hearing requested")
        HEARING_NOTIFIED = "hearing_notified", _("party told of the hearing")
        HEARING_HELD = "hearing_held", _("hearing held")
        DECIDED = "decided", _("penalty decided")
        NO_PENALTY = "no_penalty", _("no penalty")
        DROPPED = "dropped", _("case dropped")
        PUBLISHED = "published", _("decision published")
        PAID = "paid", _("fine paid")
        EXECUTED = "executed", _("penalty executed")
        REVOKED = "revoked", _("decision revoked")
        TRANSFERRED = "transferred", _("transferred to a judicial organ")
        TRANSFER_UPDATED = "transfer_updated", _("judicial organ replied")
        RESUMED = "resumed", _("case resumed")
        CLOSED = "closed", _("closed")

    case = models.ForeignKey(Case, models.CASCADE, related_name="events")
    type = models.CharField(max_length=32, choices=Type.choices)
    date = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("case event")

    def __str__(self):
        return f"{self.case_id} {self.type}"
