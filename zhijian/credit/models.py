"""Quality credit (DESIGN §6.3, §7): events, the versioned method, grades and runs.

``credit`` never imports the apps that produce events: an event points at its
source record by a generic reference (``source_type`` = "app_label.model",
``source_id``). Scope runs through the enterprise's division; enterprise users
see their own rows.
"""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhijian.core.labels import label_of
from zhijian.core.models import ScopedModel, TimestampedModel
from zhijian.registry.models import Enterprise

GROUPS = ("commitment", "capability", "performance")
GRADES = ("AAA", "AA", "A", "B", "C")
RISK_CLASSES = ("A", "B", "C", "D")
DEFAULT_BANDS = {"AAA": 90, "AA": 80, "A": 70, "B": 60}
DEFAULT_GROUPS = {
    # base: score with no events; cap: the group's maximum (the three caps sum to 100)
    "commitment": {"base": 15, "cap": 20},
    "capability": {"base": 20, "cap": 30},
    "performance": {"base": 40, "cap": 50},
}
DEFAULT_RISK_RULES = {
    "by_grade": {"AAA": "A", "AA": "A", "A": "B", "B": "C", "C": "D"},
    "serious_violation": "D",      # on the serious-violation list: exactly D
    "abnormal_operation": "C",     # on the abnormal-operation list: at least C
}


def default_bands():
    return dict(DEFAULT_BANDS)


def default_groups():
    return {k: dict(v) for k, v in DEFAULT_GROUPS.items()}


def default_risk_rules():
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULT_RISK_RULES.items()}


class IndicatorGroup(models.TextChoices):
    COMMITMENT = "commitment", _("quality-integrity commitment")
    CAPABILITY = "capability", _("capability to keep quality promises")
    PERFORMANCE = "performance", _("record of keeping quality promises")


class EventType(ScopedModel, TimestampedModel):
    """One version of a credit-event type: weight and decay are data, editable by a province admin."""

    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120, blank=True,
                               help_text=_("Shown in the Chinese interface; empty: the name."))
    group = models.CharField(_("indicator group"), max_length=12, choices=IndicatorGroup.choices)
    weight = models.DecimalField(_("default weight (points)"), max_digits=6, decimal_places=2)
    half_life_months = models.PositiveSmallIntegerField(
        _("half-life (months)"), null=True, blank=True,
        help_text=_("Empty: no decay; the event counts in full until it expires."))
    validity_months = models.PositiveSmallIntegerField(
        _("validity (months)"), null=True, blank=True,
        help_text=_("Empty: never expires."))
    valid_from = models.DateField(_("valid from"))
    source = models.CharField(_("legal or method source"), max_length=255, blank=True)

    class Meta:
        ordering = ["code", "-valid_from"]
        verbose_name = _("credit event type")
        verbose_name_plural = _("credit event types")
        constraints = [models.UniqueConstraint(fields=["code", "valid_from"],
                                               name="credit_eventtype_code_version")]

    def __str__(self):
        return f"{self.label} ({self.valid_from:%Y-%m-%d})"

    @property
    def label(self) -> str:
        """The name in the active language (the Chinese name in the zh-Hans interface)."""
        return label_of(self.name, self.name_zh)

    @classmethod
    def public_q(cls):
        return Q()  # the method is public


class CreditEvent(ScopedModel, TimestampedModel):
    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="credit_events",
                                   verbose_name=_("enterprise"))
    type = models.ForeignKey(EventType, models.PROTECT, related_name="events",
                             verbose_name=_("type (version)"))
    date = models.DateField(_("date"))
    weight = models.DecimalField(_("weight (points)"), max_digits=6, decimal_places=2)
    weight_reason = models.CharField(_("reason for a weight other than the type's"),
                                     max_length=255, blank=True)
    source_type = models.CharField(_("source type"), max_length=100, blank=True,
                                   help_text=_('"app_label.model" of the source record.'))
    source_id = models.CharField(_("source id"), max_length=64, blank=True)
    note = models.TextField(_("note"), blank=True)

    scope_division = "enterprise__division"
    scope_enterprise = "enterprise_id"

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("credit event")
        verbose_name_plural = _("credit events")
        indexes = [models.Index(fields=["enterprise", "date"]),
                   models.Index(fields=["source_type", "source_id"])]
        constraints = [models.UniqueConstraint(
            fields=["type", "source_type", "source_id"], condition=~Q(source_type=""),
            name="credit_event_once_per_source")]

    def __str__(self):
        return f"{self.type.code} {self.date} {self.enterprise_id}"


