"""Complaints (投诉) and reports (举报) under 市场监督管理投诉举报处理暂行办法 (2022), DESIGN §6.2.

A ``Case`` is one complaint or report. Its personal data (complainant or reporter
name, phone, ID number, address) lives once, in ``Complainant``, so that masking,
access and the retention purge have one place to act on. The case is scoped by
the division of the bureau handling it (routed from the respondent's division).
Every clock of §6.2 is stored as a due date on the case, recomputed by the
services on each step, and ``next_due`` is the earliest open one (dashboard).
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhijian.core.models import ChangeLoggedModel, ScopedModel, TimestampedModel
from zhijian.registry.models import Division, Enterprise, ProductCategory

from .hazards import HAZARDS  # noqa: F401 (also imported from here by filters, stats, services)


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("complaint (投诉)")
    REPORT = "report", _("report (举报)")


class Channel(models.TextChoices):
    WEB = "web", _("public web form")
    PHONE = "phone", _("telephone")
    LETTER = "letter", _("letter")
    WALK_IN = "walk_in", _("walk-in")
    PLATFORM_12315 = "12315", _("12315 platform import")


class RejectionReason(models.TextChoices):
    """市场监督管理投诉举报处理暂行办法 Art. 15 (1)–(6)."""

    NOT_COMPETENT = "not_competent", _("not a market-regulation matter, or this bureau has no competence (Art. 15 (1))")
    ALREADY_HANDLED = "already_handled", _("already accepted or handled by a court, arbitration, another authority or a mediation body (Art. 15 (2))")
    NOT_CONSUMER_DISPUTE = "not_consumer_dispute", _("not for personal consumption, or no consumer dispute shown (Art. 15 (3))")
    TIME_BARRED = "time_barred", _("more than 3 years since the complainant knew of the harm (Art. 15 (4))")
    MISSING_MATERIALS = "missing_materials", _("required materials not provided (Art. 15 (5), Art. 9–10)")
    OTHER_LEGAL = "other_legal", _("other ground for rejection in law (Art. 15 (6))")


class TerminationReason(models.TextChoices):
    """Art. 21 (1)–(7): mediation ends without agreement."""

    WITHDRAWN = "withdrawn", _("complaint withdrawn or settled by the parties (Art. 21 (1))")
    TESTING_DISAGREEMENT = "testing_disagreement", _("no agreement on the testing body or its costs (Art. 21 (2))")
    REFUSED = "refused", _("a party did not attend or the respondent refused mediation (Art. 21 (3))")
    NO_AGREEMENT = "no_agreement", _("a party declared that no agreement can be reached (Art. 21 (4))")
    TIME_LIMIT = "time_limit", _("no agreement within 45 working days of acceptance (Art. 21 (5))")
    REJECTION_GROUND = "rejection_ground", _("a ground of Art. 15 found after acceptance (Art. 21 (6))")
    OTHER_LEGAL = "other_legal", _("other ground in law (Art. 21 (7))")



class CategoryLevel(models.TextChoices):
    """How precise the suggested category is (the classifier's hierarchical fallback)."""

    PRODUCT = "product", _("catalog product")
    GROUP = "group", _("catalog group only")
    NONE = "none", _("not classified")


class Case(ScopedModel, TimestampedModel):
    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        ACCEPTED = "accepted", _("accepted, in mediation")
        REJECTED = "rejected", _("not accepted")
        CHECKING = "checking", _("clue being checked")
        CASE_OPENED = "case_opened", _("enforcement case opened")
        NOT_OPENED = "not_opened", _("no case opened")
        CLOSED = "closed", _("closed")

    class Outcome(models.TextChoices):
        AGREEMENT = "agreement", _("mediation agreement")
        TERMINATED = "terminated", _("mediation terminated without agreement")
        REJECTED = "rejected", _("not accepted")
        CASE_OPENED = "case_opened", _("enforcement case opened")
        NOT_OPENED = "not_opened", _("no case opened")

    class Match(models.TextChoices):
        UNMATCHED = "unmatched", _("not matched to the registry")
        USCC = "uscc", _("matched by USCC")
        CONFIRMED = "confirmed", _("confirmed by an officer")

    ticket = models.CharField(_("ticket number"), max_length=24, unique=True, blank=True)
    code_hash = models.CharField(max_length=64, editable=False, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COMPLAINT)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    external_id = models.CharField(_("id on the 12315 platform"), max_length=64, blank=True, db_index=True)
    received_on = models.DateField(_("received on"), db_index=True)
    real_name = models.BooleanField(_("real-name report"), default=True)

    # The respondent: kept as given, matched to the registry when possible, never dropped.
    respondent_name = models.CharField(_("respondent"), max_length=200)
    respondent_uscc = models.CharField(_("respondent USCC"), max_length=18, blank=True)
    respondent_address = models.CharField(_("respondent address"), max_length=255, blank=True)
    respondent = models.ForeignKey(Enterprise, models.SET_NULL, null=True, blank=True,
                                   related_name="complaint_cases", verbose_name=_("registered enterprise"))
    respondent_match = models.CharField(_("registry match"), max_length=10, choices=Match.choices,
                                        default=Match.UNMATCHED)

    division = models.ForeignKey(Division, models.PROTECT, related_name="complaint_cases",
                                 verbose_name=_("handling bureau (division)"))
    product = models.CharField(_("product or service"), max_length=200, blank=True)
    facts = models.TextField(_("facts"))
    request = models.TextField(_("request"), blank=True)
    amount_claimed = models.DecimalField(_("amount claimed (yuan)"), max_digits=12, decimal_places=2,
                                         null=True, blank=True)

    # Classification (suggested by the classifier, confirmed or corrected by an officer).
    category = models.ForeignKey(ProductCategory, models.SET_NULL, null=True, blank=True,
                                 related_name="complaint_cases", verbose_name=_("product category"))
    category_confidence = models.FloatField(_("category confidence"), null=True, blank=True)
    # Hierarchical fallback: when the classifier is unsure of the catalog product but sure of its
    # catalog group (大类), the case gets the group only (docs/complaints-classification.md).
    category_group = models.CharField(_("catalog group"), max_length=64, blank=True)
    category_level = models.CharField(_("classification level"), max_length=8,
                                      choices=CategoryLevel.choices, blank=True)
    hazard = models.CharField(_("hazard"), max_length=20, choices=HAZARDS, blank=True)
    hazard_confidence = models.FloatField(_("hazard confidence"), null=True, blank=True)
    labels_confirmed = models.BooleanField(_("labels confirmed"), default=False)
    labels_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                            related_name="+", verbose_name=_("labels confirmed by"))

    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED,
                              db_index=True)
    # Clocks (DESIGN §6.2), recomputed by services on every step.
    assigned_on = models.DateField(_("received by the handling bureau on"), null=True, blank=True)
    accept_due = models.DateField(_("decide acceptance by"), null=True, blank=True)
    decided_on = models.DateField(_("acceptance decided on"), null=True, blank=True)
    rejection_reason = models.CharField(_("reason for not accepting"), max_length=24,
                                        choices=RejectionReason.choices, blank=True)
    mediation_due = models.DateField(_("mediation ends by"), null=True, blank=True)
    clue_found_on = models.DateField(_("violation clue found on"), null=True, blank=True)
    clue_extended = models.BooleanField(_("clue check extended (approved)"), default=False)
    clue_due = models.DateField(_("check the clue by"), null=True, blank=True)
    clue_checked_on = models.DateField(_("clue checked on"), null=True, blank=True)
    notify_due = models.DateField(_("tell the parties by"), null=True, blank=True)
    notified_on = models.DateField(_("parties told on"), null=True, blank=True)
    next_due = models.DateField(_("next deadline"), null=True, blank=True, db_index=True)
    next_due_kind = models.CharField(_("next deadline is"), max_length=20, blank=True)

    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    termination_reason = models.CharField(_("reason mediation ended"), max_length=24,
                                          choices=TerminationReason.choices, blank=True)
    amount_refunded = models.DecimalField(_("amount refunded (yuan)"), max_digits=12, decimal_places=2,
                                          null=True, blank=True)
    amount_compensated = models.DecimalField(_("amount compensated (yuan)"), max_digits=12, decimal_places=2,
                                             null=True, blank=True)
    upheld = models.BooleanField(_("complaint upheld"), null=True, blank=True)
    outcome_note = models.TextField(_("outcome note"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True, db_index=True)
    anonymised_on = models.DateField(_("personal data removed on"), null=True, blank=True)

    scope_division = "division"
    audit_exclude = ("code_hash",)

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("complaint or report")
        verbose_name_plural = _("complaints and reports")
        indexes = [models.Index(fields=["division", "status"]),
                   models.Index(fields=["category", "received_on"])]

    def __str__(self):
        return self.ticket or f"#{self.pk}"

    def snapshot(self) -> dict:
        from .masking import mask_text

        data = super().snapshot()
        for f in ("facts", "request", "outcome_note"):
            if data.get(f):
                data[f] = mask_text(data[f])
        return data

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.CLOSED, self.Status.REJECTED)

    def testing_intervals(self):
        """(start, end) pairs of testing time excluded from the mediation clock (Art. 20)."""
        return [(p.start, p.end) for p in self.testing_periods.all()]