class Method(ScopedModel, TimestampedModel):
    """A version of the evaluation method (GB/T 31863 groups → score → grade → risk class)."""

    version = models.CharField(_("version"), max_length=20, unique=True)
    valid_from = models.DateField(_("valid from"))
    groups = models.JSONField(_("groups (base and cap per group)"), default=default_groups)
    grade_bands = models.JSONField(_("grade bands (lowest score per grade)"), default=default_bands)
    risk_rules = models.JSONField(_("risk-class rules"), default=default_risk_rules)
    published = models.BooleanField(_("published"), default=False)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["-valid_from", "-version"]
        verbose_name = _("evaluation method")
        verbose_name_plural = _("evaluation methods")

    def __str__(self):
        return self.version

    @classmethod
    def public_q(cls):
        return Q(published=True)

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if set(self.groups or {}) != set(GROUPS):
            errors["groups"] = _("Give base and cap for exactly these groups: %(g)s.") % {
                "g": ", ".join(GROUPS)}
        else:
            for g, spec in self.groups.items():
                try:
                    base, cap = float(spec["base"]), float(spec["cap"])
                except (KeyError, TypeError, ValueError):
                    errors["groups"] = _("Group %(g)s needs numeric base and cap.") % {"g": g}
                    break
                if not 0 <= base <= cap:
                    errors["groups"] = _("Group %(g)s: need 0 ≤ base ≤ cap.") % {"g": g}
                    break
            else:
                if sum(float(s["cap"]) for s in self.groups.values()) != 100:
                    errors["groups"] = _("The group caps must sum to 100.")
        bands = self.grade_bands or {}
        if set(bands) != {"AAA", "AA", "A", "B"}:
            errors["grade_bands"] = _("Give the lowest score of AAA, AA, A and B.")
        elif not (100 >= bands["AAA"] > bands["AA"] > bands["A"] > bands["B"] >= 0):
            errors["grade_bands"] = _("Bands must fall strictly from AAA to B within 0–100.")
        by_grade = (self.risk_rules or {}).get("by_grade", {})
        if set(by_grade) != set(GRADES) or not set(by_grade.values()) <= set(RISK_CLASSES):
            errors["risk_rules"] = _("Map every grade to a risk class A–D.")
        if errors:
            raise ValidationError(errors)


class GradingRun(ScopedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    method = models.ForeignKey(Method, models.PROTECT, related_name="runs", verbose_name=_("method"))
    engine = models.CharField(_("engine"), max_length=16)
    as_of = models.DateField(_("as of"))
    snapshot_path = models.CharField(_("snapshot"), max_length=500, blank=True)
    snapshot_sha256 = models.CharField(_("snapshot SHA-256"), max_length=64, blank=True)
    started = models.DateTimeField(_("started"))
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    duration_s = models.FloatField(_("duration (s)"), null=True, blank=True)
    enterprise_count = models.PositiveIntegerField(_("enterprises"), default=0)
    event_count = models.PositiveIntegerField(_("events"), default=0)
    grade_count = models.PositiveIntegerField(_("grades"), default=0)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.RUNNING)
    message = models.TextField(_("message"), blank=True)
    trigger = models.CharField(_("started by"), max_length=10, default="cli",
                               choices=[("cli", _("command line")), ("web", _("web page")),
                                        ("schedule", _("monthly schedule"))])
    user = models.ForeignKey("auth.User", models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("user"))
    progress_done = models.PositiveIntegerField(_("grades loaded"), default=0)
    progress_total = models.PositiveIntegerField(_("grades to load"), default=0)

    class Meta:
        ordering = ["-started", "-id"]
        verbose_name = _("grading run")
        verbose_name_plural = _("grading runs")

    def __str__(self):
        return f"{self.method} {self.engine} {self.as_of} ({self.status})"


class Grade(ScopedModel):
    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="credit_grades",
                                   verbose_name=_("enterprise"))
    method = models.ForeignKey(Method, models.PROTECT, related_name="grades", verbose_name=_("method"))
    run = models.ForeignKey(GradingRun, models.CASCADE, null=True, blank=True, related_name="grades",
                            verbose_name=_("run"))
    as_of = models.DateField(_("as of"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    grade = models.CharField(_("grade"), max_length=3)
    risk_class = models.CharField(_("credit-risk class"), max_length=1)
    computed_at = models.DateTimeField(_("computed at"))
    explanation = models.JSONField(_("explanation"), default=dict)

    scope_division = "enterprise__division"
    scope_enterprise = "enterprise_id"

    class Meta:
        ordering = ["-computed_at", "-id"]
        verbose_name = _("credit grade")
        verbose_name_plural = _("credit grades")
        indexes = [models.Index(fields=["enterprise", "-computed_at"])]

    def __str__(self):
        return f"{self.enterprise_id}: {self.grade} ({self.score})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("credit:grade_detail", args=[self.pk])

    @classmethod
    def public_q(cls):
        # Grades made by a published method may be looked up by the public (一公开).
        return Q(method__published=True)


class ListingRemoval(models.TextChoices):
    EXPIRED = "expired", _("listing period ended")
    EARLY_EXIT = "early_exit", _("early exit")
    REPAIRED = "repaired", _("credit repaired")
    REVOKED = "revoked", _("basis revoked")


class EnterpriseListing(ScopedModel, TimestampedModel):
    """Membership of the serious-violation (SAMR order 44) or abnormal-operation list."""

    class Kind(models.TextChoices):
        SERIOUS_VIOLATION = "serious_violation", _("serious-violation list")
        ABNORMAL_OPERATION = "abnormal_operation", _("abnormal-operation list")

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="credit_listings",
                                   verbose_name=_("enterprise"))
    kind = models.CharField(_("list"), max_length=20, choices=Kind.choices)
    start = models.DateField(_("listed on"))
    end = models.DateField(_("removed on"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    legal_basis = models.CharField(_("legal basis"), max_length=255, blank=True)
    planned_end = models.DateField(_("listed until"), null=True, blank=True,
                                   help_text=_("End of the listing period (3 years for the serious-violation list)."))
    removal = models.CharField(_("removed because"), max_length=12, choices=ListingRemoval.choices, blank=True)
    removal_note = models.TextField(_("removal note"), blank=True)
    source_type = models.CharField(_("source type"), max_length=100, blank=True)
    source_id = models.CharField(_("source id"), max_length=64, blank=True)

    scope_division = "enterprise__division"
    scope_enterprise = "enterprise_id"

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = _("list membership")
        verbose_name_plural = _("list memberships")

    def __str__(self):
        return f"{self.enterprise} · {self.get_kind_display()} · {self.start}"

    @classmethod
    def public_q(cls):
        # The serious-violation list is published while a listing is in force (today);
        # removed or expired listings are no longer shown (publication.active_listing_q).
        from .publication import active_listing_q

        return Q(kind="serious_violation") & active_listing_q()


# --- Blacklist, penalty publication and credit repair (DESIGN §6.3) -------------------------


class Sector(models.TextChoices):
    """Sectors with the longer credit-repair wait (DESIGN §6.3: food, drugs, special equipment)."""

    GENERAL = "general", _("general")
    FOOD = "food", _("food")
    DRUGS = "drugs", _("drugs")
    SPECIAL_EQUIPMENT = "special_equipment", _("special equipment")


class PenaltySeverity(models.TextChoices):
    MINOR = "minor", _("minor (simple procedure, warning or small fine)")
    ORDINARY = "ordinary", _("ordinary")
    HEAVY = "heavy", _("heavy (aggravated fine, licence revoked, suspension, closure, practice restriction)")


class PenaltyPublication(ScopedModel, TimestampedModel):
    """Publication of one administrative-penalty decision (市场监督管理行政处罚信息公示规定).

    Published within 20 wd of the decision, for 3 months (minor) or 3 years (others);
    withdrawn within 3 wd if the penalty is revoked; may be ended early by credit repair
    (never for heavy penalties). The enforcement app feeds it by ``source_type/source_id``.
    """

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="penalty_publications",
                                   verbose_name=_("enterprise"))
    decision_number = models.CharField(_("decision number"), max_length=100)
    decision_date = models.DateField(_("decision date"))
    authority = models.CharField(_("deciding authority"), max_length=200)
    severity = models.CharField(_("severity"), max_length=10, choices=PenaltySeverity.choices)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, default=Sector.GENERAL)
    violation = models.TextField(_("violation"))
    penalty = models.TextField(_("penalty imposed"))
    legal_basis = models.CharField(_("legal basis"), max_length=255, blank=True)
    publish_by = models.DateField(pgettext_lazy("penalty information", "publish by"), null=True, blank=True)
    published_on = models.DateField(pgettext_lazy("penalty information", "published on"), null=True, blank=True)
    publish_until = models.DateField(_("published until"), null=True, blank=True)
    revoked_on = models.DateField(_("penalty revoked on"), null=True, blank=True)
    withdraw_by = models.DateField(_("withdraw by"), null=True, blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_reason = models.CharField(_("withdrawal reason"), max_length=20, blank=True,
                                         choices=[("revoked", _("penalty revoked")),
                                                  ("repaired", _("credit repaired")),
                                                  ("expired", _("publication period ended"))])
    source_type = models.CharField(_("source type"), max_length=100, blank=True)
    source_id = models.CharField(_("source id"), max_length=64, blank=True)

    scope_division = "enterprise__division"
    scope_enterprise = "enterprise_id"

    class Meta:
        ordering = ["-decision_date", "-id"]
        verbose_name = _("penalty publication")
        verbose_name_plural = _("penalty publications")
        constraints = [models.UniqueConstraint(fields=["enterprise", "decision_number"],
                                               name="credit_penalty_decision_unique")]

    def __str__(self):
        return f"{self.decision_number} ({self.enterprise_id})"

    @classmethod
    def public_q(cls):
        # Only what is in its publication window today and not withdrawn
        # (publication.published_penalties_q); unpublished, expired and withdrawn ones never.
        from .publication import published_penalties_q

        return published_penalties_q()



class RepairApplication(ScopedModel, TimestampedModel):
    """An enterprise's application for credit repair of one publication or listing."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="repair_applications",
                                   verbose_name=_("enterprise"))
    penalty = models.ForeignKey(PenaltyPublication, models.CASCADE, null=True, blank=True,
                                related_name="repair_applications", verbose_name=_("penalty publication"))
    listing = models.ForeignKey(EnterpriseListing, models.CASCADE, null=True, blank=True,
                                related_name="repair_applications", verbose_name=_("list membership"))
    applied_on = models.DateField(_("applied on"))
    statement = models.TextField(_("statement of rectification"))
    commitment = models.BooleanField(_("credit commitment signed"), default=False)
    evidence = models.FileField(_("evidence"), upload_to="credit/repair/%Y/%m/", blank=True, max_length=255)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.SUBMITTED, db_index=True)
    reviewed_by = models.ForeignKey("auth.User", models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    scope_division = "enterprise__division"
    scope_enterprise = "enterprise_id"

    class Meta:
        ordering = ["-applied_on", "-id"]
        verbose_name = _("credit repair application")
        verbose_name_plural = _("credit repair applications")
        constraints = [models.CheckConstraint(
            condition=(Q(penalty__isnull=False, listing__isnull=True)
                       | Q(penalty__isnull=True, listing__isnull=False)),
            name="credit_repair_one_target")]

    def __str__(self):
        return f"{self.enterprise_id} {self.applied_on} ({self.status})"


# --- Agency queries and exchange with the provincial credit platform -------------------------


class AgencyQuery(models.Model):
    """Who asked what through the agency query API (联合奖惩); one row per lookup."""

    token = models.ForeignKey("accounts.APIToken", models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("token"))
    user = models.ForeignKey("auth.User", models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("user"))
    agency = models.CharField(_("agency"), max_length=200, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    uscc = models.CharField(_("USCC asked for"), max_length=18)
    found = models.BooleanField(_("found"), default=False)
    asked_at = models.DateTimeField(_("asked at"), auto_now_add=True, db_index=True)
    remote_addr = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    response_sha256 = models.CharField(_("response SHA-256"), max_length=64, blank=True)

    class Meta:
        ordering = ["-asked_at", "-id"]
        verbose_name = _("agency query")
        verbose_name_plural = _("agency queries")


class ExchangeExport(models.Model):
    """One export file set for the provincial credit platform (incremental since the last one)."""

    since = models.DateTimeField(_("changes since"), null=True, blank=True)
    until = models.DateTimeField(_("changes until"))
    created = models.DateTimeField(_("created"), auto_now_add=True)
    user = models.ForeignKey("auth.User", models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("user"))
    path = models.CharField(_("path"), max_length=500)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    counts = models.JSONField(_("rows per file"), default=dict)

    class Meta:
        ordering = ["-until", "-id"]
        verbose_name = _("credit exchange export")
        verbose_name_plural = _("credit exchange exports")


class ExternalCreditRecord(ScopedModel, TimestampedModel):
    """A credit record received from another agency (tax, customs, courts …) by exchange import."""

    source_agency = models.CharField(_("source agency"), max_length=200)
    record_id = models.CharField(_("record id at the source"), max_length=100)
    uscc = models.CharField(_("USCC"), max_length=18, db_index=True)
    enterprise = models.ForeignKey(Enterprise, models.SET_NULL, null=True, blank=True,
                                   related_name="external_credit_records", verbose_name=_("enterprise"))
    kind = models.CharField(_("kind"), max_length=40)
    date = models.DateField(_("date"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    import_job = models.ForeignKey("core.ImportJob", models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("import"))

    scope_division = "enterprise__division"
    scope_enterprise = "enterprise_id"

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("external credit record")
        verbose_name_plural = _("external credit records")
        constraints = [models.UniqueConstraint(fields=["source_agency", "record_id"],
                                               name="credit_external_record_unique")]