class Complainant(ChangeLoggedModel):
    """Personal data of the complainant or reporter: stored once, masked everywhere else.

    Writes are audited with masked values, so the append-only audit chain never
    holds what the retention purge has to remove.
    """

    case = models.OneToOneField(Case, models.CASCADE, related_name="complainant", primary_key=True)
    name = models.CharField(_("full name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    address = models.CharField(_("postal address"), max_length=255, blank=True)
    email = models.EmailField(_("email"), blank=True)

    class Meta:
        verbose_name = _("complainant")
        verbose_name_plural = _("complainants")

    def snapshot(self) -> dict:
        from .masking import mask_field

        return {k: (mask_field(k, v) if isinstance(v, str) else v) for k, v in super().snapshot().items()}

    def __str__(self):
        from .masking import mask_name

        return mask_name(self.name)


class MaskedTextSnapshot(ChangeLoggedModel):
    """Audit snapshots with phone and ID numbers in free text masked (the chain is never purged)."""

    class Meta:
        abstract = True

    def snapshot(self) -> dict:
        from .masking import mask_text

        return {k: (mask_text(v) if isinstance(v, str) else v) for k, v in super().snapshot().items()}


class TestingPeriod(ChangeLoggedModel):
    """Time spent on testing, verification or appraisal: excluded from the 45-wd mediation clock."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="testing_periods")
    start = models.DateField(_("testing started"))
    end = models.DateField(_("testing ended"), null=True, blank=True)
    body = models.CharField(_("testing body"), max_length=200, blank=True)

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("testing period")
        verbose_name_plural = _("testing periods")


class Mediation(MaskedTextSnapshot):
    """One mediation session (Art. 16–19)."""

    class Method(models.TextChoices):
        ON_SITE = "on_site", _("on site")
        PHONE = "phone", _("telephone")
        ONLINE = "online", _("online")
        VIDEO = "video", _("video")

    case = models.ForeignKey(Case, models.CASCADE, related_name="mediations")
    date = models.DateField(_("date"))
    method = models.CharField(_("mediation method"), max_length=8, choices=Method.choices)
    mediator = models.CharField(_("mediator"), max_length=100)
    entrusted_to = models.CharField(_("entrusted to (e.g. consumer association)"), max_length=200, blank=True)
    summary = models.TextField(_("summary"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")


class Transfer(MaskedTextSnapshot):
    """A move of the case to another bureau, with the reason (Art. 12–13, 29–30, 37)."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="transfers")
    from_division = models.ForeignKey(Division, models.PROTECT, related_name="+", verbose_name=_("from"))
    to_division = models.ForeignKey(Division, models.PROTECT, related_name="+", verbose_name=_("to"))
    date = models.DateField(_("date"))
    reason = models.TextField(_("reason"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")


class Conversion(MaskedTextSnapshot):
    """A report or violation clue turned into an enforcement case or a targeted spot check."""

    class Target(models.TextChoices):
        ENFORCEMENT = "enforcement", _("enforcement case")
        SPOTCHECK = "spotcheck", _("targeted spot check")

    case = models.ForeignKey(Case, models.CASCADE, related_name="conversions")
    target = models.CharField(_("converted into"), max_length=12, choices=Target.choices)
    reference = models.CharField(_("reference (case number or plan)"), max_length=100)
    target_type = models.CharField(max_length=100, blank=True)  # "app_label.model" when a record exists
    target_id = models.CharField(max_length=64, blank=True)
    date = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("conversion")
        verbose_name_plural = _("conversions")


class CaseEvent(models.Model):
    """A typed event in a case's history (Saleor's order events are the model)."""

    class Type(models.TextChoices):
        RECEIVED = "received", _("received")
        ROUTED = "routed", _("routed")
        TRANSFERRED = "transferred", _("transferred")
        MATCHED = "matched", _("respondent matched")
        LABELLED = "labelled", _("labels confirmed")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("not accepted")
        TESTING_STARTED = "testing_started", _("testing started")
        TESTING_ENDED = "testing_ended", _("testing ended")
        MEDIATED = "mediated", _("mediation session")
        CLUE_FOUND = "clue_found", _("violation clue found")
        CLUE_EXTENDED = "clue_extended", _("clue check extended")
        CLUE_CHECKED = "clue_checked", _("clue checked")
        CHECK_STARTED = "check_started", _("report under check")
        CONVERTED = "converted", _("converted")
        DECIDED = "decided", _("case decision")
        NOTIFIED = "notified", _("parties told")
        CLOSED = "closed", _("closed")
        ANONYMISED = "anonymised", _("personal data removed")

    case = models.ForeignKey(Case, models.CASCADE, related_name="events")
    type = models.CharField(max_length=20, choices=Type.choices)
    date = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["date", "id"]

    def __str__(self):
        return f"{self.case_id} {self.type}"
